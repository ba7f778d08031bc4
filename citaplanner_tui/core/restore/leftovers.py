"""What restores leave behind, kept to the newest few: safety backups and parked databases.

Every restore takes a safety backup (``BACKUP_DIR/safety``), and a swap parks the
previous database as ``<db>__pre_restore_<stamp>``.  Both are ways back, and both fill
the volume or the server if nobody removes them, so after each restore and rollback the
newest ``[restore] keep`` (default 3) of each are kept and older ones removed; never the
latest restore's safety backup, nor the database the latest swap parked (the one
``restore --rollback`` brings back).  ``leftovers`` lists them with their sizes, for
``status`` and the console, and also any scratch database a killed restore left.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.report import units
from citaplanner_tui.core.restore.journal import Journal
from citaplanner_tui.core.restore.server import maintenance, refusals
from citaplanner_tui.core.restore.sqltext import quote_ident
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume import catalog, lock
from citaplanner_tui.core.volume.prune import apply_removals
from citaplanner_tui.core.volume.retention import Removal

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection

SAFETY, PARKED, SCRATCH = "safety backup", "parked database", "scratch database"


@dataclass(frozen=True)
class Leftover:
    """One safety backup (``name`` is its path), parked or scratch database (``name`` is the database)."""

    kind: str
    name: str
    size: int | None  # bytes; None when it could not be read


def leftovers(settings: Settings, scan: catalog.Catalog | None = None) -> list[Leftover]:
    """The safety backups and the parked databases of the configured database, newest first.

    ``scan``: the volume's catalog when the caller has one.  The parked databases need
    the server; when it cannot be reached only the files are listed.
    """
    scan = scan if scan is not None else catalog.scan(settings)
    files = [Leftover(SAFETY, str(e.path), e.size) for e in scan.backups("safety")]
    try:
        info = settings.conninfo()
        with maintenance(info) as conn, refusals("listing the parked databases"):
            parked = _parked(conn, info.dbname)
            scratch = _databases(conn, f"{info.dbname}__restore_")
    except OperatorError:
        return files
    return (
        files
        + [Leftover(PARKED, name, size) for name, size in parked]
        + [Leftover(SCRATCH, name, size) for name, size in scratch]
    )


def lines(kept: list[Leftover]) -> list[str]:
    """The leftovers as ``status`` prints them, within 80 columns."""
    if not kept:
        return []
    out = ["", "restore leftovers (newest first; each restore keeps the newest few):"]
    for k in kept:
        name = Path(k.name).name if k.kind == SAFETY else k.name
        size = "-" if k.size is None else units.size(k.size)
        out.append(f"  {k.kind:16} {name[-48:]:48} {size:>10}")
    return out


def _parked(conn: Connection, db: str) -> list[tuple[str, int | None]]:
    """``(name, bytes)`` of ``db``'s ``__pre_restore_`` databases, newest first (the stamp sorts)."""
    return _databases(conn, f"{db}__pre_restore_")


def _databases(conn: Connection, prefix: str) -> list[tuple[str, int | None]]:
    """``(name, bytes)`` of the databases named ``prefix...``, newest first; a scratch database left by
    a killed restore is as large as the live one, so status names it too (the next restore drops it)."""
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT datname, CASE WHEN has_database_privilege(datname, 'CONNECT') THEN pg_database_size(datname) END "
            "FROM pg_database WHERE starts_with(datname, %s) ORDER BY 1 DESC",
            (prefix,),
        ).fetchall()
    ]


def rotate(settings: Settings, target: str, log: Log, *, latest_safety: str | None = None) -> list[str]:
    """Remove all but the newest ``keep`` safety backups and parked databases; return what went.

    Callers must not hold the volume's lock (this takes it for the files).  A parked
    database someone is connected to is kept, and said so in the log.
    """
    keep = settings.restore.keep
    removed: list[str] = []
    with lock.hold(settings.backup_dir, "restore"):
        old = [e for e in catalog.scan(settings).backups("safety")[keep:] if str(e.path) != latest_safety]
        gone = apply_removals([Removal(e, f"restores keep the newest {keep} safety backups") for e in old], log.write)
        removed += [str(e.path) for e in old if e.path in gone]
    last = Journal(settings.state_dir).last()
    with maintenance(settings.conninfo()) as conn, refusals("dropping older parked databases"):
        for name, _size in _parked(conn, target)[keep:]:
            if last is not None and name == last.parked:
                continue
            try:
                conn.execute(f"DROP DATABASE {quote_ident(name)}")
            except psycopg.errors.ObjectInUse:
                log.warn(f"kept the parked database {name!r}: someone is connected to it")
                continue
            log.info(f"dropped the parked database {name!r} (restores keep the newest {keep})")
            removed.append(name)
    return removed
