"""What the dashboard shows, loaded in one go in a worker thread.

``load_dashboard`` calls the core (catalog scan, the status report with its health
rules, the database probe) and returns the report itself with the little the panes
add (server version, problem files, table rows), so panes only format; nothing here
decides health or state, the core does.  It never touches a
widget: the app assigns the result to ``app.data`` on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from citaplanner_tui.core.i18n import _
from citaplanner_tui.core.report import status
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.tui import format as fmt


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
class Rollback:
    """A rollback the engine can do: ``parked`` swapped back in as ``target``.

    ``kind`` is what the swap that parked it was (``restore`` or ``rollback``: after a
    rollback, the parked copy holds the restored data) and ``swapped_at`` when it ran,
    both from the engine's last-swap record when it has them.
    """

    target: str
    parked: str
    kind: str = "restore"
    swapped_at: datetime | None = None


@dataclass(frozen=True)
class ServerProbe:
    """What the status report does not hold about the server: its version (None when it was not
    reached; ``database`` says why), and the rollback the last restore made possible."""

    version: str | None
    database: status.DatabaseStatus
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
        return {"OK": _("DAEMON OK"), "WARN": _("DAEMON STALE")}.get(self.word, _("DAEMON DOWN"))


@dataclass(frozen=True)
class DashboardData:
    """The core's status report (tiers, disk, database, every verdict), with what the panes
    need beside it: the server's version, the problem files, the rows of the backups table."""

    now: datetime
    report: status.StatusReport
    server: str | None
    checks: Checks
    catalog: object  # core.volume.catalog.Catalog
    rollback: Rollback | None = None
    backup_rows: tuple[tuple[str, tuple[str, ...], str, str], ...] = ()
    """For the backups table: (path, cells, health, lower-case text the filter searches)."""
    leftovers: tuple = ()
    """``core.restore.leftovers.Leftover``s: the safety backups and parked databases restores kept."""
    daemon: Daemon | None = None
    """None when no schedule is configured (then nobody promised a daemon)."""

    @property
    def health(self) -> str:
        return self.report.overall.word

    @property
    def problems(self) -> tuple[tuple[str, str, str], ...]:
        """(word, subject, reason) of every check with a reason: ``status``'s "problems:" list."""
        return tuple((h.word, h.subject, h.reason) for h in self.report.problems)

    @property
    def db_error(self) -> str | None:
        return self.report.database.problem

    def verdict(self, subject: str):
        """The report's ``Health`` on ``subject`` (``disk``, ``database``...)."""
        return next(h for h in self.report.checks if h.subject == subject)


def probe_database(settings: Settings) -> ServerProbe:
    """Server version, and the database's size as ``status`` reads it (or the sentence saying why not)."""
    from citaplanner_tui.core.pg import connect as db
    from citaplanner_tui.core.errors import OperatorError

    database = status.database_status(settings)
    if database.problem:
        return ServerProbe(None, database)
    try:
        major, minor = db.server_version(settings.conninfo())
    except OperatorError as exc:
        return ServerProbe(None, replace(database, problem=exc.sentence))
    return ServerProbe(f"PostgreSQL {major}.{minor}", database, _rollback(settings))


def _rollback(settings: Settings) -> Rollback | None:
    from citaplanner_tui.core.errors import OperatorError
    from citaplanner_tui.core.restore import rollback_candidate

    from citaplanner_tui.core.restore.engine import last_swap

    try:
        target, parked = settings.conninfo().dbname, rollback_candidate(settings)
    except OperatorError:  # nothing parked: nothing to roll back
        return None
    try:
        last = last_swap(settings)
    except (OSError, ValueError):  # an unreadable record: the parked name's stamp still says when
        last = None
    if last is None or last.parked != parked:
        return Rollback(target, parked)
    return Rollback(target, parked, getattr(last, "kind", None) or "restore", getattr(last, "swapped_at", None))


def keep_verify(kept: dict, results, now: datetime) -> None:
    """Remember verify ``results`` in ``kept`` for this file version (read-only: the volume records nothing).

    The same facts ``core.verify`` would record: the checksum verdict, and the deep one when asked."""
    import os

    from citaplanner_tui.core.volume.records import Record

    for result in results or ():
        try:
            st = os.stat(result.path, follow_symlinks=False)
        except OSError:
            continue
        ok = result.checksum_ok is True
        checks = {"verify": Record("verify", now, ok, "checksum matches its sidecar" if ok else result.detail)}
        if result.deep_ok is not None:
            checks["deep"] = Record("deep", now, bool(result.deep_ok), result.deep_detail)
        kept[str(result.path)] = (st.st_size, st.st_mtime_ns, checks)


def _with_kept(entry, kept: dict):
    """``entry`` with the kept results of its current version over the recorded ones."""
    from citaplanner_tui.core.volume.records import Facts

    size, mtime_ns, checks = kept.get(str(entry.path), (None, None, None))
    if checks is None or (size, mtime_ns) != (entry.size, entry.mtime_ns):
        return entry
    facts = entry.checks or Facts(str(entry.path), entry.size, entry.mtime_ns)
    return entry._replace(checks=replace(facts, **checks))


ALWAYS_COUNTED = ("ok", "mismatch", "no_sidecar", "partial")  # shown even at zero


def load_dashboard(
    settings: Settings,
    now: datetime,
    probe: Callable[[Settings], ServerProbe] | None = None,
    target: str = "",
    space: Callable | None = None,
    kept: dict | None = None,
) -> DashboardData:
    """One catalog scan and one status report (``core.report.status``), with what the panes add to it.

    ``probe`` and ``space`` (the volume's size, ``core.volume.disk.space``) can be pinned for screenshots;
    ``kept`` holds read-only mode's own verify results (``keep_verify``)."""
    from citaplanner_tui.core.volume import catalog as catalog_mod
    from citaplanner_tui.core.report import health
    from citaplanner_tui.core.restore.leftovers import leftovers

    server = (probe or probe_database)(settings)
    scanned = catalog_mod.scan(settings, now=now)
    if kept:
        scanned = replace(scanned, entries=tuple(_with_kept(e, kept) for e in scanned))
    report = status.build(
        settings, now=now, catalog=scanned, database=replace(server.database, target=target), space=space
    )
    verdicts = {v.subject: v for v in report.checks}
    checks = _checks(scanned, report, verdicts, health)
    return DashboardData(
        now,
        report,
        server.version,
        checks,
        scanned,
        server.rollback,
        backup_rows(scanned, now, {p.path: p.health for p in checks.problems}),
        tuple(leftovers(settings, scanned)),
        _daemon(settings, verdicts.get("daemon")),
    )


def _daemon(settings: Settings, verdict) -> Daemon | None:
    """The daemon's heartbeat beside the report's verdict on it (``core.unattended.heartbeat``)."""
    from citaplanner_tui.core.report import heartbeat

    if verdict is None:
        return None
    beat = heartbeat.read(settings)
    return Daemon(
        verdict.word,
        verdict.reason,
        beat.get("doing"),
        _when(beat.get("at")),
        tuple((job, _when(at)) for job, at in (beat.get("next") or {}).items()),
    )


def _when(text) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def backup_row(entry, now: datetime) -> tuple[str, ...]:
    """The backups table's cells for one catalog entry: tier, taken, age, size, state, verified, drill."""

    def check(at, ok) -> str:
        return _("never") if at is None else f"{fmt.short_age(at, now)} {_('ok') if ok else _('FAILED')}"

    dump = entry.is_dump
    return (
        _(entry.tier),
        entry.when.strftime("%Y-%m-%d %H:%M"),
        fmt.short_age(entry.when, now),
        fmt.size(entry.size),
        _(entry.state.word),
        check(entry.last_verified_at, entry.verify_ok) if dump else "",
        check(entry.last_drill_at, entry.drill_ok) if dump else "",
    )


def backup_rows(scanned, now: datetime, health: dict[str, str]) -> tuple:
    """Every entry's row, made here in the worker so the event loop only filters and draws."""
    rows = []
    for entry in scanned:
        cells = backup_row(entry, now)
        key = str(entry.path)
        rows.append((key, cells, health.get(key, "OK"), " ".join((*cells, entry.path.name)).lower()))
    return tuple(rows)


def _checks(scanned, report, verdicts, health) -> Checks:
    """Counts per state, what is not verified yet, the last drill, and the files in a bad state."""
    counts = tuple((state.word, n) for state, n in report.counts.items() if n or state.value in ALWAYS_COUNTED)
    dumps = scanned.backups()
    drilled = [e for e in dumps if e.last_drill_at is not None]
    last = max(drilled, key=lambda e: e.last_drill_at, default=None)
    problems = tuple(
        Problem(f"{_(e.tier)} {e.when:%m-%d %H:%M}", e.state.word, verdicts[e.state.word].word, str(e.path))
        for e in scanned
        if e.state.word in verdicts
    )
    state_verdicts = [verdicts[word] for word in {e.state.word for e in scanned} if word in verdicts]
    return Checks(
        health.overall(state_verdicts).word,
        counts,
        sum(1 for e in dumps if e.last_verified_at is None),
        last.last_drill_at if last else None,
        last.drill_ok if last else None,
        problems,
    )
