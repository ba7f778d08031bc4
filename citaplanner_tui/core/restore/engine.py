"""Run a plan: safety backup, load, validate, swap (or in place); and roll a swap back.

``preflight`` (changes nothing) -> ``RestorePlan`` -> ``execute(settings, plan, confirm=...)``
-> ``Outcome``.  Before the swap every failure, cancel or crash leaves the live
database's data untouched: the load goes into a scratch database (dropped on failure,
or by the next run if this process was killed) or, in place, into a transaction that
is never committed.  The two steps that do change the live database for a while, the
swap's lock-out (``swap.py``) and the in-place write stop (``inplace.py``), are
journaled, and ``recover`` (every command calls it first) finishes or undoes them
after a crash.  After a restore or rollback the older leftovers are rotated
(``leftovers.py``).  Every step goes to ``LOG_DIR/restore_YYYYMMDD.log``.
"""

from __future__ import annotations

import contextvars
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Callable

from psycopg.conninfo import make_conninfo

from citaplanner_tui.core.i18n import N_, listed, say
from citaplanner_tui.core.backup import run_backup
from citaplanner_tui.core.errors import Cancelled, Interrupted, OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.pg import tools as pgtools
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.pg.conninfo import ConnInfo
from citaplanner_tui.core.restore import server
from citaplanner_tui.core.restore import inplace, leftovers
from citaplanner_tui.core.restore import swap as critical
from citaplanner_tui.core.restore.carryover import carry_over
from citaplanner_tui.core.restore.journal import Intent, Journal, LastSwap
from citaplanner_tui.core.restore.load import LoadSpec, RowsDiffer, load_archive
from citaplanner_tui.core.restore.parallel import load_scratch
from citaplanner_tui.core.restore.plan import RestorePlan, check_confirm, free_stamp, pre_restore_name
from citaplanner_tui.core.restore.sqltext import quote_ident
from citaplanner_tui.core.restore.validate import count_rows
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume import lock


@dataclass
class Outcome:
    """What a restore did, where the previous data and the writes made meanwhile are, how to undo it."""

    target: str
    mode: str
    archive: str
    safety_backup: str | None
    pre_restore: str | None
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    swap_attempts: int = 0
    not_carried: list[str] = field(default_factory=list)  # live's privileges/settings the swap could not keep
    # Swap: per table, rows in the parked database minus rows restored (None: not counted).
    parked_differences: dict[str, int] | None = None
    # In place: how long writes were refused, from before the safety backup to the commit.
    writes_refused: float | None = None
    rotated: list[str] = field(default_factory=list)  # older safety backups and parked databases removed
    late_signals: list[str] = field(default_factory=list)  # signals that came after the swap had committed

    @property
    def undo(self) -> str:
        if self.pre_restore:
            back = {"parked": repr(self.pre_restore), "target": self.target}
            if self.parked_note:
                return say(
                    "the previous database is kept as {parked} ({note}); 'restore --rollback --target "
                    "{target} --confirm {target}' swaps it back",
                    note=self.parked_note,
                    **back,
                )
            return say(
                "the previous database is kept as {parked}; 'restore --rollback --target "
                "{target} --confirm {target}' swaps it back",
                **back,
            )
        if self.safety_backup and self.writes_note:
            return say(
                "the previous data is in the safety backup {path}, {note}",
                path=self.safety_backup,
                note=self.writes_note,
            )
        if self.safety_backup:
            return say("the previous data is in the safety backup {path}", path=self.safety_backup)
        return say("no copy of the previous data was kept")

    @property
    def parked_note(self) -> str:
        """Swap: how the parked copy differs from the restored database, i.e. where later writes are ("" if
        not counted); for the console's outcome screen as for the CLI."""
        diff = self.parked_differences
        if diff is None:
            return ""
        if not diff:
            return say("with the same row count as the restored database in every table")
        counted = listed([say("{n} rows in {table}", n=f"{n:+d}", table=t) for t, n in list(diff.items())[:_SHOWN]])
        if len(diff) > _SHOWN:
            return say(
                "against the restored database it has {counted} and {more} more tables",
                counted=counted,
                more=len(diff) - _SHOWN,
            )
        return say("against the restored database it has {counted}", counted=counted)

    @property
    def writes_note(self) -> str:
        """In place: what the safety backup holds, given when writes were refused ("" for a swap)."""
        if self.writes_refused is None:
            return ""
        return say(
            "which holds every write committed before the restore (writes were refused for "
            "{seconds} s, from just before it until the load committed)",
            seconds=f"{self.writes_refused:.1f}",
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "undo": self.undo}


_SHOWN = 8  # tables named in the parked copy's note; the JSON has them all


def settings_for(settings: Settings, dbname: str) -> Settings:
    """The same settings aimed at another database on the same server (for the safety backup)."""
    info = settings.conninfo().with_dbname(dbname)
    extra = {"password": info.password} if info.password is not None else {}
    return replace(settings, database_url=make_conninfo("", **info.params, **extra))


def _log(settings: Settings) -> Log:
    return Log(settings.logs, "restore")


def _role_prologue(facts: server.TargetFacts) -> str:
    """Objects must be owned as the live database's are, even when a superuser restores."""
    if facts.owner and facts.owner != facts.user:
        return f"SET ROLE {quote_ident(facts.owner)};\n"
    return ""


def execute(
    settings: Settings,
    plan: RestorePlan,
    *,
    confirm: str | None,
    reporter: Reporter | None = None,
    log: Log | None = None,
) -> Outcome:
    """Run ``plan``; raise an ``OperatorError`` (live untouched) if any step before the swap fails."""
    settings.require_writable(N_("restore"))
    check_confirm(plan.target, confirm)
    plan.require_ok()
    reporter = reporter or Reporter()
    log = log or _log(settings)
    started = time.monotonic()
    log.info(f"restore of {plan.archive} into {plan.target!r} on {plan.server} ({plan.mode} mode) started")
    try:
        with server.refusals("a step of the restore"):
            outcome = _execute(settings, plan, reporter, log)
    except OperatorError as exc:
        log.error(f"restore failed: {exc.sentence}")
        raise
    except KeyboardInterrupt:
        log.error("restore interrupted; the lines above say how far it got")
        raise Interrupted(_undone(plan)) from None
    except BaseException as exc:
        log.error(f"restore failed: {type(exc).__name__}: {exc}")
        raise
    # The restore is done: a signal now only gets a mention, never an unwinding that would mislead.
    with critical.held_signals() as caught:
        outcome.parked_differences = (
            _parked_differences(settings.conninfo(), plan.pre_restore, outcome.rows, log)
            if plan.mode == "swap"
            else None
        )
        outcome.seconds = round(time.monotonic() - started, 3)
        outcome.rotated = _rotate(settings, plan.target, log, outcome.safety_backup)
    outcome.late_signals += [n for n in critical.signal_names(caught) if n not in outcome.late_signals]
    log.ok(f"restore of {plan.archive.name} into {plan.target!r} done in {outcome.seconds:.1f} s; {outcome.undo}")
    return outcome


def _execute(settings: Settings, plan: RestorePlan, reporter: Reporter, log: Log) -> Outcome:
    info = settings.conninfo()
    if plan.mode == "swap":
        jobs = plan.jobs
        if plan.alongside:
            with (
                lock.hold(settings.backup_dir, "restore"),
                _SafetyAlongside(settings, plan, reporter, log) as alongside,
            ):
                facts, tools = _prepare(settings, plan, log)
                swapped, rows, refused = _swap_restore(
                    settings, plan, facts, tools, reporter, log, jobs, before_swap=alongside.wait
                )
            safety = alongside.path
        else:
            safety = _safety_backup(settings, plan, reporter, log)
            with lock.hold(settings.backup_dir, "restore"):
                facts, tools = _prepare(settings, plan, log)
                swapped, rows, refused = _swap_restore(settings, plan, facts, tools, reporter, log, jobs)
        outcome = Outcome(plan.target, plan.mode, str(plan.archive), safety, plan.pre_restore, rows)
        outcome.not_carried = refused
        outcome.swap_attempts, outcome.late_signals = swapped.attempts, list(swapped.late_signals)
        return outcome
    reporter(
        "stop writes",
        message=say("refusing writes to {target} and ending the app's sessions", target=repr(plan.target)),
        force=True,
    )
    with inplace.writes_stopped(info, plan.target, Journal(settings.state_dir), log) as stop:
        safety = _safety_backup(settings, plan, reporter, log)
        with lock.hold(settings.backup_dir, "restore"):
            facts, tools = _prepare(settings, plan, log)
            rows = _inplace_restore(settings, plan, facts, tools, reporter, log)
    return Outcome(plan.target, plan.mode, str(plan.archive), safety, None, rows, writes_refused=stop.seconds)


def _undone(plan: RestorePlan) -> str:
    """What an interrupted restore left, as checked on the way out (the swap had not committed)."""
    if plan.mode == "swap":
        return say(
            "the restore stopped before the swap, so {target} keeps its previous data and no "
            "scratch database {scratch} is left",
            target=repr(plan.target),
            scratch=repr(plan.scratch),
        )
    return say(
        "the restore stopped before its load committed, so {target} keeps its previous data and accepts writes again",
        target=repr(plan.target),
    )


def _rotate(settings: Settings, target: str, log: Log, latest_safety: str | None = None) -> list[str]:
    """Keep the newest leftovers; the restore or rollback is done, so a failure here is only logged."""
    try:
        return leftovers.rotate(settings, target, log, latest_safety=latest_safety)
    except OperatorError as exc:
        log.warn(f"older safety backups and parked databases were not rotated: {exc.sentence}")
        return []


def _safety_backup(settings: Settings, plan: RestorePlan, reporter: Reporter, log: Log) -> str:
    reporter("safety backup", message=say("backing up {target} first", target=repr(plan.target)), force=True)
    safety = run_backup(settings_for(settings, plan.target), tier="safety", reporter=reporter)
    log.ok(f"safety backup of {plan.target!r}: {safety.files[0]}")
    reporter.check_cancel()
    return str(safety.files[0])


class _SafetyAlongside:
    """The safety backup of the live database in a thread, while the archive is loaded.

    The thread runs under this restore's hold on the volume's lock (``lock.lent``), so no
    other job starts meanwhile.
    ``wait`` (called just before the swap) returns the checked backup's path or raises its
    failure; leaving the block early cancels a backup still running and waits for it to
    remove what it wrote.
    """

    def __init__(self, settings: Settings, plan: RestorePlan, reporter: Reporter, log: Log):
        self.settings, self.plan, self.log = settings, plan, log
        self.reporter = Reporter(cancel=reporter.cancel)  # its own progress (the line shows the load); one cancel
        self.path: str | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=contextvars.copy_context().run, args=(self._run,), daemon=True)

    def __enter__(self) -> "_SafetyAlongside":
        self.log.info(f"safety backup of {self.plan.target!r} started alongside the load; the swap waits for it")
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            with lock.lent(self.settings.backup_dir):
                backup = run_backup(
                    settings_for(self.settings, self.plan.target), tier="safety", reporter=self.reporter
                )
            self.path = str(backup.files[0])
        except BaseException as exc:  # handed to the restore's thread by ``wait``
            self.error = exc

    def wait(self) -> str:
        while self.thread.is_alive():
            self.thread.join(0.2)  # short joins, so Ctrl-C and SIGTERM still reach the main thread
        if isinstance(self.error, (Cancelled, KeyboardInterrupt)):
            raise self.error
        if self.error is not None:
            sentence = getattr(self.error, "sentence", None) or f"{type(self.error).__name__}: {self.error}"
            raise OperatorError(
                say(
                    "the safety backup of {target} failed, so nothing was swapped: {why}",
                    target=repr(self.plan.target),
                    why=sentence,
                )
            )
        assert self.path is not None  # the thread ended without an error: it set the path
        self.log.ok(f"safety backup of {self.plan.target!r}: {self.path}")
        return self.path

    def __exit__(self, *exc: object) -> None:
        if self.thread.is_alive():
            self.reporter.cancel.set()
            self.thread.join()


def _prepare(settings: Settings, plan: RestorePlan, log: Log) -> tuple[server.TargetFacts, pgtools.ClientTools]:
    """The target's facts and the client to load with, after dropping what killed runs left."""
    info = settings.conninfo()
    facts = server.inspect(info, plan.target)
    tools = pgtools.choose(facts.server_major, settings.pg_bindir)
    server.drop_leftovers(info, facts, log)
    return facts, tools


def _swap_restore(
    settings: Settings,
    plan: RestorePlan,
    facts: server.TargetFacts,
    tools: pgtools.ClientTools,
    reporter: Reporter,
    log: Log,
    jobs: int,
    before_swap: Callable[[], str | None] | None = None,
) -> tuple[critical.Swapped, dict[str, int], list[str]]:
    info, scratch = settings.conninfo(), plan.scratch
    _create_scratch(info, scratch, facts, plan, log)
    try:
        spec = LoadSpec(
            info.with_dbname(scratch),
            tools,
            facts.server_major,
            _role_prologue(facts),
            plan.sha256,
            settings.restore.maintenance_work_mem_mb,
            rows=plan.rows if plan.sha256 and plan.rows else None,
        )
        try:
            dump = load_scratch(plan.archive, spec, jobs, reporter).dump
        except RowsDiffer as exc:
            # Pre-flight's counts (a manifest's, maybe from an older scanner) against the loaded
            # database: the archive's own decide, so count them as it streams, once.
            log.warn(f"{exc.sentence}; loading {plan.archive.name} again, counting its rows as it streams")
            _drop_scratch(info, scratch, log)
            _create_scratch(info, scratch, facts, plan, log)
            dump = load_scratch(plan.archive, replace(spec, rows=None), jobs, reporter).dump
        over = f" over {jobs} connections" if jobs > 1 else ""
        log.ok(
            f"loaded {plan.archive.name} into {scratch!r}{over}; every table holds the dump's row count "
            f"({len(dump.rows)} tables, {sum(dump.rows.values())} rows)"
        )
        with server.maintenance(info) as conn:
            refused = carry_over(info, conn, plan.target, scratch)
        for line in refused:
            log.warn(f"not carried over from {plan.target!r}: {line}")
        if before_swap is not None:
            reporter(
                "safety backup",
                message=say("waiting for the backup of {target} taken alongside", target=repr(plan.target)),
                force=True,
            )
            before_swap()
        critical.pause_point("loaded")
        reporter.check_cancel()
        reporter(
            "swap",
            message=say("swapping {scratch} in as {target}", scratch=repr(scratch), target=repr(plan.target)),
            force=True,
        )
        swapped = critical.swap(
            info, plan.target, scratch, plan.pre_restore, log, Journal(settings.state_dir), str(plan.archive)
        )
    except BaseException:
        _drop_scratch(info, scratch, log)
        raise
    return swapped, dump.rows, refused


def _create_scratch(info: ConnInfo, scratch: str, facts: server.TargetFacts, plan: RestorePlan, log: Log) -> None:
    """An empty database for the load, as the target is made (a second load starts from another)."""
    with server.maintenance(info) as conn:
        server.create_database(conn, scratch, facts.owner, facts.create_options)
    log.info(f"created {scratch!r} owned by {facts.owner}, with the encoding and locale of {plan.target!r}")


def _drop_scratch(info: ConnInfo, scratch: str, log: Log) -> None:
    """Drop the scratch database if it is still there (a signal acted on after the swap finds it renamed)."""
    with server.maintenance(info) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (scratch,)).fetchone():
            server.drop_database(conn, scratch)
            log.info(f"dropped {scratch!r}; the live database was not touched")


def _parked_differences(info: ConnInfo, parked: str, restored: dict[str, int], log: Log) -> dict[str, int] | None:
    """Per table, rows in the parked database minus rows restored (only where they differ).

    The restore already succeeded, so a failure here is logged, not raised (None: unknown).
    """
    try:
        with connect(info.with_dbname(parked)) as conn, server.refusals(f"counting the rows of {parked!r}"):
            tables = [
                t
                for (t,) in conn.execute(
                    "SELECT n.nspname || '.' || c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                    "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1"
                ).fetchall()
            ]
            counts = count_rows(conn, tables)
    except OperatorError as exc:
        log.warn(f"could not tell how {parked!r} differs from the restored database: {exc.sentence}")
        return None
    return {
        t: counts.get(t, 0) - restored.get(t, 0)
        for t in sorted(set(counts) | set(restored))
        if counts.get(t, 0) != restored.get(t, 0)
    }


def _inplace_restore(
    settings: Settings,
    plan: RestorePlan,
    facts: server.TargetFacts,
    tools: pgtools.ClientTools,
    reporter: Reporter,
    log: Log,
) -> dict[str, int]:
    target = settings.conninfo().with_dbname(plan.target)
    reset = inplace.inventory(target)
    public = server.schema_facts(target, "public")
    # The database's sessions default to read-only while writes are stopped; the load writes.  The
    # session default too: pg_dump ends its large objects' data with its own COMMIT.
    prologue = (
        "SET transaction_read_only = off;\nSET default_transaction_read_only = off;\n"
        + _role_prologue(facts)
        + "SET lock_timeout = '30s';\n"
        + inplace.reset_sql(reset, public)
    )
    log.info(
        f"loading {plan.archive.name} into {plan.target!r} in place, in one transaction that first drops "
        f"{reset.summary()}"
    )
    spec = LoadSpec(target, tools, facts.server_major, prologue, plan.sha256, settings.restore.maintenance_work_mem_mb)
    dump = load_archive(plan.archive, spec, reporter).dump
    log.ok(
        f"{plan.target!r} now holds the dump's {len(dump.rows)} tables and {sum(dump.rows.values())} rows, "
        "counts checked before the commit"
    )
    return dump.rows


@dataclass
class RollbackOutcome:
    target: str
    restored_from: str
    parked_as: str
    swap_attempts: int
    rotated: list[str] = field(default_factory=list)
    late_signals: list[str] = field(default_factory=list)  # signals that came after the swap had committed


def rollback(
    settings: Settings,
    target: str | None = None,
    *,
    confirm: str | None,
    now: datetime | None = None,
    log: Log | None = None,
) -> RollbackOutcome:
    """Swap back the database the latest swap parked; the database it replaces is parked in turn."""
    info = settings.conninfo()
    target = target or info.dbname
    settings.require_writable(N_("rollback"))
    check_confirm(target, confirm, N_("roll back"))
    log = log or _log(settings)
    with lock.hold(settings.backup_dir, "restore"):
        facts = server.inspect(info, target)
        previous = _rollback_source(settings, facts, target)
        parked = pre_restore_name(target, free_stamp(target, facts.pre_restores, now))
        log.info(f"rollback of {target!r}: bringing back {previous!r}")
        try:
            with server.refusals("the rollback"):
                swapped = critical.swap(info, target, previous, parked, log, Journal(settings.state_dir))
        except KeyboardInterrupt:
            log.error("rollback interrupted before its swap committed")
            raise Interrupted(
                say("the rollback stopped before the swap, so {target} was not changed", target=repr(target))
            ) from None
    with critical.held_signals() as caught:
        rotated = _rotate(settings, target, log)
    late = list(swapped.late_signals) + [n for n in critical.signal_names(caught) if n not in swapped.late_signals]
    return RollbackOutcome(target, previous, parked, swapped.attempts, rotated, late)


def last_swap(settings: Settings) -> LastSwap | None:
    """What the latest swap (restore or rollback) parked, as recorded on the backup volume."""
    return Journal(settings.state_dir).last()


def _rollback_source(settings: Settings, facts: server.TargetFacts, target: str) -> str:
    """The database the latest swap of ``target`` parked; the newest by name when no swap was recorded."""
    last = last_swap(settings)
    same_server = last is not None and (
        last.parked in facts.pre_restores or last.server == critical.server_key(settings.conninfo())
    )
    if last is not None and last.target == target and same_server:
        if last.parked not in facts.pre_restores:
            raise OperatorError(
                say(
                    "the database the latest swap of {target} parked, {parked}, no longer "
                    "exists, so there is nothing to roll back to",
                    target=repr(target),
                    parked=repr(last.parked),
                )
            )
        return last.parked
    if not facts.pre_restores:
        raise OperatorError(
            say(
                "there is no pre-restore copy of {target} to roll back to "
                "(an in-place restore keeps its safety backup instead)",
                target=repr(target),
            )
        )
    return max(facts.pre_restores)


def _journal_is_here(info: ConnInfo, intent: Intent) -> bool:
    """Whether the server a journal was written on is this one.

    The URL's host:port is not enough: the demo's port changes at each launch and one server
    answers as localhost and as 127.0.0.1.  So a server also matches by what only it holds:
    a swap's stamped databases (the incoming ``__restore_<stamp>`` or the parked
    ``__pre_restore_<stamp>``), an in-place restore's write stop on the database.
    """
    if critical.server_key(info) == intent.server:
        return True
    with server.maintenance(info) as conn, server.refusals("checking which server the journal is from"):
        if intent.kind == "swap":
            return (
                conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = ANY(%s)", ([intent.incoming, intent.parked],)
                ).fetchone()
                is not None
            )
        return intent.previous != "on" and inplace.read_only_setting(conn, intent.live) == "on"


def rollback_candidate(settings: Settings, target: str | None = None) -> str:
    """The database ``rollback`` would bring back (raises when there is none)."""
    info = settings.conninfo()
    target = target or info.dbname
    return _rollback_source(settings, server.inspect(info, target), target)


def recover(settings: Settings) -> str | None:
    """Finish or undo a swap a killed process left half-done; one sentence, or None when there was none.

    Cheap when there is nothing to do (one file read), so every command and the console
    call it first.  Never raises: a recovery that cannot run says why.
    """
    journal = Journal(settings.state_dir)
    try:
        intent = journal.pending()
    except ValueError as exc:
        return say(
            "the swap journal {path} cannot be read ({why}); check the databases by hand", path=journal.path, why=exc
        )
    if intent is None:
        return None
    if intent.writer_running():
        return None  # that restore is still running, and finishes itself
    where = {"live": repr(intent.live), "at": intent.at}
    unfinished = (
        say("a swap of {live} was interrupted at {at}", **where)
        if intent.kind == "swap"
        else say("an in-place restore of {live} was interrupted at {at}", **where)
    )
    if settings.read_only:
        return say("{unfinished}; run any command without --read-only to finish or undo it", unfinished=unfinished)
    try:
        info = settings.conninfo()
        if not _journal_is_here(info, intent):
            return say(
                "{unfinished} on {server}, not this server; run a command against that server",
                unfinished=unfinished,
                server=intent.server,
            )
        sentence = (critical.recover if intent.kind == "swap" else inplace.recover)(info, journal, intent)
    except OperatorError as exc:
        return say(
            "{unfinished} and could not be finished or undone now: {why}", unfinished=unfinished, why=exc.sentence
        )
    _log(settings).warn(sentence)
    return sentence
