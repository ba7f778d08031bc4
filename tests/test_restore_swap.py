"""Swap-mode restores against real servers (embedded 18 and Debian's 15)."""

from __future__ import annotations

from datetime import datetime


from citaplanner_tui.core.restore import execute, preflight, rollback
from tests.support.restore import content, databases, fill, settings_for, take_backup


def test_swap_restore_brings_back_the_backup_and_keeps_the_old_database(any_live, backup_dir):
    live = any_live
    fill(live)
    archive = take_backup(live, backup_dir)
    at_backup = content(live.server, live.name)
    live.sql("DELETE FROM payments; UPDATE clients SET \"firstName\" = 'changed'")
    live.sql(
        f'REVOKE CONNECT ON DATABASE "{live.name}" FROM PUBLIC; GRANT CONNECT ON DATABASE "{live.name}" TO '
        f"citaplanner; ALTER DATABASE \"{live.name}\" SET work_mem TO '12MB'"
    )
    setup = (
        "SELECT ARRAY(SELECT unnest(datacl)::text ORDER BY 1)::text, "
        "(SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = d.oid) "
        "FROM pg_database d WHERE datname = current_database()"
    )
    setup_before = live.sql(setup)
    changed = content(live.server, live.name)
    assert changed != at_backup
    settings = settings_for(live, backup_dir)

    plan = preflight(settings, archive)
    assert plan.ok and plan.mode == "swap", plan.checks
    assert plan.rows["public.appointments"] == at_backup["appointments"][0]
    outcome = execute(settings, plan, confirm=live.name)

    assert content(live.server, live.name) == at_backup
    assert content(live.server, outcome.pre_restore) == changed
    assert live.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()") == [
        ("citaplanner",)
    ]
    assert outcome.rows == plan.rows
    assert live.sql(setup) == setup_before and "=Tc" not in setup_before[0][0]
    dumps = [str(p) for p in (backup_dir / "safety").glob("*.sql.*") if p.suffix in (".gz", ".zst")]
    assert dumps == [outcome.safety_backup]
    assert outcome.safety_backup.endswith(".sql.zst")  # the fastest format, whatever the configured one
    assert not databases(live.server, live.name + "__restore_")

    back = rollback(settings, live.name, confirm=live.name)
    assert back.restored_from == outcome.pre_restore
    assert content(live.server, live.name) == changed
    assert content(live.server, back.parked_as) == at_backup


def test_rollback_brings_back_what_the_latest_swap_parked_not_the_newest_name(app_db, backup_dir):
    from tests.support.db import APP_ROLE

    from citaplanner_tui.core.restore import last_swap, rollback_candidate

    live = app_db
    fill(live, clients=20, appointments=40)
    archive = take_backup(live, backup_dir)
    live.sql("DELETE FROM payments")
    before = content(live.server, live.name)
    settings = settings_for(live, backup_dir)
    outcome = execute(settings, preflight(settings, archive), confirm=live.name)
    decoy = f"{live.name}__pre_restore_20991231235959"  # a later stamp (another tool, a clock that ran ahead)
    live.server.create_database(decoy, owner=APP_ROLE)

    record = last_swap(settings)
    assert (record.target, record.parked, record.backup) == (live.name, outcome.pre_restore, str(archive))
    assert record.kind == "restore" and record.swapped_at == record.when
    assert rollback_candidate(settings, live.name) == outcome.pre_restore
    back = rollback(settings, live.name, confirm=live.name)
    assert back.restored_from == outcome.pre_restore
    assert content(live.server, live.name) == before
    again = last_swap(settings)
    assert again.parked == back.parked_as
    # The console says "roll back the rollback of HH:MM": kind and the swap's own time, not the plan's stamp.
    assert again.kind == "rollback" and again.backup is None
    assert record.swapped_at <= again.swapped_at <= datetime.now().isoformat(timespec="seconds")
    assert again.swapped_at[:4].isdigit() and "T" in again.swapped_at
