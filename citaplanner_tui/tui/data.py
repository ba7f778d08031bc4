"""What the dashboard shows, loaded in one go in a worker thread.

``load_dashboard`` calls the core (catalog scan, the status report with its health
rules, the database probe) and returns plain frozen dataclasses, so panes only
format; nothing here decides health or state, the core does.  It never touches a
widget: the app assigns the result to ``app.data`` on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from citaplanner_tui.core.settings import Settings
from citaplanner_tui.tui import format as fmt


@dataclass(frozen=True)
class TierRow:
    tier: str
    health: str
    reason: str
    newest: datetime | None
    count: int
    total_bytes: int


@dataclass(frozen=True)
class Problem:
    label: str
    word: str
    health: str
    path: str


@dataclass(frozen=True)
class Checks:
    health: str
    counts: tuple[tuple[str, int], ...]
    unverified: int
    last_drill: datetime | None
    last_drill_ok: bool | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Disk:
    health: str
    reason: str
    total: int | None
    used: int | None
    free: int | None
    per_tier: tuple[tuple[str, int], ...]
    db_size: int | None
    days_until_full: float | None


@dataclass(frozen=True)
class Rollback:
    """A rollback the engine can do: ``parked`` swapped back in as ``target``."""

    target: str
    parked: str


@dataclass(frozen=True)
class DatabaseFacts:
    """What the status bar says about the server: its version, or why it was not reached;
    and the rollback the last restore made possible, if its parked database still exists."""

    server: str | None
    size: int | None
    error: str | None = None
    rollback: Rollback | None = None


@dataclass(frozen=True)
class Daemon:
    """The configured daemon as its heartbeat tells: the status report's verdict (``word``,
    ``reason``), what it was doing and when it last said so, and the next run of each job."""

    word: str
    reason: str
    doing: str | None
    at: datetime | None
    next_runs: tuple[tuple[str, datetime | None], ...]

    @property
    def badge(self) -> str:
        """The header's word for it: alive, late or not running."""
        return {"OK": "DAEMON OK", "WARN": "DAEMON STALE"}.get(self.word, "DAEMON DOWN")


@dataclass(frozen=True)
class DashboardData:
    now: datetime
    health: str
    server: str | None
    tiers: tuple[TierRow, ...]
    checks: Checks
    disk: Disk
    catalog: object  # core.catalog.Catalog
    db_error: str | None = None
    rollback: Rollback | None = None
    problems: tuple[tuple[str, str, str], ...] = ()
    """(word, subject, reason) of every check with a reason: ``status``'s "problems:" list."""
    backup_rows: tuple[tuple[str, tuple[str, ...], str, str], ...] = ()
    """For the backups table: (path, cells, health, lower-case text the filter searches)."""
    leftovers: tuple = ()
    """``core.restore.leftovers.Leftover``s: the safety backups and parked databases restores kept."""
    daemon: Daemon | None = None
    """None when no schedule is configured (then nobody promised a daemon)."""


def probe_database(settings: Settings) -> DatabaseFacts:
    """Server version and database size, or the one sentence saying why not."""
    from citaplanner_tui.core import db
    from citaplanner_tui.core.errors import OperatorError

    if not settings.database_url:
        return DatabaseFacts(None, None, "DATABASE_URL is not set, so the database cannot be checked")
    try:
        info = settings.conninfo()
        major, minor = db.server_version(info)
        return DatabaseFacts(f"PostgreSQL {major}.{minor}", db.database_size(info), rollback=_rollback(settings))
    except OperatorError as exc:
        return DatabaseFacts(None, None, exc.sentence)


def _rollback(settings: Settings) -> Rollback | None:
    from citaplanner_tui.core.errors import OperatorError
    from citaplanner_tui.core.restore import rollback_candidate

    try:
        return Rollback(settings.conninfo().dbname, rollback_candidate(settings))
    except OperatorError:  # nothing parked: nothing to roll back
        return None


ALWAYS_COUNTED = ("ok", "mismatch", "no_sidecar", "partial")  # shown even at zero


def load_dashboard(settings: Settings, now: datetime, probe: Callable[[Settings], DatabaseFacts] | None = None,
                   target: str = "") -> DashboardData:
    """One catalog scan and one status report (``core.status``), shaped for the panes."""
    from citaplanner_tui.core import catalog as catalog_mod
    from citaplanner_tui.core import health, status
    from citaplanner_tui.core.restore.leftovers import leftovers

    facts = (probe or probe_database)(settings)
    scanned = catalog_mod.scan(settings, now=now)
    report = status.build(settings, now=now, catalog=scanned,
                          database=status.DatabaseStatus(target, facts.size, facts.error))
    verdicts = {v.subject: v for v in report.checks}
    checks = _checks(scanned, report, verdicts, health)
    return DashboardData(now, report.overall.word, facts.server,
                         tuple(_tier_row(t) for t in report.tiers),
                         checks, _disk(report, verdicts), scanned, facts.error, facts.rollback,
                         tuple((h.word, h.subject, h.reason) for h in report.problems),
                         backup_rows(scanned, now, {p.path: p.health for p in checks.problems}),
                         tuple(leftovers(settings, scanned)), _daemon(settings, verdicts.get("daemon")))


def _daemon(settings: Settings, verdict) -> Daemon | None:
    """The daemon's heartbeat beside the report's verdict on it (``core.unattended.heartbeat``)."""
    from citaplanner_tui.core.unattended import heartbeat

    if verdict is None:
        return None
    beat = heartbeat.read(settings)
    return Daemon(verdict.word, verdict.reason, beat.get("doing"), _when(beat.get("at")),
                  tuple((job, _when(at)) for job, at in (beat.get("next") or {}).items()))


def _when(text) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def backup_row(entry, now: datetime) -> tuple[str, ...]:
    """The backups table's cells for one catalog entry: tier, taken, age, size, state, verified, drill."""
    def check(at, ok) -> str:
        return "never" if at is None else f"{fmt.short_age(at, now)} {'ok' if ok else 'FAILED'}"

    dump = entry.is_dump
    return (entry.tier, entry.when.strftime("%Y-%m-%d %H:%M"), fmt.short_age(entry.when, now),
            fmt.size(entry.size), entry.state.word,
            check(entry.last_verified_at, entry.verify_ok) if dump else "",
            check(entry.last_drill_at, entry.drill_ok) if dump else "")


def backup_rows(scanned, now: datetime, health: dict[str, str]) -> tuple:
    """Every entry's row, made here in the worker so the event loop only filters and draws."""
    rows = []
    for entry in scanned:
        cells = backup_row(entry, now)
        key = str(entry.path)
        rows.append((key, cells, health.get(key, "OK"), " ".join((*cells, entry.path.name)).lower()))
    return tuple(rows)


def _tier_row(t) -> TierRow:
    return TierRow(t.tier, t.health.word, t.health.reason, t.newest_good.taken_at if t.newest_good else None,
                   t.backups, t.size)


def _checks(scanned, report, verdicts, health) -> Checks:
    """Counts per state, what is not verified yet, the last drill, and the files in a bad state."""
    counts = tuple((state.word, n) for state, n in report.counts.items()
                   if n or state.value in ALWAYS_COUNTED)
    dumps = scanned.backups()
    drilled = [e for e in dumps if e.last_drill_at is not None]
    last = max(drilled, key=lambda e: e.last_drill_at, default=None)
    problems = tuple(Problem(f"{e.tier} {e.when:%m-%d %H:%M}", e.state.word, verdicts[e.state.word].word, str(e.path))
                     for e in scanned if e.state.word in verdicts)
    state_verdicts = [verdicts[word] for word in {e.state.word for e in scanned} if word in verdicts]
    return Checks(health.overall(state_verdicts).word, counts, sum(1 for e in dumps if e.last_verified_at is None),
                  last.last_drill_at if last else None, last.drill_ok if last else None, problems)


def _disk(report, verdicts) -> Disk:
    d, verdict = report.disk, verdicts["disk"]
    space = d.space
    return Disk(verdict.word, verdict.reason, space.total if space else None, space.used if space else None,
                space.free if space else None, tuple(d.tier_sizes.items()), report.database.size, d.days_left)
