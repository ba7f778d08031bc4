"""Restore drill: prove a backup restores, without going near the live database.

The backup (the newest good one, or the one named) is loaded into a scratch database
``<db>__drill_<stamp>`` exactly as a swap restore would load it (over ``[restore] jobs``
connections), the per-table row counts
are checked against the dump's, and compared with the live database's current counts
(read only) so the operator sees how far the backup is from now.  The scratch
database is always dropped, and the result is recorded for ``status`` and the TUI
("last drill OK, 2 days ago").
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from citaplanner_tui.core.i18n import N_, Message, listed, say
from citaplanner_tui.core.errors import ConnectionFailed, OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.pg import tools as pgtools
from citaplanner_tui.core.pg.connect import connect, one_row
from citaplanner_tui.core.pg.conninfo import ConnInfo
from citaplanner_tui.core.restore import server
from citaplanner_tui.core.restore.load import LoadSpec
from citaplanner_tui.core.restore.parallel import jobs_for, load_scratch
from citaplanner_tui.core.restore.plan import drill_name, new_stamp
from citaplanner_tui.core.restore.validate import count_rows, qualified
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.stream.archive import require_identity
from citaplanner_tui.core.verify import targets
from citaplanner_tui.core.volume import lock
from citaplanner_tui.core.volume.catalog import entry_for, scan
from citaplanner_tui.core.volume.naming import ROTATED_TIERS
from citaplanner_tui.core.volume.records import Records


@dataclass
class DrillResult:
    """A successful drill: the dump's counts, the live database's, and the difference."""

    archive: str
    database: str
    rows: dict[str, int]
    live_rows: dict[str, int | None] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def differences(self) -> dict[str, int | None]:
        """Live minus backup, per table that differs (None: the table is gone from live)."""
        out: dict[str, int | None] = {}
        for table, rows in self.rows.items():
            live = self.live_rows.get(table)
            if live != rows:
                out[table] = None if live is None else live - rows
        return out

    @property
    def summary(self) -> Message:
        diff = self.differences
        far = (
            say("differs from live in {tables}", tables=listed([_difference(t, d) for t, d in diff.items()]))
            if diff
            else say("matches the live database")
        )
        return say(
            "restored {tables} tables, {rows} rows, counts verified; {far}",
            tables=len(self.rows),
            rows=sum(self.rows.values()),
            far=far,
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": True, "differences": self.differences, "summary": self.summary}


def _difference(table: str, d: int | None) -> Message:
    if d is None:
        return say("{table} (gone from live)", table=table)
    return say("{table} ({diff} rows live)", table=table, diff=f"{d:+d}")


def choose_backup(settings: Settings) -> Path:
    """The newest good backup of a rotated tier: what a restore would most likely use.

    Never a safety backup (a restore just made it from the database as it was) nor a
    manual one, unless named.
    """
    catalog = scan(settings)
    good = [e for e in (catalog.newest_good(t) for t in ROTATED_TIERS) if e is not None]
    if not good:
        raise OperatorError(
            say(
                "there is no good backup of a rotated tier (daily, weekly, monthly) in "
                "{dir} to drill; name a file to drill it",
                dir=settings.backup_dir,
            )
        )
    return max(good, key=lambda e: e.when).path


def live_counts(info: ConnInfo, tables: list[str]) -> dict[str, int | None]:
    """Current rows per table in the live database (None for a table it lacks, or all None if it is gone)."""
    try:
        with connect(info) as conn:
            present = [t for t in tables if one_row(conn, "SELECT to_regclass(%s)", (qualified(t),))[0] is not None]
            counts = count_rows(conn, present)
    except ConnectionFailed:
        counts = {}
    return {t: counts.get(t) for t in tables}


def drill(
    settings: Settings,
    archive: Path | None = None,
    *,
    reporter: Reporter | None = None,
    now: datetime | None = None,
    log: Log | None = None,
) -> DrillResult:
    """Run one drill and record it; raise an ``OperatorError`` (recorded too) if it fails."""
    settings.require_writable(N_("a drill (it creates a scratch database)"))
    reporter = reporter or Reporter()
    log = log or Log(settings.logs, "restore")
    # A named file passes the same gate as verify and restore: a backup of ours, not a sidecar,
    # a symlink or a stranger's file (whose load would run arbitrary SQL on the server).
    archive = targets(settings, [archive])[0].path if archive else choose_backup(settings)
    try:
        st = os.stat(archive)
    except OSError as exc:
        raise OperatorError(say("cannot read {path}: {why}", path=archive, why=exc.strerror)) from None
    require_identity(archive)  # not recorded as a failed drill: the backup may be fine
    store = Records(settings)
    started = time.monotonic()
    log.info(f"drill of {archive} started")
    try:
        with server.refusals("a step of the drill"):
            result = _drill(settings, archive, reporter, now, log)
    except OperatorError as exc:
        log.error(f"drill of {archive.name} failed: {exc.sentence}")
        store.record(archive, "drill", False, exc.sentence, size=st.st_size, mtime_ns=st.st_mtime_ns)
        raise
    result.seconds = round(time.monotonic() - started, 3)
    store.record(
        archive,
        "drill",
        True,
        result.summary,
        {"rows": result.rows, "live_rows": result.live_rows, "seconds": result.seconds},
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
    )
    log.ok(f"drill of {archive.name}: {result.summary}")
    return result


def _drill(settings: Settings, archive: Path, reporter: Reporter, now: datetime | None, log: Log) -> DrillResult:
    info = settings.conninfo()
    with lock.hold(settings.backup_dir, "drill"):
        facts = server.inspect(info, info.dbname)
        if not facts.can_create:
            raise OperatorError(
                say("a drill needs a role that may create databases; {user} may not", user=repr(facts.user))
            )
        tools = pgtools.choose(facts.server_major, settings.pg_bindir)
        server.drop_leftovers(info, facts, log)
        scratch = drill_name(info.dbname, new_stamp(now))
        with server.maintenance(info) as conn:
            server.create_database(conn, scratch, facts.user, facts.create_options)
        try:
            entry = entry_for(archive, settings)
            sealed = entry.recorded_hash if entry is not None else None  # its sidecar's
            spec = LoadSpec(
                info.with_dbname(scratch),
                tools,
                facts.server_major,
                sealed=sealed,
                work_mem_mb=settings.restore.maintenance_work_mem_mb,
            )
            # Every table's rows are checked inside the load, before its COMMIT.
            rows = load_scratch(archive, spec, jobs_for(settings), reporter).dump.rows
        finally:
            with server.maintenance(info) as conn:
                server.drop_database(conn, scratch)
            log.info(f"dropped the drill database {scratch!r}")
    return DrillResult(str(archive), info.dbname, dict(rows), live_counts(info, list(rows)))
