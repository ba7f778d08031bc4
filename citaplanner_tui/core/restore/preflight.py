"""Pre-flight: check everything a restore depends on and write the plan, changing nothing.

Order matters for the operator: the archive is checked first (the result is recorded
like any verify), then the server is asked about the target, the role's rights, its
sessions, and the client tools, and the backup volume about free space for the safety
backup.

The archive's check is its SHA-256 against its sidecar, and, unless its manifest vouches
for it, a deep verify (decompression, pg_dump's trailer, the rows of every table).  A
manifest vouches when it was written for these very bytes (its SHA-256 is the file's):
our backup wrote it after scanning the whole dump, so it already holds the dump's rows
per table and versions.  Reading the file end to end again would only do twice what the
load does anyway before anything commits or is swapped: decompress to the end, find the
trailer, check every table's rows, and read the very bytes pre-flight hashed
(``RestorePlan.sha256``).  At 1 GB that second reading is seconds an operator waits in
an incident.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from citaplanner_tui.core.i18n import N_, say
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.pg import tools as pgtools
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.pg.conninfo import ConnInfo
from citaplanner_tui.core.report import units
from citaplanner_tui.core.restore import compat, inplace, server
from citaplanner_tui.core.restore.parallel import jobs_for
from citaplanner_tui.core.restore.plan import Check, RestorePlan, choose_mode, free_stamp, steps_for
from citaplanner_tui.core.restore.swap import LOCKOUT, unendable_sentence, unendable_sessions
from citaplanner_tui.core.restore.validate import count_rows, qualified
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.stream.archive import require_identity
from citaplanner_tui.core.stream.dumpscan import DumpInfo
from citaplanner_tui.core.verify import VerifyResult, verify
from citaplanner_tui.core.volume import lock, manifest

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection
# Beyond the load's workers: its main session, the safety backup's pg_dump, the swap's session, one spare.
ALONGSIDE_CONNECTIONS = 4

# The safety backup is a dump of about the same data as the archive; ask for headroom.
SAFETY_HEADROOM = 1.5

# Below this many bytes of table data the live rows are counted exactly; above, the planner's
# estimates (pg_class.reltuples) are close enough for "far fewer rows" and cost nothing.
EXACT_COUNT_BYTES = 64 << 20


def archive_checks(result: VerifyResult, vouched: DumpInfo | None = None) -> list[Check]:
    """The verify's verdict as plan checks: a missing sidecar warns, any damage blocks.

    ``vouched``: the dump's facts from a manifest that vouches for the file (no deep verify ran).
    """
    if result.checksum_ok is None:
        checksum = Check(
            N_("checksum"),
            True,
            say("{problem}; its content was read end to end instead", problem=result.detail),
            blocking=False,
        )
    else:
        checksum = Check(
            N_("checksum"),
            result.checksum_ok,
            say("matches its .sha256 sidecar") if result.checksum_ok else result.detail,
        )
    if vouched is not None:
        held = say(
            "as its manifest records: {tables} tables, {rows} rows; the load reads it to the end and "
            "checks every table's rows before anything is committed or swapped",
            tables=len(vouched.rows),
            rows=f"{sum(vouched.rows.values()):,}",
        )
        return [checksum, Check(N_("contents"), True, held)]
    detail = result.deep_detail or result.detail
    return [checksum, Check(N_("deep verify"), bool(result.deep_ok), detail)]


def _check_archive(settings: Settings, archive: Path, reporter: Reporter) -> tuple[VerifyResult, DumpInfo | None]:
    """A checksum pass when a manifest may vouch for the file, then a deep verify unless it does (the
    module's docstring says why); returns the verdict and the vouched dump facts (None: deep verify ran).
    Without a manifest (the old script's backups) the file is read once, by the deep verify alone."""
    found = manifest.read(archive)
    if found is None or not found.rows:  # nothing could vouch: read it once, deeply
        return verify(settings, [archive], deep=True, reporter=reporter)[0], None
    result = verify(settings, [archive], reporter=reporter)[0]
    if result.checksum_ok and found.sha256 == result.sha256:
        return result, DumpInfo(
            header=True,
            complete=True,
            server_version=_parsed(found.server_version),
            pg_dump_version=_parsed(found.pg_dump_version),
            rows=dict(found.rows),
        )
    return verify(settings, [archive], deep=True, reporter=reporter)[0], None


def _parsed(version: str) -> tuple[int, int] | None:
    """``"17.2"`` (a manifest's) as the scanner gives a dump header's version."""
    match = re.match(r"(\d+)(?:\.(\d+))?", version)
    return (int(match[1]), int(match[2] or 0)) if match else None


def manifest_checks(archive: Path, target_info: ConnInfo) -> list[Check]:
    """Checks for a restore plan: what the manifest says, and a warning across migration heads.

    Nothing for a backup without a manifest.  Never blocking: the operator decides.
    """
    found = manifest.read(archive)
    if found is None:
        return []
    checks = [Check(N_("manifest"), True, found.summary, blocking=False)]
    try:
        with connect(target_info) as conn:
            live = manifest.prisma_head(conn, target_info.schema)
    except (OperatorError, psycopg.Error):  # the target's own check says why it cannot be read
        return checks
    warning = manifest.migration_warning(found.migration, live)
    checks.append(
        Check(
            N_("migrations"), warning is None, warning or say("the same migration head as the target"), blocking=False
        )
    )
    return checks


def rows_checks(rows: dict[str, int], target_info: ConnInfo, ratio: float) -> list[Check]:
    """A warning when the backup holds far fewer rows than the live database (below ``ratio``
    of it): restoring a backup taken after an incident would make the loss final.

    ``rows``: the backup's rows per table (the dump's counts, else the manifest's).
    Never blocking, and nothing when either side is unknown or empty.
    """
    try:
        with connect(target_info) as conn:
            live = live_rows(conn, list(rows))
    except (OperatorError, psycopg.Error):  # the target's own check says why it cannot be read
        return []
    held = sum(rows.values())
    if not live:
        return []
    detail = say("this backup holds {held} rows; the live database about {live}", held=f"{held:,}", live=f"{live:,}")
    return [Check(N_("rows"), held >= live * ratio, detail, blocking=False)]


def live_rows(conn: Connection, tables: list[str]) -> int:
    """Rows of ``tables`` (scanner keys) in the connection's database: exact when the tables are
    small, otherwise the planner's estimates (a table never analysed counts 0)."""
    found = conn.execute(
        "SELECT t, pg_relation_size(to_regclass(t)), c.reltuples FROM unnest(%s::text[]) AS t "
        "JOIN pg_class c ON c.oid = to_regclass(t)",
        ([qualified(t) for t in tables],),
    ).fetchall()
    if sum(size for _, size, _ in found) < EXACT_COUNT_BYTES:
        present = [t for t in tables if qualified(t) in {name for name, _, _ in found}]
        return sum(count_rows(conn, present).values())
    return int(sum(max(estimate, 0) for _, _, estimate in found))


def _manifest_rows(archive: Path) -> dict[str, int]:
    found = manifest.read(archive)
    return dict(found.rows) if found is not None else {}


def _version(v: tuple[int, int] | None) -> str:
    return f"{v[0]}.{v[1]}" if v else "unknown"


def preflight(
    settings: Settings,
    archive: Path,
    *,
    target: str | None = None,
    mode: str | None = None,
    reporter: Reporter | None = None,
    now: datetime | None = None,
) -> RestorePlan:
    """Check everything and return the plan; raise only when the archive cannot be read at all."""
    reporter = reporter or Reporter()
    archive = Path(archive).resolve()
    info = settings.conninfo()
    target = target or info.dbname
    require_identity(archive)  # an encrypted backup without its key: one sentence, nothing asked of the server
    reporter("preflight", message=say("reading {name}", name=archive.name), force=True)
    result, vouched = _check_archive(settings, archive, reporter)
    dump = vouched or result.dump or DumpInfo()
    checks = archive_checks(result, vouched)

    reporter(
        "preflight",
        message=say("asking {server} about {target}", server=info.redacted(), target=repr(target)),
        force=True,
    )
    tf = server.inspect(info.with_dbname(target), target)
    chosen, problem = choose_mode(mode, can_create=tf.can_create, can_rename=tf.can_rename)
    checks.append(_target_check(tf, target, info))
    if tf.exists and tf.allow_connections:
        checks += manifest_checks(archive, info.with_dbname(target))
        rows = dict(dump.rows) or _manifest_rows(archive)
        checks += rows_checks(rows, info.with_dbname(target), settings.thresholds.shrink_warn_ratio)
    source = dump.server_version
    if source and source[0] > tf.server_major:
        checks.append(
            Check(
                N_("versions"),
                True,
                f"the dump comes from PostgreSQL {source[0]}, newer than the "
                f"target's {tf.server_major}: some statements may not load",
                blocking=False,
            )
        )
    checks.append(Check(N_("rights"), problem is None, problem or _rights_detail(chosen, tf, target)))
    drops = ""
    if chosen == "in-place" and tf.exists and tf.allow_connections:
        reset = inplace.inventory(info.with_dbname(target))
        drops = reset.summary()
        checks.append(
            Check(
                N_("reset"),
                not reset.forbidden,
                f"the role may drop what the load replaces: {drops}"
                if not reset.forbidden
                else f"in-place mode must drop what the dump creates, but "
                f"the role {tf.user!r} may not drop {', '.join(reset.forbidden)}",
            )
        )
        checks.append(
            Check(
                N_("writes"),
                tf.can_rename,
                f"the role may make {target!r} read-only while it restores"
                if tf.can_rename
                else f"in-place mode stops writes with ALTER DATABASE, which needs "
                f"the role {tf.user!r} to own {target!r} (owned by {tf.owner})",
            )
        )
    checks.append(_client_check(settings, tf.server_major))
    checks.append(_space_check(settings.backup_dir, archive))
    checks.append(_sessions_check(info, tf, target, chosen))
    busy = lock.holder(settings.backup_dir)
    checks.append(Check(N_("lock"), busy is None, busy.sentence() if busy else say("no backup or restore is running")))

    stamp = free_stamp(target, tf.pre_restores, now)
    jobs = jobs_for(settings) if chosen == "swap" else 1
    alongside = jobs > 1 and _spare_connections(info, jobs)
    client = next((c.detail for c in checks if c.name == "client" and c.ok), "")
    return RestorePlan(
        archive=archive,
        archive_size=archive.stat().st_size,
        target=target,
        server=info.redacted(),
        mode=chosen,
        stamp=stamp,
        owner=tf.owner,
        target_version=f"{tf.server_major}.{tf.server_minor}",
        source_version=_version(source),
        pg_dump_version=_version(dump.pg_dump_version),
        client=client,
        sessions=tf.sessions,
        rows=dict(dump.rows),
        checks=checks,
        steps=steps_for(chosen, target, stamp, leftovers=tf.leftovers, drops=drops, jobs=jobs, alongside=alongside),
        jobs=jobs,
        alongside=alongside,
        sha256=result.sha256,
    )


def _spare_connections(info: ConnInfo, jobs: int) -> bool:
    """Whether the server has the connections for the load's sessions, a pg_dump and our own at once:
    then the safety backup runs alongside the load instead of before it."""
    try:
        return server.free_connections(info) >= jobs + ALONGSIDE_CONNECTIONS
    except OperatorError:
        return False  # the target's own check says why the server cannot be asked


def _target_check(tf: server.TargetFacts, target: str, info: ConnInfo) -> Check:
    if not tf.exists:
        return Check(
            N_("target"),
            False,
            say("the database {db} does not exist on {host}:{port}", db=repr(target), host=info.host, port=info.port),
        )
    if not tf.allow_connections:
        return Check(
            N_("target"),
            False,
            say(
                "{target} does not accept connections (an interrupted swap?); "
                "run ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true first",
                target=repr(target),
                name=target,
            ),
        )
    return Check(
        N_("target"),
        True,
        say(
            "{target} on PostgreSQL {version}, owned by {owner}",
            target=repr(target),
            version=f"{tf.server_major}.{tf.server_minor}",
            owner=tf.owner,
        ),
    )


def _sessions_check(info: ConnInfo, tf: server.TargetFacts, target: str, mode: str) -> Check:
    """Sessions the role may not end would hold the swap's lock-out, or keep writing during an in-place
    restore: refuse now, before anything is locked."""
    if not tf.exists or not tf.allow_connections:
        return Check(
            N_("sessions"),
            True,
            say("{n} other session(s) connected to {target}", n=tf.sessions, target=repr(target)),
            blocking=False,
        )
    with server.maintenance(info) as conn:
        others = unendable_sessions(conn, target)
    if others:
        return Check(
            N_("sessions"),
            False,
            unendable_sentence(
                target,
                others,
                "the swap could not rename it" if mode == "swap" else "their writes could not be stopped",
            ),
        )
    when = (
        say("at the swap, which refuses new connections for {seconds} s at most", seconds=f"{LOCKOUT:.0f}")
        if mode == "swap"
        else say("before the safety backup, when writes stop")
    )
    return Check(
        N_("sessions"),
        True,
        say(
            "{n} other session(s) connected to {target} will be ended {when}",
            n=tf.sessions,
            target=repr(target),
            when=when,
        ),
        blocking=False,
    )


def _rights_detail(mode: str, tf: server.TargetFacts, target: str) -> str:
    if mode == "swap":
        return say(
            "role {user} may create databases and rename {target}: swap mode", user=repr(tf.user), target=repr(target)
        )
    create = "may" if tf.can_create else "may not"
    if not tf.exists:
        return f"role {tf.user!r} {create} create databases; {target!r} does not exist, so there is nothing to rename"
    if tf.can_create and tf.can_rename:
        return say(
            "role {user} may create databases and rename {target}: in-place mode, as asked",
            user=repr(tf.user),
            target=repr(target),
        )
    missing = [w for w, ok in (("create databases", tf.can_create), (f"rename {target!r}", tf.can_rename)) if not ok]
    return f"role {tf.user!r} may not {' or '.join(missing)}: in-place mode"


def _client_check(settings: Settings, server_major: int) -> Check:
    try:
        tools = pgtools.choose(server_major, settings.pg_bindir)
    except OperatorError as exc:
        return Check(N_("client"), False, exc.sentence)
    psql = (tools.major, tools.minor)
    dropped = compat.skipped(server_major, psql)
    detail = f"psql {tools.version} in {tools.bindir} ({tools.reason})"
    return Check(N_("client"), True, detail + (f"; will skip {dropped}" if dropped else ""))


def _space_check(backup_dir: Path, archive: Path) -> Check:
    need = int(archive.stat().st_size * SAFETY_HEADROOM)
    probe = Path(backup_dir)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    ok = free >= need
    return Check(
        N_("space"),
        ok,
        say(
            "{free} free on the backup volume, the safety backup needs about {need}",
            free=units.size(free),
            need=units.size(need),
        )
        if ok
        else say(
            "the backup volume has {free} free but the safety backup needs about {need}",
            free=units.size(free),
            need=units.size(need),
        ),
    )
