"""The seed's pure decision (no database): statuses, group rules, conflicts, times, output."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from citaplanner_tui.cli.seed import table_lines
from citaplanner_tui.core.seed import data
from citaplanner_tui.core.seed.cuid import is_cuid, new_cuid
from citaplanner_tui.core.seed.passwords import check_password, hash_password
from citaplanner_tui.core.seed.plan import Ref, Status, decide, local_to_utc
from citaplanner_tui.core.seed.read import Snapshot

NOW = datetime(2026, 3, 10, 3, 30, tzinfo=timezone.utc)  # still March 9 in Mexico City
SEED_ROWS = 1 + 1 + 5 + 6 + 6 + 6 + 6 + 6 + 3 + 10


def existing() -> Snapshot:
    """A snapshot where every seed row exists exactly as the seed would write it."""
    tenant = {"id": "t1", **data.TENANT_ROW, "timezone": "America/Mexico_City"}
    users = {u.email: {"id": f"u{i}", "email": u.email, "firstName": u.first_name,
                       "lastName": u.last_name, "role": u.role, "phone": u.phone,
                       "tenantId": "t1", "branchId": "b1"} for i, u in enumerate(data.USERS)}
    services = {s.name: {"id": f"s{i}", "name": s.name, "description": s.description,
                         "duration": s.duration, "price": s.price, "color": s.color}
                for i, s in enumerate(data.SERVICES)}
    assignments = {(services[s.name]["id"], users[s.professional]["id"]):
                   {"id": f"a{i}", "commission": s.commission} for i, s in enumerate(data.SERVICES)}
    clients = {c.email: {"id": f"c{i}", "firstName": c.first_name, "lastName": c.last_name,
                         "email": c.email, "phone": c.phone, "address": c.address, "notes": c.notes}
               for i, c in enumerate(data.CLIENTS)}
    templates = {(n, t, ch): {"id": f"n{i}", "subject": subj, "message": msg, "isActive": True,
                              "isDefault": True} for i, (n, t, ch, subj, msg) in enumerate(data.TEMPLATES)}
    return Snapshot(tenant=tenant, tenant_count=1, branch={"id": "b1", **data.BRANCH_ROW},
                    branch_hours=6, users=users, services=services, assignments=assignments,
                    clients_by_phone={c["phone"]: c for c in clients.values()},
                    clients_by_email=clients, tenant_has_appointments=True, templates=templates)


def by_key(plan, kind):
    return {i.key: i for i in plan.items if i.kind == kind}


def test_empty_database_creates_everything_with_parents_as_refs():
    plan = decide(Snapshot(), NOW)
    assert len(plan.items) == SEED_ROWS
    assert plan.counts[Status.CREATE] == SEED_ROWS and plan.creates and not plan.conflicts
    assert plan.summary() == f"Plan: {SEED_ROWS} to create, 0 exist, 0 differ, 0 conflicts, 0 skipped"
    user = by_key(plan, "user")["admin@citaplanner.com"]
    assert user.values["tenantId"] == Ref("tenant", "contacto@bellavita.com")
    assert "password" not in user.values  # hashed only at apply time, never shown
    payments = [i for i in plan.items if i.kind == "payment"]
    assert [p.values["amount"] for p in payments] == [650.0, 1000.0, 450.0]
    assert [p.values["paymentMethod"] for p in payments] == ["CREDIT_CARD", "CASH", "CASH"]
    assert plan.creates_by_table()["notification_templates"] == 10


def test_everything_present_exists_and_groups_are_skipped_with_a_reason():
    plan = decide(existing(), NOW)
    counts = plan.counts
    assert counts[Status.CREATE] == 0 and counts[Status.DIFFERS] == 0
    assert counts[Status.SKIP] == 6 + 6 + 3 and counts[Status.EXISTS] == SEED_ROWS - 15
    hours = [i for i in plan.items if i.kind == "hours"]
    assert all("already has 6 working-hours rows" in i.reason for i in hours)
    assert all("already has appointments" in i.reason for i in plan.items if i.kind == "payment")
    assert not plan.creates


def test_changed_price_differs_and_names_the_field():
    snap = existing()
    snap.services["Facial Hidratante"]["price"] = 999.0
    item = by_key(decide(snap, NOW), "service")["Facial Hidratante"]
    assert item.status is Status.DIFFERS and item.differs == {"price": (999.0, 850.0)}
    assert item.detail == "price: db 999.0, seed 850.0" and item.row_id == "s0"


def test_payment_uses_the_existing_service_price():
    snap = existing()
    snap.services["Manicure y Pedicure"]["price"] = 700.0
    snap.tenant_has_appointments = False
    payments = [i for i in decide(snap, NOW).items if i.kind == "payment"]
    assert payments[0].values["amount"] == 700.0 and payments[0].values["appointmentId"].kind == "appointment"


def test_client_with_seed_phone_and_other_email_is_a_conflict_naming_the_row():
    snap = existing()
    other = {"id": "cX", "firstName": "Camila", "lastName": "Vega", "email": "otra@correo.mx",
             "phone": "+52 55 1111 0005", "address": None, "notes": None}
    del snap.clients_by_email["camila.vega@email.com"]
    snap.clients_by_phone[other["phone"]] = other
    plan = decide(snap, NOW)
    item = by_key(plan, "client")["camila.vega@email.com"]
    assert item.status is Status.CONFLICT and "cX" in item.conflict and "otra@correo.mx" in item.conflict
    assert item.conflict.endswith("(unique key phone, tenantId)")
    assert plan.conflicts == (item,)


def test_client_found_by_email_with_other_phone_differs_instead_of_conflicting():
    snap = existing()
    snap.clients_by_email["diego.hernandez@email.com"] = {
        **snap.clients_by_email["diego.hernandez@email.com"], "phone": "+52 55 9999 0000"}
    item = by_key(decide(snap, NOW), "client")["diego.hernandez@email.com"]
    assert item.status is Status.DIFFERS and item.differs == {"phone": ("+52 55 9999 0000", "+52 55 1111 0002")}


def test_user_in_another_tenant_differs_on_tenant():
    snap = Snapshot(users={"pro1@citaplanner.com": {
        "id": "u9", "email": "pro1@citaplanner.com", "firstName": "Estilista", "lastName": "Senior",
        "role": "PROFESSIONAL", "phone": "+52 55 3333 3333", "tenantId": "other", "branchId": None}})
    item = by_key(decide(snap, NOW), "user")["pro1@citaplanner.com"]
    assert item.status is Status.DIFFERS and set(item.differs) == {"tenantId", "branchId"}
    assert str(item.differs["tenantId"][1]) == "(new tenant contacto@bellavita.com)"


def test_groups_are_created_when_branch_and_tenant_have_none():
    snap = existing()
    snap.branch_hours = 0
    snap.tenant_has_appointments = False
    plan = decide(snap, NOW)
    assert plan.creates_by_table() == {"working_hours": 6, "appointments": 6, "payments": 3}
    appointment = next(i for i in plan.items if i.kind == "appointment")
    assert appointment.values["clientId"] == "c0" and appointment.values["userId"] == "u2"


def test_appointment_times_follow_the_tenant_time_zone_not_utc():
    snap = Snapshot(tenant={"id": "t1", **data.TENANT_ROW, "timezone": "America/Tijuana"}, tenant_count=1)
    plan = decide(snap, NOW)
    first = next(i for i in plan.items if i.kind == "appointment")
    # 03:30 UTC on March 10 is March 9 in Tijuana (UTC-7 from March 8, 2026): 10:00 local = 17:00 UTC.
    assert first.values["startTime"] == datetime(2026, 3, 9, 17, 0)
    assert first.values["endTime"] == datetime(2026, 3, 9, 18, 0)
    assert plan.timezone == "America/Tijuana"
    payment = next(i for i in plan.items if i.kind == "payment")
    # Its end, 3 days earlier at 12:00 local, is before the DST change: UTC-8, so 20:00 UTC.
    assert payment.values["createdAt"] == datetime(2026, 3, 6, 20, 0)


def test_default_time_zone_when_the_tenant_is_new():
    first = next(i for i in decide(Snapshot(), NOW).items if i.kind == "appointment")
    assert first.values["startTime"] == local_to_utc(datetime(2026, 3, 9), "10:00", "America/Mexico_City")
    assert first.values["startTime"] == datetime(2026, 3, 9, 16, 0)


def test_duplicate_tenants_are_noted():
    snap = existing()
    snap.tenant_count = 2
    item = by_key(decide(snap, NOW), "tenant")["contacto@bellavita.com"]
    assert item.status is Status.EXISTS and "2 tenants" in item.reason


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        decide(Snapshot(), datetime(2026, 1, 1))


def test_table_fits_80_columns_and_json_is_plain():
    snap = existing()
    snap.services["Facial Hidratante"]["price"] = 999.0
    plan = decide(snap, NOW)
    lines = table_lines(plan.items)
    assert all(len(line) <= 80 for line in lines)
    assert any(line.startswith("DIFFERS  service") for line in lines)
    assert sum("(same as above)" in line for line in lines) == 5 + (6 + 3 - 1)
    doc = plan.to_json()
    assert doc["counts"]["DIFFERS"] == 1
    assert doc["items"][7]["differs"] == {"price": {"db": 999.0, "seed": 850.0}}
    assert doc["keys"]["client"] == {"table": "clients", "natural_key": ["tenantId", "email"],
                                     "unique_keys": [["phone", "tenantId"]]}
    assert doc["keys"]["user"]["unique_keys"] == [["email"]]


def test_cuid_shape_and_bcryptjs_hash_form():
    ids = {new_cuid() for _ in range(1000)}
    assert len(ids) == 1000 and all(is_cuid(i) for i in ids)
    hashed = hash_password("admin123")
    assert hashed.startswith("$2a$10$") and len(hashed) == 60
    assert check_password("admin123", hashed) and not check_password("admin124", hashed)
