"""``citaplanner-tui backup``: take a backup now (what cron runs every night).

The engine is imported inside ``run``, not at the top: building the parser imports every
command module, so ``--help`` and a bad option would otherwise load all the engines
(and psycopg, ~0.4 s) for nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from typing import TYPE_CHECKING

from citaplanner_tui.core.i18n import _, ngettext
from citaplanner_tui.cli.output import progress, write_json, write_text
from citaplanner_tui.core.report import units

if TYPE_CHECKING:
    from types import FrameType

    from citaplanner_tui.core.backup import BackupResult
    from citaplanner_tui.core.settings import Settings

ORDER = 10
TIER_CHOICES = ("auto", "daily", "weekly", "monthly", "manual")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backup",
        help=_("take a backup now"),
        description=_(
            "Dump the database once, compressed and checksummed, into BACKUP_DIR/<tier>/. "
            "'auto' files it as daily, plus weekly on Sundays and monthly on the 1st; "
            "then old backups of those tiers are pruned."
        ),
    )
    p.add_argument("--tier", choices=TIER_CHOICES, default="auto", help=_("where to file it (default: auto)"))
    p.add_argument(
        "--format", choices=("gzip", "zstd"), default=None, help=_("compression (default: the configured one, gzip)")
    )
    p.add_argument(
        "--with-globals",
        action="store_true",
        help=_(
            "also save the roles and their settings (pg_dumpall --globals-only) beside the dump "
            "(config: [backup] with_globals = true)"
        ),
    )
    p.add_argument("--json", action="store_true", help=_("print the result as JSON on stdout"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.backup import run_backup

    if args.format:
        settings = dataclasses.replace(settings, compression=args.format)
    if args.with_globals:
        settings = dataclasses.replace(settings, backup=dataclasses.replace(settings.backup, with_globals=True))
    signal.signal(signal.SIGTERM, _stop)  # cron, docker stop: clean up as on Ctrl-C
    with progress() as reporter:
        result = run_backup(settings, tier=args.tier, reporter=reporter)
    if args.json:
        write_json(result.to_json())
    else:
        write_text(one_line(result))
    for warning in result.warnings:
        print(f"WARN {warning}", file=sys.stderr)
    if settings.offsite:
        from citaplanner_tui.cli.offsite import push_after_backup

        push_after_backup(settings)
    return 0


def _stop(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, so the run removes its unfinished file and stops pg_dump."""
    raise KeyboardInterrupt


def one_line(result: BackupResult) -> str:
    """``OK path (size, time, also weekly; 2 old backups pruned)``: backups counted, not their sidecars."""
    also = "".join(_(", also {tier}").format(tier=p.parent.name) for p in result.files[1:])
    n = result.pruned_backups
    pruned = ngettext("{n} old backup pruned", "{n} old backups pruned", n).format(n=n)
    return f"OK {result.files[0]} ({units.size(result.size)}, {result.duration:.1f} s{also}; {pruned})"
