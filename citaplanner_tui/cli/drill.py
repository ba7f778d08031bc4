"""``citaplanner-tui drill``: prove a backup restores, without touching the live database.

The engine is imported inside ``run``, not at the top: building the parser imports every
command module, so ``--help`` and a bad option would otherwise load all the engines
(and psycopg, ~0.4 s) for nothing.
"""

from __future__ import annotations

from citaplanner_tui.cli.output import progress, write_json, write_text
from citaplanner_tui.cli.restore import add_jobs, with_jobs

ORDER = 60


def register(sub) -> None:
    p = sub.add_parser(
        "drill",
        help="test-restore a backup into a scratch database",
        description="Restore the newest good backup (or FILE) into a scratch database, check every "
        "table's row count, compare them with the live database, drop the scratch "
        "database and record the result. The live database is only read.",
    )
    p.add_argument("file", nargs="?", help="the backup to drill (default: the newest good one)")
    add_jobs(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(run=run)


def run(args, settings) -> int:
    from citaplanner_tui.core.restore import drill

    with progress() as reporter:
        result = drill(with_jobs(settings, args.jobs), args.file, reporter=reporter)
    if args.json:
        write_json(result.to_dict())
        return 0
    write_text(f"OK drill of {result.archive}: {result.summary} ({result.seconds:.1f} s)")
    for table, rows in sorted(result.rows.items()):
        live = result.live_rows.get(table)
        diff = "" if live == rows else ("  (gone from live)" if live is None else f"  (live {live - rows:+d})")
        write_text(f"  {table:<36}{rows:>12}{diff}")
    return 0
