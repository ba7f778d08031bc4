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
from citaplanner_tui.core.i18n import N_, _, ngettext, shown
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
        help=_("copies of the backups on S3-compatible targets: push, verify, list, pull, prune"),
        description=_(
            "Off-site copies on the [[offsite]] targets of the config file (credentials from "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the targets' *_file keys)."
        ),
    )
    steps = p.add_subparsers(dest="offsite_command", metavar="STEP", required=True)
    push = steps.add_parser("push", help=_("upload every good local backup a target lacks, then apply retention there"))
    verify = steps.add_parser("verify", help=_("check every remote backup against its sidecar (exit 1 if any is bad)"))
    verify.add_argument("--deep", action="store_true", help=_("also download every backup and hash it"))
    listing = steps.add_parser("list", help=_("what each target holds"))
    pull = steps.add_parser("pull", help=_("download a remote backup into the volume (then an ordinary backup)"))
    pull.add_argument("key", help=_("the backup on the target: <tier>/<file> or just its file name"))
    prune = steps.add_parser("prune", help=_("apply retention on each target (locked objects are left)"))
    prune.add_argument("--dry-run", action="store_true", help=_("only show what would be deleted"))
    for step, handler in (
        (push, run_push),
        (verify, run_verify),
        (listing, run_list),
        (pull, run_pull),
        (prune, run_prune),
    ):
        step.add_argument("--target", metavar="NAME", help=_("only this target (default: all; pull: the first)"))
        step.add_argument("--json", action="store_true", help=_("print the result as JSON on stdout"))
        step.set_defaults(run=handler)


def _targets(args: argparse.Namespace, settings: Settings) -> tuple[Target, ...]:
    from citaplanner_tui.core.offsite.targets import find

    return find(settings.offsite, args.target)


def run_push(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.offsite.push import push

    settings.require_writable(N_("offsite push"))
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
        return f"FAIL {result.target}: {shown(result.error or '')}"
    pruned = result.pruned
    tail = ""
    if pruned:
        n = len(pruned.removed)
        tail = ngettext("; {n} old backup pruned", "; {n} old backups pruned", n).format(n=n)
    if pruned and pruned.locked:
        n = len(pruned.locked)
        tail += ngettext(", {n} left under object lock", ", {n} left under object lock", n).format(n=n)
    n = len(result.uploaded)
    sent = ngettext("{n} object uploaded ({size})", "{n} objects uploaded ({size})", n)
    return f"OK {result.target}: {sent.format(n=n, size=units.size(result.bytes))}{tail}"


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
        write_text(*[f"{'OK' if c.ok else 'FAIL':4} {c.target}:{c.backup}  {shown(c.detail)}" for c in checks])
        if not checks:
            write_text(_("no backups on the off-site targets to verify"))
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
            days = r.object_lock_days
            lock = ngettext(", object lock {n} day", ", object lock {n} days", days).format(n=days) if days else ""
            if r.problem:
                write_text(f"{r.name}  {r.target.url}: FAIL {shown(r.problem)}")
                continue
            held = ngettext("{n} backup, {size}", "{n} backups, {size}", r.backups)
            write_text(f"{r.name}  {r.target.url}: {held.format(n=r.backups, size=units.size(r.size))}{lock}")
            write_text(*[f"  {_(e.state.word):<10} {e.path}  {units.size(e.size)}" for e in r.held])
    return 0 if all(r.problem is None for r in reports) else 1


def _held(e: Entry) -> dict[str, Any]:
    return {"backup": str(e.path), "state": e.state.value, "size": e.size}


def run_pull(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.offsite.client import connect
    from citaplanner_tui.core.offsite.pull import pull

    settings.require_writable(N_("offsite pull"))
    target = _targets(args, settings)[0]
    signal.signal(signal.SIGTERM, _stop)
    with progress() as reporter:
        path = pull(connect(target), target, settings, args.key, reporter=reporter)
    if args.json:
        write_json({"target": target.name, "path": str(path)})
    else:
        write_text(
            "OK " + _("{path} (from {target}, checked against its sidecar)").format(path=path, target=target.name)
        )
    return 0


def run_prune(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.offsite.client import connect
    from citaplanner_tui.core.offsite.prune import prune_target

    if not args.dry_run:
        settings.require_writable(N_("offsite prune"))
    outcomes = {t.name: prune_target(connect(t), t, settings, dry_run=args.dry_run) for t in _targets(args, settings)}
    if args.json:
        write_json({name: o.to_json() for name, o in outcomes.items()})
        return 0
    said = _("would delete {path}  ({reason})") if args.dry_run else _("deleted {path}  ({reason})")
    for name, o in outcomes.items():
        gone = [(b, r) for b, r in o.plan if args.dry_run or b in o.removed]
        write_text(*[said.format(path=f"{name}:{b}", reason=shown(r)) for b, r in gone])
        for b, until in o.locked:
            lock = _("until {when} UTC").format(when=f"{until:%Y-%m-%d %H:%M}") if until else _("(legal hold)")
            write_text(_("left {backup}: under object lock {lock}").format(backup=f"{name}:{b}", lock=lock))
        if not o.plan:
            write_text(_("nothing to prune on {target}: every tier is within its retention").format(target=name))
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
        print("WARN " + _("offsite push failed: {why}").format(why=shown(exc.sentence)), file=sys.stderr)
        return
    for r in results:
        if not r.ok:
            failed = _("offsite push to {target} failed: {why}").format(target=r.target, why=shown(r.error or ""))
            print("WARN " + failed, file=sys.stderr)
