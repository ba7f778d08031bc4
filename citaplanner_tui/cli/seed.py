"""``citaplanner-tui seed plan|apply``: review CitaPlanner's seed against a database, then apply it.

``seed plan`` exit codes (for scripts): 0 nothing would be created, 3 something would be
created, 1 a conflict or an error (a malformed ``--seed-file`` or ``--tz`` included, said in
one sentence before any database is reached). ``seed apply`` needs ``--confirm <database
name>`` and exits 0 when the seed is in place, 1 when it refused (nothing written).

The engine is imported inside ``run_plan`` and ``run_apply``, not at the top: building the
parser imports every command module, so ``--help`` and a bad option would otherwise load
all the engines (and psycopg, ~0.4 s) for nothing.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import TYPE_CHECKING, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from citaplanner_tui.core.i18n import N_, _, shown
from citaplanner_tui.cli.output import write_json, write_text
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.report import units

if TYPE_CHECKING:
    from citaplanner_tui.core.seed.plan import Item
    from citaplanner_tui.core.settings import Settings

ORDER = 70
EXIT_NOTHING_TO_CREATE = 0
EXIT_WOULD_CREATE = 3
EXIT_CONFLICT = 1
WIDTHS = (8, 11, 33)  # status, kind, key; the detail takes the rest of 80 columns


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "seed",
        help=_("plan or apply CitaPlanner's sample data (seed)"),
        description=_(
            "Compare the seed with the database (plan) or write what is "
            "missing (apply). The seed never changes existing rows."
        ),
    )
    steps = p.add_subparsers(dest="seed_command", metavar="STEP", required=True)
    plan = steps.add_parser(
        "plan",
        help=_("show what the seed would create, what exists, what differs"),
        description=_("Read-only. Exit code: 0 nothing to create, 3 something to create, 1 conflict or error."),
    )
    plan.add_argument("--json", action="store_true", help=_("print the plan as JSON on stdout"))
    plan.add_argument(
        "--seed-file",
        metavar="PATH",
        default=None,
        help=_(
            "plan this seed definition instead of the shipped one (JSON, or TOML "
            "if the name ends in .toml; the shape of the shipped definition.json)"
        ),
    )
    _add_tz(plan)
    plan.set_defaults(run=run_plan)
    apply = steps.add_parser(
        "apply",
        help=_("write the seed's missing rows (one transaction)"),
        description=_("Re-plans under a lock and writes what is missing, or nothing if any row conflicts."),
    )
    apply.add_argument(
        "--confirm", metavar="DATABASE", default=None, help=_("the target database's name, to show you mean it")
    )
    apply.add_argument("--json", action="store_true", help=_("print the result as JSON on stdout"))
    _add_tz(apply)
    apply.set_defaults(run=run_apply)


def _add_tz(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tz",
        metavar="ZONE",
        default=None,
        help=_(
            "time zone of the appointments' 'today' (default: this process's, "
            "as seed.ts; the app's container runs in UTC)"
        ),
    )


def _zone(name: str | None) -> str | None:
    """``--tz`` checked: a zone the tz database knows, or one sentence."""
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OperatorError(
            _("--tz {name} is not a time zone the tz database knows (e.g. UTC, America/Mexico_City)").format(
                name=repr(name)
            )
        ) from None
    return name


def run_plan(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.seed import data, plan_seed

    zone = _zone(args.tz)
    definition = data.load_definition(args.seed_file) if args.seed_file else data.SHIPPED
    with connect(settings.conninfo()) as conn:
        plan = plan_seed(conn, definition=definition, zone=zone)
    if args.json:
        write_json(plan.to_json())
    else:
        write_text(
            shown(plan.summary()),
            _("Seed: {source}; appointments' today: {clock}").format(source=plan.source, clock=plan.clock),
            *table_lines(plan.items),
        )
    if plan.conflicts:
        return EXIT_CONFLICT
    return EXIT_WOULD_CREATE if plan.creates else EXIT_NOTHING_TO_CREATE


def run_apply(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.seed import SeedError, apply_seed

    info = settings.conninfo()
    settings.require_writable(N_("seed apply"))
    zone = _zone(args.tz)
    if args.confirm is None:
        raise SeedError(
            _("seed apply needs --confirm {db} (the target database's name); nothing was written").format(
                db=info.dbname
            )
        )
    with connect(info) as conn:
        result = apply_seed(conn, confirm=args.confirm, zone=zone)
    if args.json:
        write_json({"created": result.created, "plan": result.plan.to_json()})
    elif result.created:
        rows = ", ".join(f"{table} {n}" for table, n in result.created.items())
        write_text(
            _("Created {n} rows in {db}: {rows}").format(n=sum(result.created.values()), db=info.dbname, rows=rows)
        )
    else:
        write_text(
            _("Nothing to create: {db} already has the seed ({summary})").format(
                db=info.dbname, summary=shown(result.plan.summary())
            )
        )
    return 0


def table_lines(items: Iterable[Item], width: int = 80) -> list[str]:
    """The plan as a table that fits ``width`` columns.

    Long details wrap under their column; a detail equal to the row above's (a group
    skipped for one reason) is written once.
    """
    status_w, kind_w, key_w = WIDTHS
    detail_w = width - status_w - kind_w - key_w - 3
    lines = [f"{_('STATUS'):<{status_w}} {_('KIND'):<{kind_w}} {_('KEY'):<{key_w}} {_('DETAIL')}"]
    indent = " " * (width - detail_w)
    previous = ""
    for item in items:
        key = units.clipped(item.key, key_w)
        same = item.detail and item.detail == previous
        previous = item.detail
        detail = [_("(same as above)")] if same else textwrap.wrap(item.detail, detail_w) or [""]
        lines.append(f"{item.status.value:<{status_w}} {item.kind:<{kind_w}} {key:<{key_w}} {detail[0]}".rstrip())
        lines.extend(indent + more for more in detail[1:])
    return lines
