"""The seed against CitaPlanner's seed of record (seed.ts) on the real schema.

Two directions: our apply writes exactly what seed.ts writes (checked field by field
against the reference ``seed-values.json``), and a database seeded the way seed.ts seeds
it (plain SQL written as Prisma would, not our apply) plans as nothing to create with no
DIFFERS, and our apply writes nothing there. Then seed.ts's edge cases on such a database.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import bcrypt
import pytest

from citaplanner_tui.cli.main import main
from citaplanner_tui.core.app.schema import TABLES
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.seed import Status, apply_seed, plan_seed

REFERENCE = json.loads((Path(__file__).parent / "data" / "seed-values.json").read_text("utf-8"))
SHIPPED = Path(__file__).parents[1] / "citaplanner_tui" / "core" / "seed" / "definition.json"
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=timezone.utc)
MIDNIGHT = datetime(2026, 3, 10)  # today's midnight on the UTC clock, naive as Prisma stores


def hhmm(text: str) -> timedelta:
    hours, minutes = map(int, text.split(":"))
    return timedelta(hours=hours, minutes=minutes)


def content(db) -> dict[str, tuple[int, str]]:
    """Per table of the schema: row count and md5 of every row (equal means identical content)."""
    return {
        t: tuple(
            db.sql(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{t}\" t")[0]
        )
        for t in TABLES
    }


def one(db, sql: str, *params) -> dict:
    rows = db.server.sql(sql, db.name, params=params) if params else db.sql(sql)
    assert len(rows) == 1, (sql, rows)
    return rows[0]


def test_applied_seed_matches_seed_values_field_by_field(app_db):
    with connect(app_db.info) as conn:
        apply_seed(conn, confirm=app_db.name, now=NOW, zone="UTC")
    ref = REFERENCE
    t = ref["tenant"]
    tenant, *row = one(app_db, "SELECT id, name, email, phone, address, city, country FROM tenants")
    assert row == [t["name"], t["email"], t["phone"], t["address"], t["city"], t["country"]]
    b = ref["branch"]
    branch, *row = one(app_db, 'SELECT id, name, address, phone, email, "tenantId" FROM branches')
    assert row == [b["name"], b["address"], b["phone"], b["email"], tenant]
    users = {}
    for u in ref["users"]:
        uid, password, *row = one(
            app_db,
            'SELECT id, password, "firstName", "lastName", role::text, phone, '
            '"tenantId", "branchId" FROM users WHERE email = %s',
            u["email"],
        )
        assert row == [u["firstName"], u["lastName"], u["role"], u["phone"], tenant, branch], u["email"]
        assert password.startswith("$2a$10$")
        assert bcrypt.checkpw(u["password"].encode(), ("$2b$" + password[4:]).encode()), u["email"]
        users[u["email"]] = uid
    services = {}
    for s in ref["services"]:
        sid, *row = one(
            app_db,
            'SELECT id, description, duration, price, color, "tenantId" FROM services WHERE name = %s',
            s["name"],
        )
        assert row == [s["description"], s["duration"], s["price"], s["color"], tenant], s["name"]
        services[s["name"]] = (sid, s["price"])
    for a in ref["service_users"]:
        (commission,) = one(
            app_db,
            'SELECT commission FROM service_users WHERE "serviceId" = %s AND "userId" = %s',
            services[a["service"]][0],
            users[a["user"]],
        )
        assert commission == a["commission"]
    clients = {}
    for c in ref["clients"]:
        cid, *row = one(
            app_db,
            'SELECT id, "firstName", "lastName", phone, address, notes, "tenantId" FROM clients WHERE email = %s',
            c["email"],
        )
        assert row == [c["firstName"], c["lastName"], c["phone"], c["address"], c.get("notes"), tenant], c["email"]
        clients[c["email"]] = cid
    hours = app_db.sql(
        'SELECT "dayOfWeek", "startTime", "endTime", "branchId", "userId" FROM working_hours ORDER BY "dayOfWeek"'
    )
    assert hours == [(h["dayOfWeek"], h["startTime"], h["endTime"], branch, None) for h in ref["working_hours"]]
    paid = []
    for a in ref["appointments"]:
        start = MIDNIGHT + timedelta(days=a["day"]) + hhmm(a["start"])
        aid, *row = one(
            app_db,
            'SELECT id, "endTime", status::text, notes, "tenantId", "branchId", "clientId", '
            '"serviceId", "userId" FROM appointments WHERE "startTime" = %s',
            start,
        )
        end = MIDNIGHT + timedelta(days=a["day"]) + hhmm(a["end"])
        assert row == [
            end,
            a["status"],
            a.get("notes"),
            tenant,
            branch,
            clients[a["client"]],
            services[a["service"]][0],
            users[a["user"]],
        ], a
        if a["status"] == "COMPLETED":
            paid.append((aid, end, clients[a["client"]], services[a["service"]][1]))
    assert app_db.sql("SELECT count(*) FROM appointments") == [(len(ref["appointments"]),)]
    for aid, end, client, price in paid:
        amount, method, status, *row = one(
            app_db,
            'SELECT amount, "paymentMethod"::text, status::text, "tenantId", "branchId", "clientId", '
            '"userId", "createdAt" FROM payments WHERE "appointmentId" = %s',
            aid,
        )
        assert amount == price and method in ("CASH", "CREDIT_CARD") and status == "PAID"
        assert row == [tenant, branch, client, users["recepcionista@citaplanner.com"], end]
    assert app_db.sql("SELECT count(*) FROM payments") == [(3,)]
    for n in ref["notification_templates"]:
        row = one(
            app_db,
            'SELECT subject, message, "isActive", "isDefault", "tenantId" FROM notification_templates '
            "WHERE name = %s AND type::text = %s AND channel::text = %s",
            n["name"],
            n["type"],
            n["channel"],
        )
        assert list(row) == [n["subject"], n["message"], True, True, tenant], n["name"]
    assert app_db.sql("SELECT count(*) FROM notification_templates") == [(10,)]


# -- a database seeded the way seed.ts seeds it ---------------------------------------------------
def prisma_id() -> str:
    """A cuid as Prisma's client makes it: 'c', 8 base36 digits of milliseconds, 16 more."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    millis, stamp = int(time.time() * 1000), ""
    for _ in range(8):
        millis, rem = divmod(millis, 36)
        stamp = digits[rem] + stamp
    return "c" + stamp + "".join(secrets.choice(digits) for _ in range(16))


def insert(db, table: str, row: dict) -> str:
    row = {"id": prisma_id(), **row}
    names = ", ".join(f'"{c}"' for c in row)
    db.server.sql(
        f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(["%s"] * len(row))})', db.name, params=tuple(row.values())
    )
    return row["id"]


def seed_like_seed_ts(db, ran_at: datetime = datetime(2026, 2, 1, 9, 30)) -> None:
    """What ``npx tsx scripts/seed.ts`` leaves in an empty database, in seed.ts's order (Prisma's
    INSERTs: client-side ids, "updatedAt" given, the rest the columns' defaults)."""
    ref, stamp = REFERENCE, {"createdAt": ran_at, "updatedAt": ran_at}
    tenant = insert(db, "tenants", {**ref["tenant"], **stamp})
    branch = insert(db, "branches", {**ref["branch"], "tenantId": tenant, **stamp})
    users = {
        u["email"]: insert(
            db,
            "users",
            {
                "email": u["email"],
                "firstName": u["firstName"],
                "lastName": u["lastName"],
                "role": u["role"],
                "phone": u["phone"],
                "tenantId": tenant,
                "branchId": branch,
                **stamp,
                "password": bcrypt.hashpw(u["password"].encode(), bcrypt.gensalt(10))
                .decode()
                .replace("$2b$", "$2a$", 1),
            },
        )
        for u in ref["users"]
    }
    services = {
        s["name"]: (insert(db, "services", {**s, "tenantId": tenant, **stamp}), s["price"]) for s in ref["services"]
    }
    for a in ref["service_users"]:
        insert(
            db,
            "service_users",
            {
                "serviceId": services[a["service"]][0],
                "userId": users[a["user"]],
                "commission": a["commission"],
                "createdAt": ran_at,
            },
        )
    clients = {c["email"]: insert(db, "clients", {**c, "tenantId": tenant, **stamp}) for c in ref["clients"]}
    for h in ref["working_hours"]:
        insert(db, "working_hours", {**h, "branchId": branch, **stamp})
    midnight = datetime(ran_at.year, ran_at.month, ran_at.day)  # the container's clock: UTC
    for a in ref["appointments"]:
        start = midnight + timedelta(days=a["day"]) + hhmm(a["start"])
        end = midnight + timedelta(days=a["day"]) + hhmm(a["end"])
        appointment = insert(
            db,
            "appointments",
            {
                "startTime": start,
                "endTime": end,
                "status": a["status"],
                "notes": a.get("notes"),
                "tenantId": tenant,
                "branchId": branch,
                "clientId": clients[a["client"]],
                "serviceId": services[a["service"]][0],
                "userId": users[a["user"]],
                **stamp,
            },
        )
        if a["status"] == "COMPLETED":
            insert(
                db,
                "payments",
                {
                    "amount": services[a["service"]][1],
                    "paymentMethod": secrets.choice(["CASH", "CREDIT_CARD"]),
                    "status": "PAID",
                    "tenantId": tenant,
                    "branchId": branch,
                    "clientId": clients[a["client"]],
                    "appointmentId": appointment,
                    "userId": users["recepcionista@citaplanner.com"],
                    "createdAt": end,
                    "updatedAt": ran_at,
                },
            )
    for n in ref["notification_templates"]:
        insert(db, "notification_templates", {**n, "isActive": True, "isDefault": True, "tenantId": tenant, **stamp})


def test_database_seeded_by_seed_ts_plans_nothing_and_apply_writes_nothing(app_db, capsys):
    seed_like_seed_ts(app_db)
    url = ["--database-url", app_db.url]
    assert main([*url, "seed", "plan"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Plan: 0 to create, 35 exist, 0 differ, 0 conflicts, 15 skipped\n"), out
    assert "DIFFERS" not in out and "CREATE" not in out
    assert main([*url, "seed", "plan", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"] == {"CREATE": 0, "EXISTS": 35, "DIFFERS": 0, "CONFLICT": 0, "SKIP": 15}
    before = content(app_db)
    assert main([*url, "seed", "apply", "--confirm", app_db.name]) == 0
    assert capsys.readouterr().out.startswith(f"Nothing to create: {app_db.name} already has the seed")
    assert content(app_db) == before


def test_receptionist_with_another_role_gets_appointments_but_no_payments(app_db):
    seed_like_seed_ts(app_db)
    app_db.sql("DELETE FROM payments; DELETE FROM appointments")
    app_db.sql("UPDATE users SET role = 'MANAGER' WHERE email = 'recepcionista@citaplanner.com'")
    with connect(app_db.info) as conn:
        plan = plan_seed(conn, now=NOW, zone="UTC")
        payments = [i for i in plan.items if i.kind == "payment"]
        assert len(payments) == 3 and all(i.status is Status.SKIP for i in payments)
        assert "no seed user has the role RECEPTIONIST" in payments[0].reason
        result = apply_seed(conn, confirm=app_db.name, now=NOW, zone="UTC")
    assert result.created == {"appointments": 6}
    assert app_db.sql("SELECT count(*) FROM payments") == [(0,)]


def test_professional_moved_to_another_tenant_is_a_conflict_and_nothing_is_linked(app_db, capsys):
    seed_like_seed_ts(app_db)
    other = insert(
        app_db, "tenants", {"name": "Otra Estética", "email": "otra@estetica.mx", "updatedAt": datetime(2026, 2, 2)}
    )
    app_db.sql("DELETE FROM payments; DELETE FROM appointments")
    app_db.sql(f"UPDATE users SET \"tenantId\" = '{other}', \"branchId\" = NULL WHERE email = 'pro2@citaplanner.com'")
    url = ["--database-url", app_db.url]
    assert main([*url, "seed", "plan"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith("STATUS") and lines[3].startswith("CONFLICT user        pro2@citaplanner.com")
    before = content(app_db)
    assert main([*url, "seed", "apply", "--confirm", app_db.name]) == 1
    assert f"belongs to tenant {other}" in capsys.readouterr().err
    assert content(app_db) == before


def test_appointment_clock_is_the_process_zone_unless_tz(app_db, capsys, monkeypatch):
    url = ["--database-url", app_db.url]
    monkeypatch.setenv("TZ", "America/Mexico_City")
    time.tzset()
    try:
        main([*url, "seed", "plan", "--json"])
        doc = json.loads(capsys.readouterr().out)
        assert doc["clock"] == "America/Mexico_City (this process's time zone, as seed.ts; --tz to change)"
        main([*url, "seed", "plan", "--json", "--tz", "UTC"])
        utc = json.loads(capsys.readouterr().out)
        assert utc["clock"] == "UTC (--tz)"
        local_keys = [i["key"] for i in doc["items"] if i["kind"] == "appointment"]
        utc_keys = [i["key"] for i in utc["items"] if i["kind"] == "appointment"]
        # The same appointments, at 10:00 after local midnight in each zone (6 h apart in March).
        assert local_keys[0][11:] == "16:00 Isabella Torres" and utc_keys[0][11:] == "10:00 Isabella Torres"
        assert main([*url, "seed", "plan", "--tz", "Mars/Olympus"]) == 1
        assert capsys.readouterr().err == (
            "citaplanner-tui: --tz 'Mars/Olympus' is not a time zone the tz "
            "database knows (e.g. UTC, America/Mexico_City)\n"
        )
    finally:
        monkeypatch.undo()
        time.tzset()


# -- --seed-file ----------------------------------------------------------------------------------
def test_seed_file_in_json_and_toml_is_planned_instead_of_the_shipped_one(app_db, tmp_path, capsys):
    seed_like_seed_ts(app_db)
    newer = json.loads(SHIPPED.read_text("utf-8"))
    newer["services"][0]["price"] = 900
    newer["notification_templates"].append(
        {
            "name": "Recordatorio de Pago - Push",
            "type": "PAYMENT_REMINDER",
            "channel": "PUSH",
            "subject": "Pago pendiente",
            "message": "Tienes un pago pendiente de {{amount}}",
        }
    )
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(newer, ensure_ascii=False), "utf-8")
    url = ["--database-url", app_db.url]
    assert main([*url, "seed", "plan", "--seed-file", str(path)]) == 3
    out = capsys.readouterr().out
    assert out.startswith("Plan: 1 to create, 34 exist, 1 differs, 0 conflicts, 15 skipped\n")
    assert (
        f"Seed: {path};" in out
        and "DIFFERS  service     Facial Hidratante                 price: db 850.0, seed" in out
    )
    assert "CREATE   template    Recordatorio de Pago - Push (PUS…" in out
    toml = tmp_path / "newer.toml"
    toml.write_text(_toml(newer), "utf-8")
    assert main([*url, "seed", "plan", "--seed-file", str(toml)]) == 3
    assert capsys.readouterr().out.startswith("Plan: 1 to create, 34 exist, 1 differs, 0 conflicts, 15 skipped\n")
    assert main([*url, "seed", "plan"]) == 0  # the shipped definition stays the default
    capsys.readouterr()


def _toml(doc: dict) -> str:
    """The definition as TOML (tables and arrays of tables; TOML has no null, so nulls are left out)."""

    def value(v):
        return json.dumps(v, ensure_ascii=False)

    def body(record):
        return "".join(f"{k} = {value(v)}\n" for k, v in record.items() if v is not None)

    out = []
    for section, content_ in doc.items():
        if section.startswith("_"):
            continue
        if isinstance(content_, dict):
            out.append(f"[{section}]\n{body(content_)}")
        else:
            out.extend(f"[[{section}]]\n{body(record)}" for record in content_)
    return "\n".join(out)


@pytest.mark.parametrize(
    "text, name, says",
    [
        ('{"tenant": ', "bad.json", "is not valid JSON: Expecting value at line 1, column 12"),
        ("tenant = [", "bad.toml", "is not valid TOML"),
        ("[1, 2]", "list.json", "is not a seed definition: the seed definition must be an object of sections"),
        ('{"tenant": {}}', "short.json", "is not a seed definition: unknown section"),
        (None, "unknown.json", "is not a seed definition: users[0] has an unknown key 'nickname'"),
        (None, "missing.json", "is not a seed definition: the seed definition lacks the section 'payments'"),
        (None, "role.json", 'is not a seed definition: users[4].role is "CASHIER", not one of SUPERADMIN'),
        (
            None,
            "dangling.json",
            "is not a seed definition: appointments[0].client names the client "
            "'isabella.torres@email.com', which the definition does not have",
        ),
    ],
)
def test_malformed_seed_file_gets_one_sentence(tmp_path, capsys, text, name, says):
    doc = json.loads(SHIPPED.read_text("utf-8"))
    if name == "unknown.json":
        doc["users"][0]["nickname"] = "admin"
    elif name == "missing.json":
        del doc["payments"]
    elif name == "role.json":
        doc["users"][4]["role"] = "CASHIER"
    elif name == "short.json":
        text = '{"tenant": {}, "staff": []}'
    elif name == "dangling.json":
        del doc["clients"][0]
    path = tmp_path / name
    path.write_text(text if text is not None else json.dumps(doc), "utf-8")
    # No database is reached: the file is refused first.
    code = main(
        ["--database-url", "postgresql://nobody@/none?host=/nonexistent", "seed", "plan", "--seed-file", str(path)]
    )
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.startswith(f"citaplanner-tui: the seed file {path} {says}"), captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_missing_seed_file_gets_one_sentence(tmp_path, capsys):
    path = tmp_path / "nowhere.toml"
    assert (
        main(
            ["--database-url", "postgresql://nobody@/none?host=/nonexistent", "seed", "plan", "--seed-file", str(path)]
        )
        == 1
    )
    assert capsys.readouterr().err == (
        f"citaplanner-tui: cannot read the seed file {path}: No such file or directory\n"
    )
