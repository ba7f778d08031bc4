"""A manifest per backup: what the dump holds, in a small JSON file beside it.

``<dump>.manifest.json`` (0600, written atomically before the sidecar) says which tool
and pg_dump took the backup, from which server, database and size, how it is
compressed, its SHA-256, the rows of every table at dump time (the COPY rows the dump
scanner counted while the dump streamed: exact, and free), and the application's
schema version: the newest applied row of Prisma's ``_prisma_migrations``.

``sha256`` and ``size`` are always the file's own, as its sidecar holds them.  An
encrypted backup (``.sql.gz.age``) also records ``encryption``: the age recipients it
was encrypted to (public keys) and the SHA-256 and size of the compressed dump inside,
which is what ``age -d`` prints, so a hand decryption can be checked too.

A restore plan compares that schema version with the target's (``restore.preflight``'s
``manifest_checks``): a
backup from before the newest migration puts the database behind the deployed app
("this backup predates migration X").  Backups without a manifest (the old script's,
older versions of ours) keep working; they just have nothing to show.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import timezone
from pathlib import Path
from typing import TYPE_CHECKING

from psycopg import sql

from citaplanner_tui.core.i18n import say, say_n
from citaplanner_tui.core.volume import private
from citaplanner_tui.core.volume.naming import MANIFEST_SUFFIX

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection


VERSION = 1


@dataclass(frozen=True)
class Migration:
    """The newest applied Prisma migration and how many are applied."""

    name: str
    finished_at: str
    applied: int


@dataclass(frozen=True)
class Encrypted:
    """An encrypted backup: to whom, and the compressed dump inside (``plain_*``)."""

    recipients: tuple[str, ...]
    plain_sha256: str
    plain_size: int
    method: str = "age"


@dataclass(frozen=True)
class Manifest:
    tool_version: str
    pg_dump_version: str
    server_version: str
    database: str
    database_size: int
    compression: str
    sha256: str
    size: int
    taken_at: str
    rows: dict[str, int] = field(default_factory=dict)
    migration: Migration | None = None
    globals_file: str | None = None
    encryption: Encrypted | None = None

    def to_json(self) -> dict[str, object]:
        return {"version": VERSION, **asdict(self)}

    @property
    def summary(self) -> str:
        """One line for a plan or a screen, in the operator's language where it is shown."""
        last = (
            say("migration {name} ({applied} applied)", name=self.migration.name, applied=self.migration.applied)
            if self.migration
            else say("no Prisma migrations table")
        )
        if self.globals_file:
            last = say("{before}; roles saved in {file}", before=last, file=self.globals_file)
        if self.encryption:
            last = say_n(
                "{before}; encrypted with age to {n} recipient",
                "{before}; encrypted with age to {n} recipients",
                len(self.encryption.recipients),
                before=last,
            )
        return say(
            "taken {taken} by citaplanner-tui {tool} with pg_dump {pg_dump} from PostgreSQL {server}; "
            "{tables} tables, {rows} rows; {last}",
            taken=self.taken_at,
            tool=self.tool_version,
            pg_dump=self.pg_dump_version,
            server=self.server_version,
            tables=len(self.rows),
            rows=sum(self.rows.values()),
            last=last,
        )


def path_for(dump: Path) -> Path:
    return Path(dump).with_name(Path(dump).name + MANIFEST_SUFFIX)


def encode(manifest: Manifest) -> bytes:
    return (json.dumps(manifest.to_json(), indent=1, sort_keys=True) + "\n").encode("utf-8")


def read(dump: Path) -> Manifest | None:
    """The manifest beside ``dump``; None when there is none or it cannot be read (never raises)."""
    try:
        raw = json.loads(private.read_nofollow(path_for(dump)))
        migration = raw.get("migration")
        sealed = raw.get("encryption")
        return Manifest(
            tool_version=str(raw["tool_version"]),
            pg_dump_version=str(raw["pg_dump_version"]),
            server_version=str(raw["server_version"]),
            database=str(raw["database"]),
            database_size=int(raw["database_size"]),
            compression=str(raw["compression"]),
            sha256=str(raw["sha256"]),
            size=int(raw["size"]),
            taken_at=str(raw["taken_at"]),
            rows={str(k): int(v) for k, v in dict(raw.get("rows") or {}).items()},
            migration=Migration(str(migration["name"]), str(migration["finished_at"]), int(migration["applied"]))
            if migration
            else None,
            globals_file=raw.get("globals_file"),
            encryption=Encrypted(
                tuple(str(r) for r in sealed["recipients"]),
                str(sealed["plain_sha256"]),
                int(sealed["plain_size"]),
                str(sealed.get("method", "age")),
            )
            if sealed
            else None,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def prisma_head(conn: Connection, schema: str = "public") -> Migration | None:
    """The newest applied row of ``_prisma_migrations`` on ``conn``, or None without the table.

    Applied: finished and not rolled back, as ``prisma migrate status`` counts them.
    """
    table = sql.Identifier(schema, "_prisma_migrations")
    exists = conn.execute("SELECT to_regclass(%s)", (f'"{schema}"."_prisma_migrations"',)).fetchone()
    if exists is None or exists[0] is None:
        return None
    row = conn.execute(
        sql.SQL(
            "SELECT migration_name, finished_at, count(*) OVER () FROM {} "
            "WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL "
            "ORDER BY finished_at DESC, migration_name DESC LIMIT 1"
        ).format(table)
    ).fetchone()
    if row is None:
        return Migration("", "", 0)
    return Migration(row[0], row[1].astimezone(timezone.utc).isoformat(timespec="seconds"), int(row[2]))


def migration_warning(backup: Migration | None, target: Migration | None) -> str | None:
    """A sentence when restoring a backup at ``backup`` would move the target's schema head, else None."""
    if backup == target or (backup is not None and target is not None and backup.name == target.name):
        return None
    if target is None or not target.name:
        return (
            f"this backup holds migrations up to {backup.name} but the target has none applied"
            if backup and backup.name
            else None
        )
    if backup is None or not backup.name:
        return (
            f"this backup predates migration {target.name}: it has no Prisma migrations, the target "
            f"has {target.applied}; run the app's migrations after restoring"
        )
    if (backup.finished_at, backup.applied) < (target.finished_at, target.applied):
        return (
            f"this backup predates migration {target.name} (its newest is {backup.name}, {backup.applied} "
            f"applied against {target.applied}); run the app's migrations after restoring"
        )
    return (
        f"this backup is newer than the target's schema: its newest migration {backup.name} is not applied "
        f"there (newest {target.name}); the running app may be older than the restored schema"
    )
