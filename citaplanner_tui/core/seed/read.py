"""The bounded reads behind the seed plan, and ``plan_seed`` (read, then decide).

Each table is asked at most twice, always by the seed's own keys (``= ANY(%s)`` arrays),
never once per row. The real schema (``core/app/schema.sql``) has few indexes on these
tables: users.email, clients (phone, "tenantId"), service_users ("serviceId", "userId"),
notification_templates ("tenantId", type, channel) and the primary keys; nothing on
appointments or payments but the id. So: users by e-mail, clients by phone, assignments by
their pair and the newest appointments by id use an index; tenants, branches, services,
working_hours and notification_templates are small (rows per business, not per
customer) and are read by equality. Two reads may scan a big table, because nothing else
can prove a row absent: clients by e-mail (only when some seed client was not found by
its phone) and "does the tenant have any appointment" (only when none is among the newest;
see ``_tenant_has_appointments``). Each then costs one parallel sequential scan; an index
on those columns, if the app adds one, is used. Reads of a tenant's rows are skipped when
the seed's tenant does not exist yet.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterator

import psycopg
from psycopg.rows import dict_row

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.seed import data
from citaplanner_tui.core.seed.data import Definition
from citaplanner_tui.core.seed.plan import SeedPlan, decide

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection


class SeedError(OperatorError):
    """The seed cannot be planned or applied here (schema, conflict, confirmation)."""


# A row as psycopg's dict_row gives it: column -> value.
Row = dict[str, Any]


@dataclass
class Snapshot:
    """What the reads found, by the seed's natural keys (rows as column -> value dicts)."""

    tenant: Row | None = None
    tenant_count: int = 0
    branch: Row | None = None
    branch_hours: int = 0
    users: dict[str, Row] = field(default_factory=dict)
    services: dict[str, Row] = field(default_factory=dict)
    # By (service id, user id); looked up with a Ref for a parent the seed creates, which finds none.
    assignments: dict[tuple[object, object], Row] = field(default_factory=dict)
    clients_by_phone: dict[str, Row] = field(default_factory=dict)
    clients_by_email: dict[str, Row] = field(default_factory=dict)
    tenant_has_appointments: bool = False
    # By (name, type, channel) in any tenant, the seed tenant's row preferred (seed.ts's lookup).
    templates: dict[tuple[str, str, str], Row] = field(default_factory=dict)
    # The seed tenant's default templates by (type, channel), the oldest of each.
    default_templates: dict[tuple[str, str], Row] = field(default_factory=dict)
    queries: Counter[str] = field(default_factory=Counter)  # statements sent, per table read


def check_schema(conn: Connection) -> None:
    """One sentence when a table or a column the seed uses is missing (one catalog query)."""
    # pg_catalog, not information_schema: the latter hides tables the user has no rights on.
    rows = conn.execute(
        "SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
        "AND c.relname = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped",
        (list(data.COLUMNS),),
    ).fetchall()
    present: dict[str, set[str]] = {}
    for table, column in rows:
        present.setdefault(table, set()).add(column)
    for table, columns in data.COLUMNS.items():
        if table not in present:
            raise SeedError(f"no table {table}: run the app's migrations first")
        missing = [c for c in columns if c not in present[table]]
        if missing:
            raise SeedError(
                f"table {table} lacks column {missing[0]!r}: this database has another "
                "version of CitaPlanner's schema; run the app's migrations first"
            )


class _Reader:
    def __init__(self, conn: Connection):
        self.cur = conn.cursor(row_factory=dict_row)
        self.queries: Counter[str] = Counter()

    def rows(self, sql: str, params: tuple[object, ...]) -> list[Row]:
        table = re.search(r"FROM (\w+)", sql)
        assert table is not None, "every read names its table"
        self.queries[table.group(1)] += 1
        return self.cur.execute(sql, params).fetchall()


def read_snapshot(conn: Connection, seed: Definition = data.SHIPPED) -> Snapshot:
    """Run the bounded reads; ``conn`` should be inside a transaction for a consistent view."""
    q = _Reader(conn)
    snap = Snapshot()
    snap.users = {
        r["email"]: r
        for r in q.rows(
            'SELECT id, email, "firstName", "lastName", role::text AS role, phone, "tenantId", "branchId" '
            "FROM users WHERE email = ANY(%s)",
            ([u.email for u in seed.users],),
        )
    }
    found = q.rows(
        "SELECT id, name, email, phone, address, city, country, "
        "count(*) OVER () AS matches FROM tenants WHERE email = %s "
        'ORDER BY "createdAt", id LIMIT 1',
        (seed.tenant["email"],),
    )
    if found:
        snap.tenant, snap.tenant_count = found[0], found[0]["matches"]
        _read_tenant_rows(q, snap, seed, snap.tenant["id"])
    _read_templates(q, snap, seed, snap.tenant["id"] if snap.tenant else None)
    snap.queries = q.queries
    return snap


def _read_tenant_rows(q: _Reader, snap: Snapshot, seed: Definition, tenant: str) -> None:
    found = q.rows(
        'SELECT id, name, address, phone, email FROM branches WHERE "tenantId" = %s '
        'AND email = %s ORDER BY "createdAt", id LIMIT 1',
        (tenant, seed.branch["email"]),
    )
    if found:
        snap.branch = found[0]
        snap.branch_hours = q.rows(
            'SELECT count(*) AS n FROM working_hours WHERE "branchId" = %s', (snap.branch["id"],)
        )[0]["n"]
    snap.services = {
        r["name"]: r
        for r in q.rows(
            "SELECT DISTINCT ON (name) id, name, description, duration, price, color FROM services "
            'WHERE "tenantId" = %s AND name = ANY(%s) ORDER BY name, "createdAt", id',
            (tenant, [s.name for s in seed.services]),
        )
    }
    service_ids = [r["id"] for r in snap.services.values()]
    user_ids = [r["id"] for r in snap.users.values()]
    if service_ids and user_ids:
        snap.assignments = {
            (r["serviceId"], r["userId"]): r
            for r in q.rows(
                'SELECT id, "serviceId", "userId", commission FROM service_users '
                'WHERE "serviceId" = ANY(%s) AND "userId" = ANY(%s)',
                (service_ids, user_ids),
            )
        }
    _read_clients(q, snap, seed, tenant)
    snap.tenant_has_appointments = _tenant_has_appointments(q, tenant)


def _read_templates(q: _Reader, snap: Snapshot, seed: Definition, tenant: str | None) -> None:
    """One read: the seed's names in any tenant (as seed.ts), and the tenant's defaults."""
    rows = q.rows(
        "SELECT id, name, type::text AS type, channel::text AS channel, subject, message, "
        '"isActive", "isDefault", "tenantId" FROM notification_templates '
        'WHERE name = ANY(%s) OR ("tenantId" = %s AND "isDefault") '
        'ORDER BY ("tenantId" = %s) DESC, "createdAt", id',
        ([t.name for t in seed.templates], tenant, tenant),
    )
    names = {(t.name, t.type, t.channel) for t in seed.templates}
    for r in rows:
        key = (r["name"], r["type"], r["channel"])
        if key in names:
            snap.templates.setdefault(key, r)
        if r["tenantId"] == tenant and r["isDefault"]:
            snap.default_templates.setdefault((r["type"], r["channel"]), r)


# How many of the newest appointments the first, index-only probe looks at.
NEWEST_PROBE = 1000


def _tenant_has_appointments(q: _Reader, tenant: str) -> bool:
    """Any appointment for the tenant? Newest first, then (only if needed) the whole table.

    Prisma created no index on appointments but its primary key, so "none" costs a full
    scan, unavoidably. But cuid ids start with the creation time, so the primary key's top
    end holds the newest rows: a tenant in use (or one just seeded) has some there, found in
    a millisecond. The scan, when needed, stops at the first row of the tenant; the heap
    keeps rows roughly in insertion order, so a tenant seeded before the rest is found in
    the first pages.
    """
    if q.rows(
        'SELECT EXISTS (SELECT 1 FROM (SELECT "tenantId" FROM appointments ORDER BY id DESC '
        'LIMIT %s) AS newest WHERE "tenantId" = %s) AS found',
        (NEWEST_PROBE, tenant),
    )[0]["found"]:
        return True
    return bool(
        q.rows('SELECT EXISTS (SELECT 1 FROM appointments WHERE "tenantId" = %s) AS found', (tenant,))[0]["found"]
    )


_CLIENT_COLUMNS = 'id, "firstName", "lastName", email, phone, address, notes'


def _read_clients(q: _Reader, snap: Snapshot, seed: Definition, tenant: str) -> None:
    """By phone through the unique index; by e-mail only for seed clients still unmatched."""
    emails = {c.email for c in seed.clients}
    for r in q.rows(
        f'SELECT {_CLIENT_COLUMNS} FROM clients WHERE phone = ANY(%s) AND "tenantId" = %s',
        ([c.phone for c in seed.clients], tenant),
    ):
        snap.clients_by_phone[r["phone"]] = r
        if r["email"] in emails:
            snap.clients_by_email.setdefault(r["email"], r)
    unmatched = [c.email for c in seed.clients if c.email not in snap.clients_by_email]
    if unmatched:
        for r in q.rows(
            f"SELECT DISTINCT ON (email) {_CLIENT_COLUMNS} FROM clients "
            'WHERE "tenantId" = %s AND email = ANY(%s) ORDER BY email, "createdAt", id',
            (tenant, unmatched),
        ):
            snap.clients_by_email[r["email"]] = r


@contextmanager
def database_errors(doing: str) -> Iterator[None]:
    """Turn the server's refusals an operator can act on into one sentence."""
    try:
        yield
    except (
        psycopg.errors.InsufficientPrivilege,
        psycopg.errors.ReadOnlySqlTransaction,
        psycopg.errors.LockNotAvailable,
        psycopg.errors.QueryCanceled,
        psycopg.OperationalError,
    ) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SeedError(f"{doing} failed: the server said: {first}") from None


def plan_seed(
    conn: Connection, *, now: datetime | None = None, definition: Definition = data.SHIPPED, zone: str | None = None
) -> SeedPlan:
    """Read (one read-only, repeatable-read transaction) and decide; never writes.

    ``conn`` is an autocommit connection (``core.pg.connect.connect`` gives one); ``zone`` is the
    time zone of the appointments' "today" (None: this process's, as seed.ts).
    """
    started = time.perf_counter()
    with database_errors("seed plan"), conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        check_schema(conn)
        snap = read_snapshot(conn, definition)
    plan = decide(snap, now or datetime.now(timezone.utc), definition=definition, zone=zone)
    return replace(plan, seconds=time.perf_counter() - started)
