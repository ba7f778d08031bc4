"""``citaplanner-tui drill``: prove a backup restores, without touching the live database.

The engine is imported inside ``run``, not at the top: building the parser imports every
command module, so ``--help`` and a bad option would otherwise load all the engines
(and psycopg, ~0.4 s) for nothing.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from citaplanner_tui.core.i18n import _, say, shown
from citaplanner_tui.cli.output import progress, write_json, write_text
from citaplanner_tui.core.errors import OperatorError

if TYPE_CHECKING:
    from citaplanner_tui.core.settings import Settings
from citaplanner_tui.cli.restore import add_jobs, with_jobs

ORDER = 60


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "drill",
        help=_("test-restore a backup into a scratch database"),
        description=_(
            "Restore the newest good backup (or FILE) into a scratch database, check every "
            "table's row count, compare them with the live database, drop the scratch "
            "database and record the result. The live database is only read."
        ),
    )
    p.add_argument("file", nargs="?", help=_("the backup to drill (default: the newest good one)"))
    p.add_argument(
        "--from-offsite",
        metavar="TARGET:KEY",
        help=_("drill a backup of an off-site target (downloaded and checked first)"),
    )
    add_jobs(p)
    p.add_argument("--json", action="store_true", help=_("print the result as JSON on stdout"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.restore import drill

    with progress() as reporter:
        if args.from_offsite:
            from citaplanner_tui.core.offsite.pull import fetch

            if args.file:
                raise OperatorError(say("give a backup file or --from-offsite, not both"))
            args.file = str(fetch(settings, args.from_offsite, reporter=reporter))
        result = drill(with_jobs(settings, args.jobs), args.file, reporter=reporter)
    if args.json:
        write_json(result.to_dict())
        return 0
    write_text(
        _("OK drill of {archive}: {summary} ({seconds} s)").format(
            archive=result.archive, summary=shown(result.summary), seconds=f"{result.seconds:.1f}"
        )
    )
    for table, rows in sorted(result.rows.items()):
        live = result.live_rows.get(table)
        diff = (
            ""
            if live == rows
            else (_("  (gone from live)") if live is None else _("  (live {diff})").format(diff=f"{live - rows:+d}"))
        )
        write_text(f"  {table:<36}{rows:>12}{diff}")
    return 0
