"""The engine: settings, PostgreSQL tools, backups, verification, restores, seed.

Nothing in this package imports Textual (a test enforces it), so cron jobs and
scripts run the same code the console shows.
"""
