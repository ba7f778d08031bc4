"""``citaplanner-tui prune``: apply retention now, or show what it would delete.

The engine is imported inside ``run``, not at the top: building the parser imports every
command module, so ``--help`` and a bad option would otherwise load all the engines
(and psycopg, ~0.4 s) for nothing.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from citaplanner_tui.core.i18n import _
from citaplanner_tui.cli.output import write_json, write_text

if TYPE_CHECKING:
    from citaplanner_tui.core.settings import Settings

ORDER = 40


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "prune",
        help=_("delete backups beyond the retention counts"),
        description=_(
            "Keep the newest N good backups of each rotated tier (daily, weekly, monthly); "
            "never the newest good one, never manual or safety backups, never files that "
            "are not ours."
        ),
    )
    p.add_argument("--dry-run", action="store_true", help=_("only show what would be deleted"))
    p.add_argument("--json", action="store_true", help=_("print the plan as JSON on stdout"))
    p.add_argument("--keep-daily", type=int, help=_("days to keep a daily backup of (default 7)"))
    p.add_argument("--keep-weekly", type=int, help=_("weeks to keep a weekly backup of (default 4)"))
    p.add_argument("--keep-monthly", type=int, help=_("months to keep a monthly backup of (default 6)"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.volume.prune import prune

    result = prune(settings, dry_run=args.dry_run)
    if args.json:
        write_json(
            {
                "dry_run": args.dry_run,
                "kept": [
                    {"path": str(k.entry.path), "tier": k.entry.tier, "period": k.period, "reason": k.reason}
                    for k in result.kept
                ],
                "plan": [
                    {
                        "path": str(r.entry.path),
                        "tier": r.entry.tier,
                        "reason": r.reason,
                        "files": [str(p) for p in r.paths],
                    }
                    for r in result.removals
                ],
                "deleted": [str(p) for p in result.deleted],
            }
        )
        return 0
    if args.dry_run:
        for k in result.kept:
            write_text(_("would keep {path}  ({reason})").format(path=k.entry.path, reason=k.reason))
    said = _("would delete {path}  ({reason})") if args.dry_run else _("deleted {path}  ({reason})")
    for r in result.removals:
        write_text(said.format(path=r.entry.path, reason=r.reason))
    if not result.removals:
        write_text(_("nothing to prune: every tier is within its retention"))
    return 0
