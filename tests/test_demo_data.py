"""Demo data: deterministic per seed, valid against the schema's keys, Prisma-shaped."""

from __future__ import annotations

from datetime import date

import pytest

from citaplanner_tui.core.app.schema import TABLES, schema_sql
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.seed.cuid import is_cuid
from citaplanner_tui.core.seed.passwords import check_password
from citaplanner_tui.demo import data as demo_data
from tests.support.db import drop_app_db, make_app_db

TODAY = date(2026, 1, 15)
SMALL = dict(tenants=3, clients=600, appointments=3000, today=TODAY)


def content_hash(db) -> dict[str, str]:
    """md5 of every table's rows in a fixed order (the whole content, byte for byte)."""
    hashes = {}
    for table in TABLES:
        (digest,) = db.sql(
            f"SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"
        )[0]
        hashes[table] = digest
    return hashes


def generated(pg, **kwargs):
    db = make_app_db(pg)
    with connect(db.info) as conn:
        counts = demo_data.generate(conn, **{**SMALL, **kwargs})
    return db, counts


@pytest.fixture
def two_dbs(pg):
    made = []
    yield made
    for db in made:
        drop_app_db(pg, db.name)


def test_same_seed_same_content_other_seed_other_content(pg, two_dbs):
    a, counts = generated(pg, seed=7)
    two_dbs.append(a)
    b, _ = generated(pg, seed=7)
    two_dbs.append(b)
    c, _ = generated(pg, seed=8)
    two_dbs.append(c)
    assert content_hash(a) == content_hash(b)
    assert content_hash(a)["clients"] != content_hash(c)["clients"]
    assert content_hash(a)["appointments"] != content_hash(c)["appointments"]
    for table, n in counts.items():
        assert a.sql(f'SELECT count(*) FROM "{table}"')[0][0] == n


def test_counts_keys_and_conventions(app_db):
    with connect(app_db.info) as conn:
        counts = demo_data.generate(conn, **SMALL)
    assert counts["tenants"] == 3 and counts["clients"] == 600 and counts["appointments"] == 3000
    assert counts["notification_templates"] == 30
    # Every completed appointment, and nothing else, has exactly one payment of the service price.
    assert app_db.sql("""SELECT count(*) FROM appointments a LEFT JOIN payments p ON p."appointmentId" = a.id
                         JOIN services s ON s.id = a."serviceId"
                         WHERE (a.status = 'COMPLETED') <> (p.id IS NOT NULL)
                            OR (p.id IS NOT NULL AND (p.amount <> s.price OR p."createdAt" <> a."endTime"))""") == [
        (0,)
    ]
    assert counts["payments"] == app_db.sql("SELECT count(*) FROM appointments WHERE status = 'COMPLETED'")[0][0]
    # Foreign keys are back and valid (PostgreSQL validated them when re-adding).
    expected = schema_sql().count("FOREIGN KEY")
    assert app_db.sql("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND convalidated") == [(expected,)]
    # So are the keys and indexes dropped for the load.
    sql = schema_sql()
    indexes = sql.count("PRIMARY KEY") + sql.count("CREATE UNIQUE INDEX") + sql.count("CREATE INDEX")
    assert app_db.sql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'") == [(indexes,)]
    # The professional of every appointment is assigned to its service, in the same tenant.
    assert app_db.sql("""SELECT count(*) FROM appointments a
                         LEFT JOIN service_users su ON su."serviceId" = a."serviceId" AND su."userId" = a."userId"
                         JOIN clients c ON c.id = a."clientId"
                         WHERE su.id IS NULL OR c."tenantId" <> a."tenantId" """) == [(0,)]
    for table in counts:
        ids = [r[0] for r in app_db.sql(f'SELECT id FROM "{table}"')]
        assert all(is_cuid(i) for i in ids), table
    for table in ("tenants", "clients", "appointments", "payments", "users"):
        assert app_db.sql(f'SELECT count(*) FROM "{table}" WHERE "updatedAt" IS NULL') == [(0,)]
    phone, email = app_db.sql("SELECT phone, email FROM clients ORDER BY id LIMIT 1")[0]
    assert phone.startswith("+52 55 ") and len(phone) == 16 and "@" in email
    (hashed,) = app_db.sql("SELECT DISTINCT password FROM users")[0]
    assert hashed.startswith("$2a$10$") and check_password(demo_data.DEMO_PASSWORD, hashed)


def test_appointment_times_are_local_business_hours_stored_as_utc(app_db):
    with connect(app_db.info) as conn:
        demo_data.generate(conn, **SMALL)
    rows = app_db.sql("""SELECT min(((a."startTime" AT TIME ZONE 'UTC') AT TIME ZONE t.timezone)::time),
                                max(((a."startTime" AT TIME ZONE 'UTC') AT TIME ZONE t.timezone)::time),
                                min(a."startTime")::date, max(a."startTime")::date
                         FROM appointments a JOIN tenants t ON t.id = a."tenantId" """)
    first, last, earliest, latest = rows[0]
    assert str(first) == "09:00:00" and str(last) == "17:45:00"
    assert (TODAY - earliest).days == 7 * demo_data.PAST_WEEKS
    assert 0 < (latest - TODAY).days <= 7 * demo_data.FUTURE_WEEKS


def test_size_for_dump_grows_with_the_target():
    small, big = demo_data.size_for_dump_mb(50), demo_data.size_for_dump_mb(1000)
    assert big.clients > 10 * small.clients and big.appointments == 5 * big.clients
    assert big.tenants >= small.tenants >= 1


def test_second_run_and_missing_schema_get_one_sentence(app_db, pg):
    with connect(app_db.info) as conn:
        demo_data.generate(conn, tenants=1, clients=10, appointments=20, today=TODAY)
        before = content_hash(app_db)
        with pytest.raises(OperatorError, match="already has the demo data of seed 42"):
            demo_data.generate(conn, tenants=1, clients=10, appointments=20, today=TODAY)
    assert content_hash(app_db) == before
    bare = make_app_db(pg, schema=False)
    try:
        with connect(bare.info) as conn, pytest.raises(OperatorError, match="no table tenants"):
            demo_data.generate(conn)
    finally:
        drop_app_db(pg, bare.name)
