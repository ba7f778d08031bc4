"""The status report: is the data safe?  Shared by ``citaplanner-tui status`` and the dashboard.

One scan of the catalog (no hashing: verification results come from the state file),
the volume's space, and the database's size.  The database is optional: when it cannot
be reached the report still describes every backup and says why the database is FAIL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.offsite import report as offsite_report
from citaplanner_tui.core.pg.connect import database_size
from citaplanner_tui.core.report import health
from citaplanner_tui.core.report import heartbeat
from citaplanner_tui.core.report.health import Health
from citaplanner_tui.core.volume import disk, lock
from citaplanner_tui.core.volume.catalog import Catalog, Entry, State, scan
from citaplanner_tui.core.volume.naming import ROTATED_TIERS


@dataclass(frozen=True)
class TierStatus:
    """One tier: its newest good backup and age, its files by state, its bytes, its verdict."""

    tier: str
    newest_good: Entry | None
    age_hours: float | None
    backups: int
    size: int
    counts: dict[State, int]
    health: Health


@dataclass(frozen=True)
class DatabaseStatus:
    """The database's size, or the sentence saying why it could not be read."""

    target: str
    size: int | None
    problem: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """Everything ``status`` shows; ``overall.level`` is its exit code."""

    generated_at: datetime
    backup_dir: Path
    tiers: tuple[TierStatus, ...]
    counts: dict[State, int]
    disk: disk.DiskReport
    database: DatabaseStatus
    checks: tuple[Health, ...]
    overall: Health
    running: str | None = None
    notes: tuple[str, ...] = field(default=())
    offsite: tuple[offsite_report.TargetReport, ...] = ()  # one per [[offsite]] target

    @property
    def problems(self) -> list[Health]:
        """The checks with a reason: what ``status`` lists under "problems:" and the console's dashboard shows."""
        return [h for h in self.checks if h.reason]

    def to_json(self) -> dict:
        def entry(e: Entry | None) -> dict | None:
            if e is None:
                return None
            return {
                "path": str(e.path),
                "taken_at": e.taken_at.isoformat() if e.taken_at else None,
                "size": e.size,
                "state": e.state.value,
                "last_verified_at": e.last_verified_at.isoformat() if e.last_verified_at else None,
                "verify_ok": e.verify_ok,
                "deep_ok": e.deep_ok,
            }

        def verdict(h: Health) -> dict:
            return {"subject": h.subject, "health": h.word, "reason": h.reason}

        space = self.disk.space
        return {
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "backup_dir": str(self.backup_dir),
            "health": self.overall.word,
            "reason": self.overall.reason,
            "tiers": [
                {
                    "tier": t.tier,
                    "health": t.health.word,
                    "reason": t.health.reason,
                    "newest_good": entry(t.newest_good),
                    "age_hours": round(t.age_hours, 2) if t.age_hours is not None else None,
                    "backups": t.backups,
                    "size": t.size,
                    "counts": {s.value: n for s, n in t.counts.items() if n},
                }
                for t in self.tiers
            ],
            "counts": {s.value: n for s, n in self.counts.items()},
            "disk": {
                "total": space.total if space else None,
                "used": space.used if space else None,
                "free": space.free if space else None,
                "backup_bytes": self.disk.backup_bytes,
                "growth_per_day": round(self.disk.growth_per_day) if self.disk.growth_per_day is not None else None,
                "days_left": round(self.disk.days_left, 1) if self.disk.days_left is not None else None,
            },
            "database": {"target": self.database.target, "size": self.database.size, "problem": self.database.problem},
            "checks": [verdict(h) for h in self.checks],
            "running": self.running,
            "notes": list(self.notes),
            "offsite": [t.to_json() for t in self.offsite],
        }


def database_status(settings) -> DatabaseStatus:
    """Size of the configured database, or why it cannot be had (never raises an OperatorError)."""
    if not settings.database_url:
        return DatabaseStatus("", None, "DATABASE_URL is not set, so the database cannot be checked")
    try:
        info = settings.conninfo()
    except OperatorError as exc:
        return DatabaseStatus("", None, exc.sentence)
    try:
        return DatabaseStatus(info.redacted(), database_size(info))
    except OperatorError as exc:
        return DatabaseStatus(info.redacted(), None, exc.sentence)


def build(
    settings,
    *,
    now: datetime | None = None,
    catalog: Catalog | None = None,
    database: DatabaseStatus | Callable[[object], DatabaseStatus] = database_status,
    daemon: bool = True,
    space=None,
    offsite: tuple[offsite_report.TargetReport, ...] | None = None,
) -> StatusReport:
    """Assemble the report.  ``now``, ``catalog``, ``database`` and ``space`` (``disk.space``) can be given
    (tests, the TUI's cache, its screenshots);
    the daemon passes ``daemon=False``: it knows it is alive, and its heartbeat would judge it by itself.
    ``offsite``: the targets' reports (``core/offsite/report.build``), else asked of each target now."""
    now = now or datetime.now()
    catalog = catalog or scan(settings)
    db_status = database(settings) if callable(database) else database
    holder = lock.holder(catalog.backup_dir) if catalog.backup_dir.exists() else None
    keep = {t: getattr(settings.retention, t) for t in ROTATED_TIERS}
    report_disk = disk.report(catalog, keep, now, space)

    tiers = []
    for tier in dict.fromkeys(ROTATED_TIERS + tuple(catalog.tiers())):
        newest = catalog.newest_good(tier)
        age = (now - newest.taken_at).total_seconds() / 3600 if newest else None
        backups = catalog.backups(tier)
        verdict = health.tier_health(
            tier, newest.taken_at if newest else None, now, settings.thresholds, any_backup=bool(backups)
        )
        tiers.append(
            TierStatus(
                tier, newest, age, len(backups), report_disk.tier_sizes.get(tier, 0), catalog.counts(tier), verdict
            )
        )

    counts = catalog.counts()
    dailies = [e for e in catalog.backups("daily") if e.good]
    checks = [t.health for t in tiers]
    checks += health.state_health(counts, backup_running=holder is not None)
    checks.append(
        health.disk_health(
            report_disk.space.free if report_disk.space else None, report_disk.days_left, settings.thresholds
        )
    )
    checks.append(
        health.shrink_health(
            dailies[0].size if dailies else None, dailies[1].size if len(dailies) > 1 else None, settings.thresholds
        )
    )
    checks.append(health.database_health(db_status.problem))
    checks += [Health("volume", health.FAIL, note) for note in catalog.notes]
    alive = heartbeat.staleness(settings, now.astimezone(timezone.utc)) if daemon else None
    checks += [alive] if alive else []  # None: no schedule, so no daemon was promised
    if offsite is None:
        offsite = offsite_report.build(settings, catalog, now)
    checks += [h for target in offsite for h in target.checks]
    return StatusReport(
        now,
        catalog.backup_dir,
        tuple(tiers),
        counts,
        report_disk,
        db_status,
        tuple(checks),
        health.overall(checks),
        holder.sentence() if holder else None,
        catalog.notes,
        tuple(offsite),
    )
