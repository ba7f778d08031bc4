"""The seed's pure decision (no database): statuses, group rules, conflicts, clock, output."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from citaplanner_tui.cli.seed import table_lines
from citaplanner_tui.core.seed import data
from citaplanner_tui.core.seed.cuid import is_cuid, new_cuid
from citaplanner_tui.core.seed.passwords import check_password, hash_password
from citaplanner_tui.core.seed.plan import Chance, Ref, Status, decide, local_midnight
from citaplanner_tui.core.seed.read import Snapshot

NOW = datetime(2026, 3, 10, 3, 30, tzinfo=timezone.utc)  # still March 9 in Mexico City
SEED_ROWS = 1 + 1 + 5 + 6 + 6 + 6 + 6 + 6 + 3 + 10
# The reference seed-values.json (every literal value seed.ts writes), copied as it is.
REFERENCE = Path(__file__).parent / "data" / "seed-values.json"
SEED = data.SHIPPED


def existing() -> Snapshot:
    """A snapshot where every seed row exists exactly as the seed would write it."""
    tenant = {"id": "t1", **SEED.tenant}
    users = {
        u.email: {
            "id": f"u{i}",
            "email": u.email,
            "firstName": u.first_name,
            "lastName": u.last_name,
            "role": u.role,
            "phone": u.phone,
            "tenantId": "t1",
            "branchId": "b1",
        }
        for i, u in enumerate(SEED.users)
    }
    services = {
        s.name: {
            "id": f"s{i}",
            "name": s.name,
            "description": s.description,
            "duration": s.duration,
            "price": s.price,
            "color": s.color,
        }
        for i, s in enumerate(SEED.services)
    }
    assignments = {
        (services[a.service]["id"], users[a.user]["id"]): {"id": f"a{i}", "commission": a.commission}
        for i, a in enumerate(SEED.service_users)
    }
    clients = {
        c.email: {
            "id": f"c{i}",
            "firstName": c.first_name,
            "lastName": c.last_name,
            "email": c.email,
            "phone": c.phone,
            "address": c.address,
            "notes": c.notes,
        }
        for i, c in enumerate(SEED.clients)
    }
    templates = {
        (t.name, t.type, t.channel): {
            "id": f"n{i}",
            "name": t.name,
            "subject": t.subject,
            "message": t.message,
            "isActive": True,
            "isDefault": True,
            "tenantId": "t1",
        }
        for i, t in enumerate(SEED.templates)
    }
    return Snapshot(
        tenant=tenant,
        tenant_count=1,
        branch={"id": "b1", **SEED.branch},
        branch_hours=6,
        users=users,
        services=services,
        assignments=assignments,
        clients_by_phone={c["phone"]: c for c in clients.values()},
        clients_by_email=clients,
        tenant_has_appointments=True,
        templates=templates,
    )


def by_key(plan, kind):
    return {i.key: i for i in plan.items if i.kind == kind}


def test_shipped_definition_is_the_reference_seed_values():
    reference = json.loads(REFERENCE.read_text("utf-8"))
    assert SEED.tenant == reference["tenant"] and SEED.branch == reference["branch"]
    assert [(u.email, u.password, u.first_name, u.last_name, u.role, u.phone) for u in SEED.users] == [
        (u["email"], u["password"], u["firstName"], u["lastName"], u["role"], u["phone"]) for u in reference["users"]
    ]
    assert [(s.name, s.description, s.duration, s.price, s.color) for s in SEED.services] == [
        (s["name"], s["description"], s["duration"], s["price"], s["color"]) for s in reference["services"]
    ]
    assert [(a.service, a.user, a.commission) for a in SEED.service_users] == [
        (a["service"], a["user"], a["commission"]) for a in reference["service_users"]
    ]
    assert [(c.first_name, c.last_name, c.email, c.phone, c.address, c.notes) for c in SEED.clients] == [
        (c["firstName"], c["lastName"], c["email"], c["phone"], c["address"], c.get("notes"))
        for c in reference["clients"]
    ]
    assert [(h.day_of_week, h.start, h.end) for h in SEED.working_hours] == [
        (h["dayOfWeek"], h["startTime"], h["endTime"]) for h in reference["working_hours"]
    ]
    assert [(a.day, a.start, a.end, a.status, a.client, a.service, a.user, a.notes) for a in SEED.appointments] == [
        (a["day"], a["start"], a["end"], a["status"], a["client"], a["service"], a["user"], a.get("notes"))
        for a in reference["appointments"]
    ]
    assert [(t.name, t.type, t.channel, t.subject, t.message, t.is_active, t.is_default) for t in SEED.templates] == [
        (t["name"], t["type"], t["channel"], t["subject"], t["message"], True, True)
        for t in reference["notification_templates"]
    ]


def test_empty_database_creates_everything_with_parents_as_refs():
    plan = decide(Snapshot(), NOW, zone="UTC")
    assert len(plan.items) == SEED_ROWS
    assert plan.counts[Status.CREATE] == SEED_ROWS and plan.creates and not plan.conflicts
    assert plan.summary() == f"Plan: {SEED_ROWS} to create, 0 exist, 0 differ, 0 conflicts, 0 skipped"
    user = by_key(plan, "user")["admin@citaplanner.com"]
    assert user.values["tenantId"] == Ref("tenant", "contacto@bellavita.com")
    assert "password" not in user.values  # hashed only at apply time, never shown
    payments = [i for i in plan.items if i.kind == "payment"]
    assert [p.values["amount"] for p in payments] == [650.0, 1000.0, 450.0]
    assert all(p.values["paymentMethod"] == Chance(("CASH", "CREDIT_CARD")) for p in payments)
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


def test_client_with_seed_phone_and_other_email_is_a_conflict_listed_first():
    snap = existing()
    other = {
        "id": "cX",
        "firstName": "Camila",
        "lastName": "Vega",
        "email": "otra@correo.mx",
        "phone": "+52 55 1111 0005",
        "address": None,
        "notes": None,
    }
    del snap.clients_by_email["camila.vega@email.com"]
    snap.clients_by_phone[other["phone"]] = other
    plan = decide(snap, NOW)
    item = by_key(plan, "client")["camila.vega@email.com"]
    assert item.status is Status.CONFLICT and "cX" in item.conflict and "otra@correo.mx" in item.conflict
    assert item.conflict.endswith("(unique key phone, tenantId)")
    assert plan.conflicts == (item,) and plan.items[0] is item


def test_client_found_by_email_with_other_phone_differs_instead_of_conflicting():
    snap = existing()
    snap.clients_by_email["diego.hernandez@email.com"] = {
        **snap.clients_by_email["diego.hernandez@email.com"],
        "phone": "+52 55 9999 0000",
    }
    item = by_key(decide(snap, NOW), "client")["diego.hernandez@email.com"]
    assert item.status is Status.DIFFERS and item.differs == {"phone": ("+52 55 9999 0000", "+52 55 1111 0002")}


def test_templates_are_found_by_name_type_channel_in_any_tenant_as_seed_ts():
    snap = existing()
    for row in snap.templates.values():
        row["tenantId"] = "other"
    plan = decide(snap, NOW)
    templates = [i for i in plan.items if i.kind == "template"]
    assert not plan.creates and all(i.status is Status.DIFFERS for i in templates)
    assert all(set(i.differs) == {"tenantId"} and "another tenant" in i.reason for i in templates)


def test_no_second_default_template_for_a_tenant_type_and_channel():
    snap = existing()
    old = snap.templates.pop(("Recordatorio de Cita - WhatsApp", "APPOINTMENT_REMINDER", "WHATSAPP"))
    snap.default_templates[("APPOINTMENT_REMINDER", "WHATSAPP")] = {
        **old,
        "id": "nOld",
        "name": "Recordatorio viejo",
        "message": "Hola {{clientName}}",
    }
    plan = decide(snap, NOW)
    item = by_key(plan, "template")["Recordatorio de Cita - WhatsApp (WHATSAPP)"]
    assert item.status is Status.DIFFERS and item.row_id == "nOld" and not plan.creates
    assert item.differs["name"] == ("Recordatorio viejo", "Recordatorio de Cita - WhatsApp")
    assert "message" in item.differs and "second default" in item.reason
    assert item.detail.startswith("name: db Recordatorio viejo, seed Recordatorio de Cita - WhatsApp; ")
    assert item.detail.endswith("so the seed creates none")
    # Without that default row, the template is created.
    snap.default_templates.clear()
    assert by_key(decide(snap, NOW), "template")["Recordatorio de Cita - WhatsApp (WHATSAPP)"].status is Status.CREATE


def test_professional_in_another_tenant_is_a_conflict_and_nothing_links_to_it():
    snap = existing()
    snap.users["pro1@citaplanner.com"]["tenantId"] = "other"
    snap.tenant_has_appointments = False
    plan = decide(snap, NOW)
    (conflict,) = plan.conflicts
    assert conflict.key == "pro1@citaplanner.com" and plan.items[0] is conflict
    assert "belongs to tenant other" in conflict.conflict and "appointments" in conflict.conflict
    linked = [i for i in plan.items if i.kind == "appointment" and i.status is Status.SKIP]
    assert len(linked) == 3 and all("pro1@citaplanner.com belongs to another tenant" in i.reason for i in linked)
    assert all(i.values.get("userId") != "u2" for i in plan.items if i.status is Status.CREATE)
    # The same user, with nothing new to link to it, only differs on its tenant.
    snap.tenant_has_appointments = True
    item = by_key(decide(snap, NOW), "user")["pro1@citaplanner.com"]
    assert item.status is Status.DIFFERS and set(item.differs) == {"tenantId"}


def test_receptionist_with_another_role_means_no_payments_as_seed_ts():
    snap = existing()
    snap.users["recepcionista@citaplanner.com"]["role"] = "MANAGER"
    snap.tenant_has_appointments = False
    plan = decide(snap, NOW)
    assert by_key(plan, "user")["recepcionista@citaplanner.com"].differs == {"role": ("MANAGER", "RECEPTIONIST")}
    payments = [i for i in plan.items if i.kind == "payment"]
    assert len(payments) == 3 and all(p.status is Status.SKIP for p in payments)
    assert payments[0].reason == (
        "no seed user has the role RECEPTIONIST (recepcionista@citaplanner.com is "
        "MANAGER now), and seed.ts creates no payments then"
    )
    assert plan.creates_by_table() == {"appointments": 6}
    # seed.ts takes the first seed user with that role, whoever it is.
    snap.users["manager@citaplanner.com"]["role"] = "RECEPTIONIST"
    paid = [i for i in decide(snap, NOW).items if i.kind == "payment"]
    assert all(p.status is Status.CREATE and p.values["userId"] == "u1" for p in paid)


def test_groups_are_created_when_branch_and_tenant_have_none():
    snap = existing()
    snap.branch_hours = 0
    snap.tenant_has_appointments = False
    plan = decide(snap, NOW)
    assert plan.creates_by_table() == {"working_hours": 6, "appointments": 6, "payments": 3}
    appointment = next(i for i in plan.items if i.kind == "appointment")
    assert appointment.values["clientId"] == "c0" and appointment.values["userId"] == "u2"


def test_appointment_clock_is_local_midnight_plus_offsets():
    # --tz America/Tijuana: 03:30 UTC on March 10 is March 9 there, already in DST (UTC-7 since
    # March 8): midnight is 07:00 UTC, so 10:00 is 17:00 UTC.
    plan = decide(Snapshot(), NOW, zone="America/Tijuana")
    first = next(i for i in plan.items if i.kind == "appointment")
    assert first.values["startTime"] == datetime(2026, 3, 9, 17, 0)
    assert first.values["endTime"] == datetime(2026, 3, 9, 18, 0)
    assert plan.clock == "America/Tijuana (--tz)"
    # seed.ts adds elapsed milliseconds to that midnight: 3 days before plus 12 h is 19:00 UTC,
    # which was 11:00 in Tijuana (UTC-8 before the change), not a wall-clock 12:00.
    payment = next(i for i in plan.items if i.kind == "payment")
    assert payment.values["createdAt"] == datetime(2026, 3, 6, 19, 0)


def test_default_clock_is_the_process_time_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        plan = decide(Snapshot(), NOW)
        first = next(i for i in plan.items if i.kind == "appointment")
        assert first.values["startTime"] == datetime(2026, 3, 10, 10, 0)
        assert plan.clock.startswith("UTC (this process's time zone")
        monkeypatch.setenv("TZ", "America/Mexico_City")
        time.tzset()
        assert local_midnight(NOW, None) == datetime(2026, 3, 9, 6, 0, tzinfo=timezone.utc)
    finally:
        monkeypatch.undo()
        time.tzset()


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
    assert doc["keys"]["client"] == {
        "table": "clients",
        "natural_key": ["tenantId", "email"],
        "unique_keys": [["phone", "tenantId"]],
    }
    assert doc["keys"]["template"]["natural_key"] == ["name", "type", "channel"]


def test_cuid_shape_and_bcryptjs_hash_form():
    ids = {new_cuid() for _ in range(1000)}
    assert len(ids) == 1000 and all(is_cuid(i) for i in ids)
    hashed = hash_password("admin123")
    assert hashed.startswith("$2a$10$") and len(hashed) == 60
    assert check_password("admin123", hashed) and not check_password("admin124", hashed)


def test_why_a_row_is_skipped_or_collides_is_said_in_the_operators_language():
    """The reasons and collisions are the plan's own sentences: the console's detail bar and the
    CLI's table show them in Spanish, with their figures, and the English stays the same."""
    from citaplanner_tui.core import i18n
    from citaplanner_tui.tui.screens.seed import detail_lines

    snap = existing()
    snap.users["recepcionista@citaplanner.com"]["role"] = "MANAGER"
    snap.users["pro1@citaplanner.com"]["tenantId"] = "other"
    snap.tenant_has_appointments = False
    plan = decide(snap, NOW)
    hours = next(i for i in plan.items if i.kind == "hours")
    conflict = next(i for i in plan.items if i.status is Status.CONFLICT)
    i18n.activate("es")
    try:
        assert detail_lines(hours)[1] == (
            "  la sucursal ya tiene 6 filas de horario (el seed agrega horarios solo a una sucursal sin ninguno)"
        )
        assert "el usuario u2 (pro1@citaplanner.com) pertenece al tenant other" in detail_lines(conflict)[1]
        table = "\n".join(table_lines(plan.items, width=200))
        assert "la sucursal ya tiene 6 filas de horario" in table
        assert (
            "ningún usuario del seed tiene el rol RECEPTIONIST (recepcionista@citaplanner.com es MANAGER ahora), "
            "y entonces seed.ts no crea pagos"
        ) in " ".join(table.split())
        assert "already has" not in table and "belongs to" not in table
    finally:
        i18n.activate("en")
    assert hours.detail.startswith("the branch already has 6 working-hours rows")
