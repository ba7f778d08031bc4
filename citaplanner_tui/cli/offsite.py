"""``citaplanner-tui offsite push|verify|list|pull|prune``: the backups' copies on S3 targets.

Targets come from ``[[offsite]]`` in the config file; ``--target NAME`` picks one, else
every command works on all of them.  The engine (and boto3) is imported inside each
handler: ``--help`` and the other commands never load it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import TYPE_CHECKING, Any

from citaplanner_tui.cli.output import progress, write_json, write_text
from citaplanner_tui.core.report import units

if TYPE_CHECKING:  # the engine (and boto3) loads only when a step runs
    from citaplanner_tui.core.offsite.push import PushResult
    from citaplanner_tui.core.offsite.targets import Target
    from citaplanner_tui.core.settings import Settings
    from citaplanner_tui.core.volume.catalog import Entry

ORDER = 65


def register(sub: Any) -> None:
    p = sub.add_parser(
        "offsite",
        help="copies of the backups on S3-compatible targets: push, verify, list, pull, prune",
        description="Off-site copies on the [[offsite]] targets of the config file (credentials from "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the targets' *_file keys).",
    )
    steps = p.add_subparsers(dest="offsite_command", metavar="STEP", required=True)
    push = steps.add_parser("push", help="upload every good local backup a target lacks, then apply retention there")
    verify = steps.add_parser("verify", help="check every remote backup against its sidecar (exit 1 if any is bad)")
    verify.add_argument("--deep", action="store_true", help="also download every backup and hash it")
    listing = steps.add_parser("list", help="what each target holds")
    pull = steps.add_parser("pull", help="download a remote backup into the volume (then an ordinary backup)")
    pull.add_argument("key", help="the backup on the target: <tier>/<file> or just its file name")
    prune = steps.add_parser("prune", help="apply retention on each target (locked objects are left)")
    prune.add_argument("--dry-run", action="store_true", help="only show what would be deleted")
    for step, handler in (
        (push, run_push),
        (verify, run_verify),
        (listing, run_list),
        (pull, run_pull),
        (prune, run_prune),
    ):
        step.add_argument("--target", metavar="NAME", help="only this target (default: all; pull: the first)")
        step.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
        step.set_defaults(run=handler)


def _targets(args: argparse.Namespace, settings: Settings) -> tuple[Target, ...]:
    from citaplanner_tui.core.offsite.targets import find

    return find(settings.offsite, args.target)


def run_push(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.offsite.push import push

    settings.require_writable("offsite push")
    signal.signal(signal.SIGTERM, _stop)
    with progress() as reporter:
        results = push(settings, _targets(args, settings), reporter=reporter)
    if args.json:
        write_json([r.to_json() for r in results])
    else:
        write_text(*[push_line(r) for r in results])
    return 0 if all(r.ok for r in results) else 1


def push_line(result: PushResult) -> str:
    """``OK primary: 4 objects uploaded (12.0 MiB); 1 old backup pruned`` or ``FAIL primary: <sentence>``."""
    if not result.ok:
        return f"FAIL {result.target}: {result.error}"
    pruned = result.pruned
    tail = f"; {_n(len(pruned.removed), 'old backup')} pruned" if pruned else ""
    locked = f", {len(pruned.locked)} left under object lock" if pruned and pruned.locked else ""
    sent = _n(len(result.uploaded), "object")
    return f"OK {result.target}: {sent} uploaded ({units.size(result.bytes)}){tail}{locked}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.offsite.client import connect
    from citaplanner_tui.core.offsite.verify import verify_target

    checks = []
    with progress() as reporter:
        for target in _targets(args, settings):
            checks += verify_target(connect(target), target, settings, deep=args.deep, reporter=reporter)
    if args.json:
        write_json([c.to_json() for c in checks])
    else:
        write_text(*[f"{'OK' if c.ok else 'FAIL':4} {c.target}:{c.backup}  {c.detail}" for c in checks])
        if not checks:
            write_text("no backups on the off-site targets to verify")
    return 0 if checks and all(c.ok for c in checks) else 1


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from citaplanner_tui.core.offsite import report
    from citaplanner_tui.core.volume.catalog import scan

    settings = replace(settings, offsite=_targets(args, settings))
    reports = report.build(settings, scan(settings))
    if args.json:
        write_json([{**r.to_json(), "contents": [_held(e) for e in r.held]} for r in reports])
    else:
        for r in reports:
            lock = f", object lock {r.object_lock_days} days" if r.object_lock_days else ""
            if r.problem:
                write_text(f"{r.name}  {r.target.url}: FAIL {r.problem}")
                continue
            write_text(f"{r.name}  {r.target.url}: {_n(r.backups, 'backup')}, {units.size(r.size)}{lock}")
            write_text(*[f"  {e.state.word:<10} {e.path}  {units.size(e.size)}" for e in r.held])
    return 0 if all(r.problem is None for r in reports) else 1


def _held(e: Entry) -> dict[str, Any]:
    return {"backup": str(e.path), "state": e.state.value, "size": e.size}


def run_pull(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.offsite.client import connect
    from citaplanner_tui.core.offsite.pull import pull

    settings.require_writable("offsite pull")
    target = _targets(args, settings)[0]
    signal.signal(signal.SIGTERM, _stop)
    with progress() as reporter:
        path = pull(connect(target), target, settings, args.key, reporter=reporter)
    if args.json:
        write_json({"target": target.name, "path": str(path)})
    else:
        write_text(f"OK {path} (from {target.name}, checked against its sidecar)")
    return 0


def run_prune(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.offsite.client import connect
    from citaplanner_tui.core.offsite.prune import prune_target

    if not args.dry_run:
        settings.require_writable("offsite prune")
    outcomes = {t.name: prune_target(connect(t), t, settings, dry_run=args.dry_run) for t in _targets(args, settings)}
    if args.json:
        write_json({name: o.to_json() for name, o in outcomes.items()})
        return 0
    verb = "would delete" if args.dry_run else "deleted"
    for name, o in outcomes.items():
        gone = [(b, r) for b, r in o.plan if args.dry_run or b in o.removed]
        write_text(*[f"{verb} {name}:{b}  ({r})" for b, r in gone])
        for b, until in o.locked:
            write_text(
                f"left {name}:{b}: under object lock "
                + (f"until {until:%Y-%m-%d %H:%M} UTC" if until else "(legal hold)")
            )
        if not o.plan:
            write_text(f"nothing to prune on {name}: every tier is within its retention")
    return 0


def _stop(_signum: int, _frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C: a multipart upload is aborted, a partial download removed."""
    raise KeyboardInterrupt


def push_after_backup(settings: Settings) -> None:
    """After a backup: push to every target; a failure is a WARN line, never the backup's failure
    (the backup is already published, and the next push retries what is missing)."""
    from citaplanner_tui.core.errors import OperatorError
    from citaplanner_tui.core.offsite.push import push

    try:
        with progress() as reporter:
            results = push(settings, settings.offsite, reporter=reporter)
    except OperatorError as exc:
        print(f"WARN offsite push failed: {exc.sentence}", file=sys.stderr)
        return
    for r in results:
        if not r.ok:
            print(f"WARN offsite push to {r.target} failed: {r.error}", file=sys.stderr)
