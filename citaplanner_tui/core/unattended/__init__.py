"""Unattended operation (issue 12): the schedule, the daemon loop, notifications, metrics.

The container has no cron, so ``citaplanner-tui daemon`` is its main process: it runs
the engine's own backup, deep verify and drill on a schedule, tells the operator when
something fails or recovers, and exposes Prometheus gauges.  Nothing here imports Textual.
"""
