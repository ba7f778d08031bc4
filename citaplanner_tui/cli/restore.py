"""``citaplanner-tui restore``: bring a backup back, planned, confirmed, checked, reversible.

The engine is imported inside ``run``, not at the top: building the parser imports every
command module, so ``--help`` and a bad option would otherwise load all the engines
(and psycopg, ~0.4 s) for nothing.
"""

from __future__ import annotations

import argparse
import signal
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from citaplanner_tui.core.i18n import N_, _, shown
from citaplanner_tui.cli.output import progress, write_result
from citaplanner_tui.core.errors import OperatorError

if TYPE_CHECKING:
    from types import FrameType

    from citaplanner_tui.core.restore.plan import RestorePlan
    from citaplanner_tui.core.settings import Settings

ORDER = 50


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "restore",
        help=_("restore a backup (planned, confirmed, reversible)"),
        description=_(
            "Check the backup and the server, take a safety backup, load the backup into a "
            "scratch database, check every table's row count, then swap it in place of the "
            "live database, which is kept for --rollback (connections are refused for a few "
            "seconds at most). A role that may not create databases restores in place, in one "
            "transaction; writes are refused from before the safety backup until it commits."
        ),
    )
    p.add_argument("file", nargs="?", help=_("the backup file (.sql.gz or .sql.zst)"))
    p.add_argument(
        "--from-offsite",
        metavar="TARGET:KEY",
        help=_("restore a backup of an off-site target: downloaded into the volume and checked first"),
    )
    p.add_argument("--target", help=_("database to restore over (default: the one in DATABASE_URL)"))
    p.add_argument("--confirm", metavar="DB", help=_("the target database's name, typed again (required)"))
    add_jobs(p)
    p.add_argument(
        "--mode",
        choices=("swap", "in-place"),
        help=_("default: swap when the role may create databases, else in-place"),
    )
    p.add_argument("--plan", action="store_true", help=_("show what would happen and change nothing"))
    p.add_argument(
        "--rollback",
        action="store_true",
        help=_("swap back in the database the latest swap (restore or rollback) parked"),
    )
    p.add_argument("--json", action="store_true", help=_("print the result as JSON on stdout"))
    p.set_defaults(run=run)


def add_jobs(p: argparse.ArgumentParser) -> None:
    """``--jobs N`` (restore and drill): the connections the scratch database is loaded over."""
    p.add_argument(
        "--jobs",
        type=_jobs,
        metavar="N",
        help=_(
            "load the scratch database over N connections at once (default: [restore] jobs, else one per "
            "core; 1: one transaction); in-place restores always use one"
        ),
    )


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            _("--jobs takes a whole number of connections, 1 or more, not {text!r}").format(text=text)
        )
    return int(text)


def with_jobs(settings: Settings, jobs: int | None) -> Settings:
    """The settings with ``--jobs`` in place of ``[restore] jobs`` when given."""
    return settings if jobs is None else replace(settings, restore=replace(settings.restore, jobs=jobs))


def run(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core import restore
    from citaplanner_tui.core.restore.plan import check_confirm

    settings = with_jobs(settings, args.jobs)

    for sig in (signal.SIGTERM, signal.SIGHUP):  # docker stop, a dropped terminal: clean up as on Ctrl-C
        signal.signal(sig, _unwind)
    target = args.target or settings.conninfo().dbname
    if args.rollback:
        if args.file:
            raise OperatorError(_("--rollback takes no backup file: it brings back the database the last restore kept"))
        if args.plan:
            back = restore.rollback_candidate(settings, target)
            return _show(
                {"target": target, "would_bring_back": back},
                args.json,
                _("rollback would bring back {back} as {target}; nothing was changed").format(
                    back=repr(back), target=repr(target)
                ),
            )
        done = restore.rollback(settings, target, confirm=args.confirm)
        return _show(
            done.__dict__,
            args.json,
            _("OK {restored} is {target} again; the database it replaced is kept as {parked}").format(
                restored=repr(done.restored_from), target=repr(target), parked=repr(done.parked_as)
            )
            + _rotated(done.rotated)
            + _late(done.late_signals, rollback=True),
        )
    if args.from_offsite:
        args.file = _from_offsite(args, settings)
    if not args.file:
        raise OperatorError(_("name the backup file to restore (see 'citaplanner-tui status' for the list)"))
    if not args.plan:  # refuse before reading a large archive
        settings.require_writable(N_("restore"))
        check_confirm(target, args.confirm)
    with progress() as reporter:
        plan = restore.preflight(settings, args.file, target=target, mode=args.mode, reporter=reporter)
    if args.plan:
        _show(plan.to_dict(), args.json, render_plan(plan))
        return 0 if plan.ok else 1
    if not plan.ok:
        print(render_plan(plan), file=sys.stderr)
    with progress() as reporter:
        outcome = restore.execute(settings, plan, confirm=args.confirm, reporter=reporter)
    return _show(
        outcome.to_dict(),
        args.json,
        _(
            "OK {archive} restored into {target} ({mode} mode, {rows} rows in {tables} tables checked, "
            "{seconds} s); {undo}"
        ).format(
            archive=plan.archive.name,
            target=repr(target),
            mode=outcome.mode,
            rows=sum(outcome.rows.values()),
            tables=len(outcome.rows),
            seconds=f"{outcome.seconds:.1f}",
            undo=shown(outcome.undo),
        )
        + _rotated(outcome.rotated)
        + _late(outcome.late_signals)
        + "".join(
            "\n" + _("WARN not carried over from the live database: {line}").format(line=line)
            for line in outcome.not_carried
        ),
    )


def _from_offsite(args: argparse.Namespace, settings: Settings) -> str:
    from citaplanner_tui.core.offsite.pull import fetch

    if args.file:
        raise OperatorError(_("give a backup file or --from-offsite, not both"))
    with progress() as reporter:
        return str(fetch(settings, args.from_offsite, reporter=reporter))


def _rotated(names: list[str]) -> str:
    return _("; removed older leftovers: {names}").format(names=", ".join(names)) if names else ""


def _late(signals: list[str], rollback: bool = False) -> str:
    """The interrupt that came once the swap had committed: the work was done, so it finished instead."""
    if not signals:
        return ""
    said = (
        _(
            "NOTE the interrupt ({signals}) came after the swap had committed, "
            "so the rollback was finished rather than undone"
        )
        if rollback
        else _(
            "NOTE the interrupt ({signals}) came after the swap had committed, "
            "so the restore was finished rather than undone"
        )
    )
    return "\n" + said.format(signals=", ".join(signals))


def _unwind(_signum: int, _frame: FrameType | None) -> None:
    """Unwind like Ctrl-C: the load rolls back, the scratch database goes, writes are allowed again
    (inside the swap's critical section the engine holds the signal until the section is over)."""
    raise KeyboardInterrupt


def _show(data: dict, as_json: bool, text: str) -> int:
    write_result(as_json, data, text)
    return 0


def render_plan(plan: RestorePlan) -> str:
    """The plan as the operator reads it: facts, checks (OK/WARN/FAIL), then numbered steps."""
    lines = [
        _("Restore plan: {archive} -> {target} on {server}").format(
            archive=plan.archive.name, target=repr(plan.target), server=plan.server
        ),
        _(
            "  dump of PostgreSQL {source} by pg_dump {pg_dump}; {tables} tables, {rows} rows; target runs {version}"
        ).format(
            source=plan.source_version,
            pg_dump=plan.pg_dump_version,
            tables=len(plan.rows),
            rows=sum(plan.rows.values()),
            version=plan.target_version,
        ),
        _("  mode: {mode}").format(mode=plan.mode),
        _("Checks:"),
    ]
    width = max([12, *(len(_(c.name)) + 2 for c in plan.checks)])  # the names in the operator's language
    for c in plan.checks:
        lines.append(f"  {c.word:<5}{_(c.name):<{width}}{shown(c.detail)}")
    lines.append(_("Steps:") if plan.ok else _("Steps (will not run until the FAIL checks are fixed):"))
    lines += [f"  {i}. {shown(s.name)}: {shown(s.detail)}" for i, s in enumerate(plan.steps, 1)]
    return "\n".join(lines)
