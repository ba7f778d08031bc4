"""What the dashboard shows, loaded in one go in a worker thread.

``load_dashboard`` calls the core (catalog scan, the status report with its health
rules, the database probe) and returns the report itself with the little the panes
add (server version, problem files, table rows), so panes only format; nothing here
decides health or state, the core does.  It never touches a
widget: the app assigns the result to ``app.data`` on the event loop.  The app imports
this module in that worker, so the engine modules imported here (psycopg among them) cost
the first paint nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Callable, NamedTuple, Sequence, TypedDict

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core import i18n
from citaplanner_tui.core.i18n import _
from citaplanner_tui.core.offsite import report as offsite_report
from citaplanner_tui.core.offsite.report import TargetReport
from citaplanner_tui.core.pg import connect as db
from citaplanner_tui.core.report import health, heartbeat, status
from citaplanner_tui.core.report.health import Health
from citaplanner_tui.core.restore import rollback_candidate
from citaplanner_tui.core.restore.engine import last_swap
from citaplanner_tui.core.restore.leftovers import Leftover, leftovers
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.verify import VerifyResult
from citaplanner_tui.core.volume import catalog as catalog_mod
from citaplanner_tui.core.volume.catalog import Catalog, Entry
from citaplanner_tui.core.volume.disk import Space
from citaplanner_tui.core.volume.records import Facts, Record
from citaplanner_tui.tui import format as fmt


# Read-only mode's own verify results, by path: (size, mtime_ns, records) of the version checked.
class KeptChecks(TypedDict, total=False):
    """The records ``keep_verify`` holds for one file, by kind (the fields of ``Facts`` they replace)."""

    verify: Record
    deep: Record


Kept = dict[str, tuple[int, int, KeptChecks]]
# One backups-table row: key (the path), cells, health word, the text a filter searches.
Row = tuple[str, tuple[str, ...], str, str]


class Problem(NamedTuple):  # a NamedTuple: a damaged volume makes thousands per refresh
    tier: str
    when: datetime
    word: str
    health: str
    path: str

    @property
    def label(self) -> str:
        """``daily 11-24 02:00``: made when shown (a pane shows a few; a damaged volume has thousands)."""
        return f"{_(self.tier)} {self.when:%m-%d %H:%M}"


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
    catalog: Catalog
    rollback: Rollback | None = None
    backup_rows: tuple[Row, ...] = ()
    """For the backups table: (path, cells, health, lower-case text the filter searches)."""
    leftovers: tuple[Leftover, ...] = ()
    """``core.restore.leftovers.Leftover``s: the safety backups and parked databases restores kept."""
    daemon: Daemon | None = None
    """None when no schedule is configured (then nobody promised a daemon)."""
    offsite_known: bool = False
    """Whether ``report.offsite`` holds the targets' answers yet (they are asked after the local load)."""

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

    def verdict(self, subject: str) -> Health:
        """The report's ``Health`` on ``subject`` (``disk``, ``database``...)."""
        return next(h for h in self.report.checks if h.subject == subject)


def probe_database(settings: Settings) -> ServerProbe:
    """Server version, and the database's size as ``status`` reads it (or the sentence saying why not)."""
    database = status.database_status(settings)
    if database.problem:
        return ServerProbe(None, database)
    try:
        major, minor = db.server_version(settings.conninfo())
    except OperatorError as exc:
        return ServerProbe(None, replace(database, problem=exc.sentence))
    return ServerProbe(f"PostgreSQL {major}.{minor}", database, _rollback(settings))


def _rollback(settings: Settings) -> Rollback | None:
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


def keep_verify(kept: Kept, results: list[VerifyResult] | None, now: datetime) -> None:
    """Remember verify ``results`` in ``kept`` for this file version (read-only: the volume records nothing).

    The same facts ``core.verify`` would record: the checksum verdict, and the deep one when asked."""
    for result in results or ():
        try:
            st = os.stat(result.path, follow_symlinks=False)
        except OSError:
            continue
        ok = result.checksum_ok is True
        checks: KeptChecks = {
            "verify": Record("verify", now, ok, "checksum matches its sidecar" if ok else result.detail)
        }
        if result.deep_ok is not None:
            checks["deep"] = Record("deep", now, bool(result.deep_ok), result.deep_detail)
        kept[str(result.path)] = (st.st_size, st.st_mtime_ns, checks)


def _with_kept(entry: Entry, kept: Kept) -> Entry:
    """``entry`` with the kept results of its current version over the recorded ones."""
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
    space: Callable[[Path], Space | None] | None = None,
    kept: Kept | None = None,
    offsite: tuple[TargetReport, ...] | None = None,
) -> DashboardData:
    """One catalog scan and one status report (``core.report.status``), with what the panes add to it.

    ``probe`` and ``space`` (the volume's size, ``core.volume.disk.space``) can be pinned for screenshots;
    ``kept`` holds read-only mode's own verify results (``keep_verify``).  ``offsite``: the targets' last
    reports (None: not asked yet); no target is asked here, ``with_offsite`` brings their new answers."""
    server = (probe or probe_database)(settings)
    scanned = catalog_mod.scan(settings, now=now)
    if kept:
        scanned = replace(scanned, entries=tuple(_with_kept(e, kept) for e in scanned))
    report = status.build(
        settings,
        now=now,
        catalog=scanned,
        database=replace(server.database, target=target),
        space=space,
        offsite=offsite or (),
    )
    verdicts = {v.subject: v for v in report.checks}
    checks = _checks(scanned, report, verdicts)
    return DashboardData(
        now,
        report,
        server.version,
        checks,
        scanned,
        server.rollback,
        backup_rows(
            scanned,
            now,
            {p.path: p.health for p in checks.problems},
            _where(settings, offsite),
            remote_only(scanned, offsite),
        ),
        tuple(leftovers(settings, scanned)),
        _daemon(settings, verdicts.get("daemon")),
        offsite_known=offsite is not None,
    )


def load_offsite(
    settings: Settings, data: DashboardData, build: Callable[..., tuple[TargetReport, ...]] | None = None
) -> DashboardData:
    """``data`` with every off-site target asked now (``core.offsite.report.build``: one listing each).

    Run in its own worker after the local load, so a slow or unreachable target never holds up the
    rest of the dashboard.  ``build`` can be pinned for screenshots."""
    ask = build or offsite_report.build
    return with_offsite(settings, data, ask(settings, data.catalog, data.now))


def with_offsite(settings: Settings, data: DashboardData, reports: tuple[TargetReport, ...]) -> DashboardData:
    """``data`` judged with the targets' new ``reports``: their verdicts replace the ones it was built with
    (the core's own verdicts, combined by the core's ``health.overall``), and the backups table's rows
    say where each backup lives."""
    old = {id(h) for t in data.report.offsite for h in t.checks}
    checks = tuple(h for h in data.report.checks if id(h) not in old) + tuple(h for t in reports for h in t.checks)
    report = replace(data.report, checks=checks, overall=health.overall(checks), offsite=tuple(reports))
    problems = {p.path: p.health for p in data.checks.problems}
    rows = backup_rows(
        data.catalog, data.now, problems, _where(settings, tuple(reports)), remote_only(data.catalog, reports)
    )
    return replace(data, report=report, backup_rows=rows, offsite_known=True)


def remote_only(catalog: Catalog, reports: tuple[TargetReport, ...] | None) -> list[tuple[str, Entry]]:
    """The good backups only targets hold (local retention removed them, or the volume was lost), each
    once, as ``(TARGET:tier/file, entry)`` with the first target holding it: what the wizard pulls."""
    local = {f"{e.folder}/{e.path.name}" for e in catalog.backups()}
    found: dict[str, tuple[str, Entry]] = {}
    for t in reports or ():
        for e in t.held:
            if e.good and str(e.path) not in local:
                found.setdefault(str(e.path), (f"{t.name}:{e.path}", e))
    return list(found.values())


def _where(settings: Settings, reports: tuple[TargetReport, ...] | None) -> dict[str, tuple[str, ...]] | None:
    """``tier/file`` -> the targets holding a good copy of it (None: no targets, so no column)."""
    if not settings.offsite:
        return None
    held: dict[str, tuple[str, ...]] = {}
    for t in reports or ():
        for e in t.held:
            if e.good:
                held[str(e.path)] = held.get(str(e.path), ()) + (t.name,)
    return held


def _daemon(settings: Settings, verdict: Health | None) -> Daemon | None:
    """The daemon's heartbeat beside the report's verdict on it (``core.unattended.heartbeat``)."""
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


def _when(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def backup_row(
    entry: Entry, now: datetime, where: dict[str, tuple[str, ...]] | None = None, lasting: Lasting | None = None
) -> tuple[str, ...]:
    """The backups table's cells for one catalog entry: tier, taken, age, size, state, verified, drill.

    With off-site targets (``where`` given) the year leaves the date and Where (``where_cell``) comes
    after Verified, in the Drill column's room at 80 columns (the drill is on the detail line).
    ``lasting`` collects the cells that do not age, for the next refresh (``_lasting_cells``)."""

    tier, taken, size, state, dump, local = _lasting_cells(entry, where is not None, lasting)
    verified = (fmt.check_cell(entry.last_verified_at, entry.verify_ok, now) if local else "-") if dump else ""
    if where is not None:
        last = where_cell(where.get(f"{entry.folder}/{entry.path.name}", ()), local) if dump else ""
    else:
        last = fmt.check_cell(entry.last_drill_at, entry.drill_ok, now) if dump else ""
    return (tier, taken, fmt.short_age(entry.when, now), size, state, verified, last)


# The cells of an entry that do not age (tier, taken, size, state), by id(entry), with the entry (so the id
# is not another's) and the language: the catalog hands back the very entries of the folders that did not
# change, so a refresh of 5,000 backups formats again only the new ones' dates and sizes, and every age.
Lasting = dict[tuple[int, bool, str], tuple[Entry, tuple[str, str, str, str, bool, bool]]]
_LASTING: Lasting = {}  # the last table's, replaced whole by the next (a worker's; never edited in place)


def _lasting_cells(entry: Entry, short_date: bool, into: Lasting | None) -> tuple[str, str, str, str, bool, bool]:
    """Tier, taken, size, state, whether it is a dump, whether it is local (a remote entry's path
    is relative to its target's prefix): the last table's when it had this very entry."""
    key = (id(entry), short_date, i18n.language())
    kept = _LASTING.get(key)
    if kept is None or kept[0] is not entry:
        taken = f"{entry.when:%m-%d %H:%M}" if short_date else f"{entry.when:%Y-%m-%d %H:%M}"
        state = _(entry.state.word)
        kept = (entry, (_(entry.tier), taken, fmt.size(entry.size), state, entry.is_dump, entry.path.is_absolute()))
    if into is not None:
        into[key] = kept
    return kept[1]


def where_cell(targets: tuple[str, ...], local: bool = True) -> str:
    """Where a backup lives: ``local`` and each target holding a good copy (``local+primary``, ``primary``)."""
    return "+".join(("local", *targets) if local else targets)


def backup_rows(
    scanned: Catalog,
    now: datetime,
    health: dict[str, str],
    where: dict[str, tuple[str, ...]] | None = None,
    remote: Sequence[tuple[str, Entry]] = (),
) -> tuple[Row, ...]:
    """Every entry's row, made here in the worker so the event loop only filters and draws; the
    ``remote`` ones (``remote_only``) slot in by time, keyed ``TARGET:tier/file``."""
    global _LASTING
    rows, lasting = [], Lasting()
    for key, entry in [(str(e.path), e) for e in scanned] + list(remote):
        cells = backup_row(entry, now, where, lasting)
        rows.append((entry.when, (key, cells, health.get(key, "OK"), " ".join((*cells, entry.path.name)).lower())))
    _LASTING = lasting
    if remote:
        rows.sort(key=lambda row: row[0], reverse=True)
    return tuple(row for _, row in rows)


def _checks(scanned: Catalog, report: status.StatusReport, verdicts: dict[str, Health]) -> Checks:
    """Counts per state, what is not verified yet, the last drill, and the files in a bad state."""
    counts = tuple((state.word, n) for state, n in report.counts.items() if n or state.value in ALWAYS_COUNTED)
    dumps = scanned.backups()
    drilled = [e for e in dumps if e.last_drill_at is not None]
    last = max(drilled, key=lambda e: e.last_drill_at or datetime.min, default=None)  # all drilled
    # Words looked up once per state, not once per file: a damaged volume may hold thousands.
    shown = {s: (s.word, verdicts[s.word].word) for s in {e.state for e in scanned} if s.word in verdicts}
    problems = tuple(Problem(e.tier, e.when, *shown[e.state], str(e.path)) for e in scanned if e.state in shown)
    state_verdicts = [verdicts[word] for word, _ in shown.values()]
    return Checks(
        health.overall(state_verdicts).word,
        counts,
        sum(1 for e in dumps if e.last_verified_at is None),
        last.last_drill_at if last else None,
        last.drill_ok if last else None,
        problems,
    )
