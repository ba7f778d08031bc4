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

from citaplanner_tui.cli.output import progress, write_result
from citaplanner_tui.core.errors import OperatorError

ORDER = 50


def register(sub) -> None:
    p = sub.add_parser(
        "restore",
        help="restore a backup (planned, confirmed, reversible)",
        description="Check the backup and the server, take a safety backup, load the backup into a "
        "scratch database, check every table's row count, then swap it in place of the "
        "live database, which is kept for --rollback (connections are refused for a few "
        "seconds at most). A role that may not create databases restores in place, in one "
        "transaction; writes are refused from before the safety backup until it commits.",
    )
    p.add_argument("file", nargs="?", help="the backup file (.sql.gz or .sql.zst)")
    p.add_argument("--target", help="database to restore over (default: the one in DATABASE_URL)")
    p.add_argument("--confirm", metavar="DB", help="the target database's name, typed again (required)")
    p.add_argument(
        "--mode", choices=("swap", "in-place"), help="default: swap when the role may create databases, else in-place"
    )
    p.add_argument("--plan", action="store_true", help="show what would happen and change nothing")
    add_jobs(p)
    p.add_argument(
        "--rollback", action="store_true", help="swap back in the database the latest swap (restore or rollback) parked"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(run=run)


def add_jobs(p) -> None:
    """``--jobs N`` (restore and drill): the connections the scratch database is loaded over."""
    p.add_argument(
        "--jobs",
        type=_jobs,
        metavar="N",
        help="load the scratch database over N connections at once (default: [restore] jobs, else one per "
        "core; 1: one transaction, as before); in-place restores always use one",
    )


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"--jobs takes a whole number of connections, 1 or more, not {text!r}")
    return int(text)


def with_jobs(settings, jobs: int | None):
    """The settings with ``--jobs`` in place of ``[restore] jobs`` when given."""
    return settings if jobs is None else replace(settings, restore=replace(settings.restore, jobs=jobs))


def run(args, settings) -> int:
    from citaplanner_tui.core import restore
    from citaplanner_tui.core.restore.plan import check_confirm

    settings = with_jobs(settings, args.jobs)

    for sig in (signal.SIGTERM, signal.SIGHUP):  # docker stop, a dropped terminal: clean up as on Ctrl-C
        signal.signal(sig, _unwind)
    target = args.target or settings.conninfo().dbname
    if args.rollback:
        if args.file:
            raise OperatorError("--rollback takes no backup file: it brings back the database the last restore kept")
        if args.plan:
            back = restore.rollback_candidate(settings, target)
            return _show(
                {"target": target, "would_bring_back": back},
                args.json,
                f"rollback would bring back {back!r} as {target!r}; nothing was changed",
            )
        done = restore.rollback(settings, target, confirm=args.confirm)
        return _show(
            done.__dict__,
            args.json,
            f"OK {done.restored_from!r} is {target!r} again; the database it "
            f"replaced is kept as {done.parked_as!r}" + _rotated(done.rotated) + _late(done.late_signals, "rollback"),
        )
    if not args.file:
        raise OperatorError("name the backup file to restore (see 'citaplanner-tui status' for the list)")
    if not args.plan:  # refuse before reading a large archive
        settings.require_writable("restore")
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
        f"OK {plan.archive.name} restored into {target!r} ({outcome.mode} mode, "
        f"{sum(outcome.rows.values())} rows in {len(outcome.rows)} tables checked, "
        f"{outcome.seconds:.1f} s); {outcome.undo}"
        + _rotated(outcome.rotated)
        + _late(outcome.late_signals, "restore")
        + "".join(f"\nWARN not carried over from the live database: {line}" for line in outcome.not_carried),
    )


def _rotated(names: list[str]) -> str:
    return f"; removed older leftovers: {', '.join(names)}" if names else ""


def _late(signals: list[str], what: str) -> str:
    """The interrupt that came once the swap had committed: the work was done, so it finished instead."""
    if not signals:
        return ""
    return (
        f"\nNOTE the interrupt ({', '.join(signals)}) came after the swap had committed, so the {what} "
        "was finished rather than undone"
    )


def _unwind(_signum, _frame) -> None:
    """Unwind like Ctrl-C: the load rolls back, the scratch database goes, writes are allowed again
    (inside the swap's critical section the engine holds the signal until the section is over)."""
    raise KeyboardInterrupt


def _show(data: dict, as_json: bool, text: str) -> int:
    write_result(as_json, data, text)
    return 0


def render_plan(plan) -> str:
    """The plan as the operator reads it: facts, checks (OK/WARN/FAIL), then numbered steps."""
    lines = [
        f"Restore plan: {plan.archive.name} -> {plan.target!r} on {plan.server}",
        f"  dump of PostgreSQL {plan.source_version} by pg_dump {plan.pg_dump_version}; "
        f"{len(plan.rows)} tables, {sum(plan.rows.values())} rows; target runs {plan.target_version}",
        f"  mode: {plan.mode}",
        "Checks:",
    ]
    for c in plan.checks:
        lines.append(f"  {c.word:<5}{c.name:<12}{c.detail}")
    lines.append("Steps:" if plan.ok else "Steps (will not run until the FAIL checks are fixed):")
    lines += [f"  {i}. {s.name}: {s.detail}" for i, s in enumerate(plan.steps, 1)]
    return "\n".join(lines)
