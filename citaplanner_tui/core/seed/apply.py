"""Apply the seed: one transaction, one advisory lock, the plan re-made inside, nothing else.

Why each piece:
- ``pg_advisory_xact_lock``: tenants, branches, services and templates have no unique
  key, so two applies at once (two replicas starting together) would both see "missing"
  and both create. Under the lock the second waits, then re-plans in READ COMMITTED
  (each read sees what the first committed) and finds everything there.
- Re-plan inside the transaction and refuse on any CONFLICT before the first write:
  what gets written is exactly what that plan says, or nothing.
- Rows look like the app made them: cuid ids, ``"updatedAt"`` set, bcrypt ``$2a$10$``
  passwords, UTC timestamps; payments dated at their appointment's end, their method
  picked at random among the seed's, as seed.ts does.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from citaplanner_tui.core.seed import data
from citaplanner_tui.core.seed.cuid import new_cuid
from citaplanner_tui.core.seed.data import Definition
from citaplanner_tui.core.seed.passwords import hash_password
from citaplanner_tui.core.seed.plan import Chance, Item, Ref, SeedPlan, Status, decide
from citaplanner_tui.core.seed.read import Row, SeedError, check_schema, database_errors, read_snapshot

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection

# pg_advisory_xact_lock key shared by every citaplanner-tui seed apply ("CPTSEED" in ASCII).
LOCK_KEY = int.from_bytes(b"CPTSEED", "big")
# How long to wait for another apply (or a row lock) before giving up with one sentence.
LOCK_WAIT = "60s"


@dataclass(frozen=True)
class ApplyResult:
    plan: SeedPlan  # the plan made under the lock, which was written
    created: dict[str, int]  # rows inserted per table


def apply_seed(
    conn: Connection,
    *,
    confirm: str,
    now: datetime | None = None,
    definition: Definition = data.SHIPPED,
    zone: str | None = None,
) -> ApplyResult:
    """Write the seed's missing rows into ``conn``'s database (an autocommit connection).

    ``confirm`` must be the database's name, as typed by the operator. ``now`` (aware)
    fixes the clock for tests: "today" for the appointments and the rows' timestamps;
    ``zone`` is the time zone of that "today" (None: this process's, as seed.ts).
    """
    target = conn.info.dbname
    if confirm != target:
        raise SeedError(f"seed apply needs --confirm {target} (the target database's name); nothing was written")
    now = now or datetime.now(timezone.utc)
    with database_errors("seed apply (nothing was written)"), conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        conn.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        check_schema(conn)
        plan = decide(read_snapshot(conn, definition), now, definition=definition, zone=zone)
        if plan.conflicts:
            first = plan.conflicts[0]
            more = f" (and {len(plan.conflicts) - 1} more)" if len(plan.conflicts) > 1 else ""
            raise SeedError(
                f"the seed's {first.kind} {first.key} is in conflict: {first.conflict}{more}; nothing was written"
            )
        created = _write(conn, plan.items, definition, now.astimezone(timezone.utc).replace(tzinfo=None))
    return ApplyResult(plan, created)


def _value(value: object, ids: dict[Ref, str]) -> object:
    if isinstance(value, Ref):
        return ids[value]
    if isinstance(value, Chance):
        return secrets.choice(value.choices)
    return value


def _write(conn: Connection, items: tuple[Item, ...], seed: Definition, stamp: datetime) -> dict[str, int]:
    """Insert every CREATE item, parents first (the plan's order), one batch per table."""
    ids: dict[Ref, str] = {}
    batches: dict[str, list[Row]] = {}
    for item in items:
        if item.status is not Status.CREATE:
            continue
        new_id = ids[Ref(item.kind, item.key)] = new_cuid()
        row = {"id": new_id, "createdAt": stamp, "updatedAt": stamp}
        row.update({k: _value(v, ids) for k, v in item.values.items()})
        if item.table == "users":
            row["password"] = hash_password(seed.user(item.key).password)
        # Only the columns the seed sets: the others keep their defaults (e.g. tenants.timezone).
        batches.setdefault(item.table, []).append({c: row[c] for c in data.COLUMNS[item.table] if c in row})
    for table, rows in batches.items():
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(f"%({c})s" for c in columns)
        with conn.cursor() as cur:
            cur.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
    return {table: len(rows) for table, rows in batches.items()}
