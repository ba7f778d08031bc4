"""Seed plan on a database with 1,000,000 clients and 5,000,000 appointments.

Usage: ``.venv/bin/python bench/seed_plan.py [--clients 1000000] [--appointments 5000000]
[--tenants 50] [--runs 5]``

Starts its own PostgreSQL (embedded 18) in a temporary folder with CitaPlanner's real
schema, applies the seed (as seed.ts does at the app's first boot), fills it with
``demo_data.generate`` (two minutes at full size), then times ``plan_seed`` in each state,
and in the same run the baseline: the original seed.ts's lookups, one statement per seed
row, as Prisma sends them (findFirst/findUnique, findMany for the all-or-nothing groups):

- ``applied, oldest``: the seed's rows came first, as in production;
- ``partial``: the seed's tenant lost its appointments and one client, which forces the
  two reads that no index of the real schema serves (clients by e-mail, "any appointment
  for the tenant"); once with the seed's rows the oldest, once the newest;
- ``absent``: the seed's tenant does not exist (deleted, with everything it owned);
- ``applied, newest``: the seed applied after the bulk data, its rows at the end of every table;
- ``partial`` again after adding indexes on appointments("tenantId") and
  clients("tenantId", email), which Prisma's schema lacks: the same reads then use them.

Prints, per state: statements per table, the plan's median and best time, the baseline's
median, and the ratio. Target: plan under 0.2 s with at most 2 statements per table.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from citaplanner_tui.demo import data as demo_data  # noqa: E402
from citaplanner_tui.core.pg.connect import connect  # noqa: E402
from citaplanner_tui.demo.server import LocalServer  # noqa: E402
from citaplanner_tui.core.app.schema import apply_schema  # noqa: E402
from citaplanner_tui.core.seed import apply_seed, data, plan_seed  # noqa: E402
from scan import timed  # noqa: E402  (bench/ is on sys.path when a bench runs)

ROLE, PASSWORD, DBNAME = "citaplanner", "bench-pw", "citaplanner_bench"


def original_lookups(conn, seed=data.SHIPPED) -> int:
    """What seed.ts asks, one statement per seed row, as Prisma sends them; returns the count.

    findFirst/findUnique select every column with LIMIT 1; the all-or-nothing groups are
    ``findMany`` (every row of the branch's hours, every appointment of the tenant).
    """
    statements = 0

    def one(sql, *params):
        nonlocal statements
        statements += 1
        return conn.execute(sql, params).fetchone()

    tenant = one("SELECT * FROM tenants WHERE email = %s LIMIT 1", seed.tenant["email"])
    tid = tenant[0] if tenant else "none"
    branch = one('SELECT * FROM branches WHERE "tenantId" = %s AND email = %s LIMIT 1', tid, seed.branch["email"])
    users = {u.email: one("SELECT * FROM users WHERE email = %s LIMIT 1", u.email) for u in seed.users}
    services = {
        s.name: one('SELECT * FROM services WHERE name = %s AND "tenantId" = %s LIMIT 1', s.name, tid)
        for s in seed.services
    }
    for a in seed.service_users:
        one(
            'SELECT * FROM service_users WHERE "serviceId" = %s AND "userId" = %s LIMIT 1',
            (services[a.service] or ["none"])[0],
            (users[a.user] or ["none"])[0],
        )
    for c in seed.clients:
        one('SELECT * FROM clients WHERE email = %s AND "tenantId" = %s LIMIT 1', c.email, tid)
    statements += 1
    conn.execute('SELECT * FROM working_hours WHERE "branchId" = %s', ((branch or ["none"])[0],)).fetchall()
    statements += 1
    conn.execute('SELECT * FROM appointments WHERE "tenantId" = %s', (tid,)).fetchall()
    for t in seed.templates:
        one(
            "SELECT * FROM notification_templates WHERE name = %s AND type = %s AND channel = %s LIMIT 1",
            t.name,
            t.type,
            t.channel,
        )
    return statements


def measure(conn, label: str, runs: int) -> None:
    plans = []
    plan_times, _ = timed(lambda: plans.append(plan_seed(conn, zone="UTC")), runs)
    plan = plans[-1]
    statements = [0]
    base_times, _ = timed(lambda: statements.__setitem__(0, original_lookups(conn)), runs)
    per_table = ", ".join(f"{t} {n}" for t, n in sorted(plan.queries_by_table.items()))
    median, base = statistics.median(plan_times), statistics.median(base_times)
    print(f"\n[{label}] {plan.summary()}")
    print(
        f"  plan: {plan.queries} statements (+1 catalog check), max {max(plan.queries_by_table.values())} "
        f"per table: {per_table}"
    )
    print(
        f"  plan: median {median * 1000:.1f} ms, best {min(plan_times) * 1000:.1f} ms "
        f"({'under' if median < 0.2 else 'OVER'} the 0.2 s target)"
    )
    print(
        f"  original seed.ts lookups: {statements[0]} statements, median {base * 1000:.1f} ms; "
        f"ratio plan/original {median / base:.3g}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--appointments", type=int, default=5_000_000)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cpt-bench-seed-"))
    server = LocalServer(root / "data", fast=True)
    try:
        server.start()
        server.create_role(ROLE, PASSWORD, createdb=True)
        server.create_database(DBNAME, owner=ROLE)
        with connect(_app_info(server)) as conn:
            apply_schema(conn)
            _apply(conn, "the seed, as seed.ts at the app's first boot")
            started = time.perf_counter()
            counts = demo_data.generate(
                conn, tenants=args.tenants, clients=args.clients, appointments=args.appointments, seed=42
            )
            print(
                f"demo data: {counts['clients']:,} clients, {counts['appointments']:,} appointments, "
                f"{counts['payments']:,} payments in {time.perf_counter() - started:.0f} s"
            )
            size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
            print(f"database size: {size}")
            measure(conn, "applied, the seed's rows the oldest (a production database)", args.runs)
            _lose_appointments_and_a_client(conn)
            measure(conn, "partial, the seed's rows the oldest", args.runs)
            conn.execute("DELETE FROM tenants WHERE email = %s", (data.SHIPPED.tenant["email"],))
            measure(conn, "absent", args.runs)
            _apply(conn, "the seed, after the bulk data")
            measure(conn, "applied, the seed's rows the newest", args.runs)
            _lose_appointments_and_a_client(conn)
            measure(conn, "partial, the seed's rows the newest", args.runs)
            conn.execute('CREATE INDEX bench_appointments_tenant ON appointments ("tenantId")')
            conn.execute('CREATE INDEX bench_clients_tenant_email ON clients ("tenantId", email)')
            measure(conn, "partial, with indexes the app could add", args.runs)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


def _apply(conn, what: str) -> None:
    started = time.perf_counter()
    created = apply_seed(conn, confirm=DBNAME, now=datetime.now(timezone.utc), zone="UTC").created
    print(f"\napply ({what}): {sum(created.values())} rows in {time.perf_counter() - started:.2f} s")


def _lose_appointments_and_a_client(conn) -> None:
    """The partial state: the seed tenant's appointments (and payments) and one client deleted.

    That forces the two reads no index serves: "any appointment for the tenant" and clients
    by e-mail.
    """
    tenant = conn.execute("SELECT id FROM tenants WHERE email = %s", (data.SHIPPED.tenant["email"],)).fetchone()[0]
    conn.execute('DELETE FROM payments WHERE "tenantId" = %s', (tenant,))
    conn.execute('DELETE FROM appointments WHERE "tenantId" = %s', (tenant,))
    conn.execute('DELETE FROM clients WHERE "tenantId" = %s AND email = %s', (tenant, data.SHIPPED.clients[1].email))


def _app_info(server: LocalServer):
    from citaplanner_tui.core.pg.conninfo import parse

    return parse(server.url(DBNAME, ROLE, PASSWORD))


if __name__ == "__main__":
    raise SystemExit(main())
