"""Headless commands: the same engine the console shows, for cron and scripts."""
