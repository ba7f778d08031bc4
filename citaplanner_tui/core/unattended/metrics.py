"""Prometheus gauges of the volume and the daemon's jobs, through the official ``prometheus-client``.

Monitoring wants "how old is the newest good backup" as a number it can alert on.  The
daemon refreshes one snapshot after every job (from the same catalog scan and status
report its health check uses) and publishes it two ways: a textfile for node_exporter's
textfile collector, replaced atomically, and an HTTP endpoint (127.0.0.1:9187 by
default).  Neither may stop the daemon: a port in use or an unwritable folder is one
sentence in the log, and the jobs go on.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server, write_to_textfile
from prometheus_client.core import GaugeMetricFamily

from citaplanner_tui.core.report.status import StatusReport
from citaplanner_tui.core.volume.catalog import Catalog, State

DEFAULT_PORT = 9187
DEFAULT_HOST = "127.0.0.1"
P = "citaplanner_"


def families(
    report: StatusReport, catalog: Catalog, jobs: dict[str, dict[str, Any]], up: bool
) -> list[GaugeMetricFamily]:
    """The gauges for one moment: ``report`` and ``catalog`` from the health check, ``jobs`` the daemon state."""
    newest_ts = GaugeMetricFamily(
        P + "backup_newest_timestamp_seconds",
        "When the newest good backup of the tier was taken (Unix time)",
        labels=["tier"],
    )
    newest_age = GaugeMetricFamily(
        P + "backup_newest_age_seconds", "Age of the newest good backup of the tier", labels=["tier"]
    )
    newest_size = GaugeMetricFamily(
        P + "backup_newest_size_bytes", "Size of the newest good backup of the tier", labels=["tier"]
    )
    for tier in report.tiers:
        if tier.newest_good is not None and tier.newest_good.taken_at is not None and tier.age_hours is not None:
            newest_ts.add_metric([tier.tier], tier.newest_good.taken_at.timestamp())
            newest_age.add_metric([tier.tier], tier.age_hours * 3600)
            newest_size.add_metric([tier.tier], tier.newest_good.size)
    files = GaugeMetricFamily(P + "backup_files", "Files on the backup volume by state", labels=["state"])
    for state in State:
        files.add_metric([state.value], report.counts.get(state, 0))

    result = GaugeMetricFamily(
        P + "job_last_success", "1 if the job's last run succeeded, 0 if it failed", labels=["job"]
    )
    duration = GaugeMetricFamily(P + "job_last_duration_seconds", "How long the job's last run took", labels=["job"])
    ran_at = GaugeMetricFamily(
        P + "job_last_run_timestamp_seconds", "When the job last ran (Unix time)", labels=["job"]
    )
    for job, last in sorted(jobs.items()):
        if last.get("ok") is None:
            continue  # skipped runs (nothing to do) have no result
        result.add_metric([job], 1 if last["ok"] else 0)
        duration.add_metric([job], last.get("seconds", 0.0))
        ran_at.add_metric([job], datetime.fromisoformat(last["at"]).timestamp())

    drills = [(e.last_drill_at, e.drill_ok) for e in catalog if e.last_drill_at is not None]
    drill_ok = GaugeMetricFamily(P + "drill_last_success", "1 if the last restore drill succeeded")
    drill_at = GaugeMetricFamily(P + "drill_last_timestamp_seconds", "When the last restore drill ran (Unix time)")
    if drills:
        last_at, last_ok = max(drills, key=lambda d: d[0])
        drill_ok.add_metric([], 1 if last_ok else 0)
        drill_at.add_metric([], last_at.timestamp())

    free = GaugeMetricFamily(P + "volume_free_bytes", "Free bytes on the backup volume")
    days = GaugeMetricFamily(P + "volume_days_until_full", "Days until the backup volume is full at the current growth")
    if report.disk.space is not None:
        free.add_metric([], report.disk.space.free)
    if report.disk.days_left is not None:
        days.add_metric([], report.disk.days_left)
    level = GaugeMetricFamily(P + "health_level", "Overall health: 0 OK, 1 WARN, 2 FAIL")
    level.add_metric([], int(report.overall.level))
    daemon = GaugeMetricFamily(P + "daemon_up", "1 while the daemon runs")
    daemon.add_metric([], 1 if up else 0)
    return [
        newest_ts,
        newest_age,
        newest_size,
        files,
        result,
        duration,
        ran_at,
        drill_ok,
        drill_at,
        free,
        days,
        level,
        daemon,
    ]


class Publisher:
    """Holds the latest snapshot and publishes it (textfile, HTTP); ``collect`` is its collector hook."""

    def __init__(self, textfile: Path | None = None):
        self.textfile = textfile
        self.snapshot: list[GaugeMetricFamily] = []
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)
        self._server: WSGIServer | None = None

    def collect(self) -> list[GaugeMetricFamily]:
        return list(self.snapshot)

    def update(self, snapshot: list[GaugeMetricFamily]) -> str | None:
        """Take a new snapshot; write the textfile.  Returns the sentence if it cannot be written."""
        self.snapshot = snapshot
        if self.textfile is None:
            return None
        try:
            write_to_textfile(str(self.textfile), self.registry)  # a temp file renamed over the old one
        except OSError as exc:
            return f"the metrics file {self.textfile} cannot be written: {exc.strerror}"
        return None

    def serve(self, host: str, port: int) -> str | None:
        """Serve /metrics; returns the sentence if the address cannot be used."""
        try:
            self._server, _ = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            return (
                f"the metrics cannot be served on {host}:{port}: {exc.strerror}; "
                "choose another --metrics-port (the jobs run anyway)"
            )
        return None

    @property
    def port(self) -> int | None:
        return self._server.server_address[1] if self._server else None

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
