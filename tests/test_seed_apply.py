"""Seed plan and apply on a real server with CitaPlanner's schema."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timezone

import pytest

from citaplanner_tui.cli.main import main
from citaplanner_tui.core.app.schema import TABLES
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.seed import SeedError, Status, apply_seed, plan_seed
from citaplanner_tui.core.seed.cuid import is_cuid
from citaplanner_tui.core.seed.passwords import check_password
from citaplanner_tui.demo import data as demo_data
from tests.support.db import drop_app_db, make_app_db

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=timezone.utc)
SEED_ROWS = 50


# Rows seed.ts writes into an empty database, per table.
ROWS_PER_TABLE = {
    "tenants": 1,
    "branches": 1,
    "users": 5,
    "services": 6,
    "service_users": 6,
    "clients": 6,
    "working_hours": 6,
    "appointments": 6,
    "payments": 3,
    "notification_templates": 10,
}


def counts(db) -> dict[str, int]:
    return {t: db.sql(f'SELECT count(*) FROM "{t}"')[0][0] for t in TABLES}


def apply(db, *, zone: str = "UTC"):
    with connect(db.info) as conn:
        return apply_seed(conn, confirm=db.name, now=NOW, zone=zone)


def plan(db):
    with connect(db.info) as conn:
        return plan_seed(conn, now=NOW, zone="UTC")


def test_empty_database_all_create_then_apply_then_all_exist(app_db):
    first = plan(app_db)
    assert first.counts[Status.CREATE] == SEED_ROWS and not first.conflicts
    assert counts(app_db)["tenants"] == 0  # planning wrote nothing
    result = apply(app_db)
    assert result.created == ROWS_PER_TABLE
    after = plan(app_db)
    assert after.counts == {
        Status.CREATE: 0,
        Status.EXISTS: SEED_ROWS - 15,
        Status.DIFFERS: 0,
        Status.CONFLICT: 0,
        Status.SKIP: 15,
    }
    before_second = counts(app_db)
    second = apply(app_db)
    assert second.created == {} and counts(app_db) == before_second


def test_rows_look_like_prisma_made_them(app_db):
    for table in apply(app_db).created:
        ids = [r[0] for r in app_db.sql(f'SELECT id FROM "{table}"')]
        assert ids and all(is_cuid(i) for i in ids), table
        if table != "service_users":
            assert app_db.sql(f'SELECT count(*) FROM "{table}" WHERE "updatedAt" IS NULL') == [(0,)]
    (stored,) = app_db.sql("SELECT password FROM users WHERE email = 'admin@citaplanner.com'")[0]
    assert stored.startswith("$2a$10$") and check_password("admin123", stored)
    assert app_db.sql("SELECT timezone FROM tenants") == [("America/Mexico_City",)]
    # UTC clock (the apply's zone): 10:00 after midnight of March 10; payments dated at the appointment's end.
    assert app_db.sql("""SELECT p."createdAt" = a."endTime", p.amount::int,
                                p."paymentMethod"::text IN ('CASH', 'CREDIT_CARD')
                         FROM appointments a JOIN payments p ON p."appointmentId" = a.id
                         ORDER BY a."startTime" LIMIT 1""")[0] == (True, 650, True)
    assert app_db.sql("""SELECT "startTime" FROM appointments WHERE notes = 'Primera sesión del tratamiento'""") == [
        (datetime(2026, 3, 10, 10, 0),)
    ]
    # Every appointment and payment points at the seed's tenant, branch and rows.
    assert app_db.sql("""SELECT count(*) FROM appointments a JOIN clients c ON c.id = a."clientId"
                         JOIN service_users su ON su."serviceId" = a."serviceId" AND su."userId" = a."userId"
                         WHERE c."tenantId" = a."tenantId" """) == [(6,)]


def test_appointments_follow_the_given_time_zone(app_db):
    apply(app_db)
    app_db.sql("DELETE FROM payments; DELETE FROM appointments")
    result = apply(app_db, zone="Asia/Tokyo")
    assert result.created == {"appointments": 6, "payments": 3} and result.plan.clock == "Asia/Tokyo (--tz)"
    # 18:00 UTC on March 10 is already March 11 in Tokyo (UTC+9): midnight there is 15:00 UTC, +10 h is 01:00.
    assert app_db.sql("""SELECT "startTime" FROM appointments WHERE notes = 'Primera sesión del tratamiento'""") == [
        (datetime(2026, 3, 11, 1, 0),)
    ]


def test_changed_price_differs_and_apply_leaves_it(app_db):
    apply(app_db)
    app_db.sql("UPDATE services SET price = 999 WHERE name = 'Facial Hidratante'")
    item = next(i for i in plan(app_db).items if i.key == "Facial Hidratante")
    assert item.status is Status.DIFFERS and item.differs == {"price": (999.0, 850.0)}
    before = counts(app_db)
    assert apply(app_db).created == {}
    assert app_db.sql("SELECT price FROM services WHERE name = 'Facial Hidratante'") == [(999.0,)]
    assert counts(app_db) == before


def test_colliding_client_is_a_conflict_and_apply_writes_nothing(app_db):
    apply(app_db)
    app_db.sql("DELETE FROM payments; DELETE FROM appointments")
    app_db.sql("UPDATE clients SET email = 'otra@correo.mx' WHERE email = 'camila.vega@email.com'")
    (row_id,) = app_db.sql("SELECT id FROM clients WHERE email = 'otra@correo.mx'")[0]
    the_plan = plan(app_db)
    (conflict,) = the_plan.conflicts
    assert conflict.key == "camila.vega@email.com" and row_id in conflict.conflict
    assert the_plan.counts[Status.CREATE] == 9  # the appointments and payments it would add
    before = counts(app_db)
    with pytest.raises(SeedError, match=row_id):
        apply(app_db)
    assert counts(app_db) == before


def test_concurrent_applies_leave_one_tenant(app_db):
    start = threading.Barrier(3)
    results, errors = [], []

    def run():
        try:
            with connect(app_db.info) as conn:
                start.wait(timeout=30)
                results.append(apply_seed(conn, confirm=app_db.name, now=NOW).created)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(len(r) for r in results) == [0, 0, 10]
    assert {k: v for k, v in counts(app_db).items() if v} == ROWS_PER_TABLE


def test_templates_are_found_in_any_tenant_and_never_doubled(app_db):
    apply(app_db)
    # Another tenant holding the seed's templates: seed.ts finds them there and creates none.
    app_db.sql("UPDATE tenants SET email = 'otro@spa.mx'")
    the_plan = plan(app_db)
    assert "notification_templates" not in the_plan.creates_by_table()
    assert all(
        i.status is Status.DIFFERS and set(i.differs) == {"tenantId"} for i in the_plan.items if i.kind == "template"
    )
    # The seed's professionals and receptionist are that tenant's too: linking them to the new
    # tenant's assignments, appointments and payments is refused.
    assert {i.key for i in the_plan.conflicts} == {
        "pro1@citaplanner.com",
        "pro2@citaplanner.com",
        "recepcionista@citaplanner.com",
    }
    before = counts(app_db)
    with pytest.raises(SeedError, match="^the seed's user pro1@citaplanner.com is in conflict: .*belongs to tenant"):
        apply(app_db)
    assert counts(app_db) == before


def test_no_second_default_template_for_a_type_and_channel(app_db):
    apply(app_db)
    app_db.sql("""UPDATE notification_templates SET name = 'Recordatorio (nuestro)'
                  WHERE name = 'Recordatorio de Cita - WhatsApp'""")
    item = next(i for i in plan(app_db).items if i.key == "Recordatorio de Cita - WhatsApp (WHATSAPP)")
    assert item.status is Status.DIFFERS and item.differs == {
        "name": ("Recordatorio (nuestro)", "Recordatorio de Cita - WhatsApp")
    }
    before = counts(app_db)
    assert apply(app_db).created == {} and counts(app_db) == before
    assert (
        app_db.sql("""SELECT type::text, channel::text FROM notification_templates WHERE "isDefault"
                         GROUP BY 1, 2 HAVING count(*) > 1""")
        == []
    )


def test_wrong_confirmation_writes_nothing(app_db):
    with connect(app_db.info) as conn, pytest.raises(SeedError, match=f"--confirm {app_db.name}"):
        apply_seed(conn, confirm="production", now=NOW)
    assert counts(app_db)["tenants"] == 0


@pytest.fixture
def bare_db(pg):
    db = make_app_db(pg, schema=False)
    yield db
    drop_app_db(pg, db.name)


def test_database_without_schema_gets_one_sentence(bare_db):
    with pytest.raises(SeedError, match=r"^no table tenants: run the app's migrations first$"):
        plan(bare_db)
    with pytest.raises(SeedError, match="no table tenants"):
        apply(bare_db)
    assert bare_db.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_missing_column_gets_one_sentence_and_no_writes(app_db):
    app_db.sql("ALTER TABLE clients DROP COLUMN notes")
    with pytest.raises(SeedError, match=r"^table clients lacks column 'notes': .*migrations first$"):
        plan(app_db)
    with pytest.raises(SeedError, match="lacks column 'notes'"):
        apply(app_db)
    assert sum(counts(app_db).values()) == 0


class CountingConnection:
    """Counts the statements a plan sends, attributing each to the tables it names."""

    def __init__(self, conn):
        self._conn = conn
        self.statements: list[str] = []

    def execute(self, query, params=None):
        self.statements.append(str(query))
        return self._conn.execute(query, params)

    def cursor(self, *args, **kwargs):
        outer, cur = self, self._conn.cursor(*args, **kwargs)

        class Cursor:
            def execute(self, query, params=None):
                outer.statements.append(str(query))
                return cur.execute(query, params)

            def __getattr__(self, name):
                return getattr(cur, name)

        return Cursor()

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.mark.parametrize("state", ["empty", "applied", "partial"])
def test_plan_queries_are_bounded(app_db, state):
    if state != "empty":
        apply(app_db)
    if state == "partial":  # forces the second clients query (by e-mail)
        app_db.sql(
            "DELETE FROM payments; DELETE FROM appointments; "
            "DELETE FROM clients WHERE email = 'diego.hernandez@email.com'"
        )
    with connect(app_db.info) as raw:
        conn = CountingConnection(raw)
        result = plan_seed(conn, now=NOW)
    per_table: dict[str, int] = {}
    for statement in conn.statements:
        for table in set(re.findall(r"FROM (\w+)", statement)) & set(TABLES):
            per_table[table] = per_table.get(table, 0) + 1
    assert per_table and max(per_table.values()) <= 2
    assert result.queries_by_table == per_table
    assert per_table.get("clients", 0) == {"empty": 0, "applied": 1, "partial": 2}[state]
    # Appointments: none read for a new tenant; the newest-rows probe finds the seed's; a miss scans.
    assert per_table.get("appointments", 0) == {"empty": 0, "applied": 1, "partial": 2}[state]


def test_old_appointments_beyond_the_newest_probe_still_count(app_db):
    apply(app_db)
    with connect(app_db.info) as conn:
        demo_data.generate(conn, tenants=1, clients=100, appointments=3000)
    # Make the seed's appointments the oldest ids, so the newest-first probe misses them.
    app_db.sql("""UPDATE appointments SET id = 'c0' || substr(id, 3)
                  WHERE "tenantId" = (SELECT id FROM tenants WHERE email = 'contacto@bellavita.com')""")
    result = plan(app_db)
    assert result.queries_by_table["appointments"] == 2
    assert all(i.status is Status.SKIP for i in result.items if i.kind == "appointment")


def test_cli_exit_codes_and_json(app_db, capsys):
    url = ["--database-url", app_db.url]
    assert main([*url, "seed", "plan"]) == 3
    out = capsys.readouterr().out
    assert out.startswith(f"Plan: {SEED_ROWS} to create, 0 exist") and "CREATE   tenant" in out
    assert main([*url, "seed", "apply"]) == 1
    assert f"--confirm {app_db.name}" in capsys.readouterr().err
    assert main([*url, "seed", "apply", "--confirm", "other"]) == 1
    assert counts(app_db)["tenants"] == 0
    assert main([*url, "seed", "apply", "--confirm", app_db.name]) == 0
    assert capsys.readouterr().out.startswith(f"Created {SEED_ROWS} rows in {app_db.name}")
    assert main([*url, "seed", "plan", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"]["CREATE"] == 0 and doc["counts"]["SKIP"] == 15
    app_db.sql("DELETE FROM payments; DELETE FROM appointments")
    app_db.sql("UPDATE clients SET email = NULL WHERE email = 'camila.vega@email.com'")
    assert main([*url, "seed", "plan"]) == 1
    assert "CONFLICT client" in capsys.readouterr().out
    assert main([*url, "--read-only", "seed", "apply", "--confirm", app_db.name]) == 1
    assert "read-only" in capsys.readouterr().err


def test_missing_rights_get_one_sentence(app_db):
    app_db.sql("CREATE ROLE seed_reader LOGIN PASSWORD 'r3ader'")
    try:
        app_db.sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO seed_reader")
        app_db.sql("REVOKE SELECT ON clients FROM seed_reader")
        info = app_db.info
        reader = info.__class__(params={**info.params, "user": "seed_reader"}, password="r3ader")
        apply(app_db)
        with connect(reader) as conn:
            with pytest.raises(SeedError, match="^seed plan failed: .*permission denied for table clients"):
                plan_seed(conn, now=NOW)
        app_db.sql("GRANT SELECT ON clients TO seed_reader")
        with connect(reader) as conn:
            assert plan_seed(conn, now=NOW).counts[Status.EXISTS] == SEED_ROWS - 15
            app_db.sql("DELETE FROM payments; DELETE FROM appointments")
            with pytest.raises(SeedError, match="^seed apply .nothing was written. failed: .*permission denied"):
                apply_seed(conn, confirm=app_db.name, now=NOW)
        assert counts(app_db)["appointments"] == 0
    finally:
        app_db.sql("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM seed_reader; DROP ROLE seed_reader")
