"""The restore wizard on a real server: pick, pre-flight, typed confirmation, swap, rollback."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import Button, Input

from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.tui.screens.confirm import ConfirmScreen
from citaplanner_tui.tui.screens.restore import RestoreScreen
from tests.support.restore import content, fill, take_backup
from tests.support.tui import (
    backed_up_then_changed,
    make_console,
    settle,
    sync,
    to_plan,
    type_name,
    wait_for_job,
)


def counts(db, dbname: str | None = None) -> dict[str, int]:
    """Rows per table of ``db`` (or of another database on its server)."""
    return {table: rows for table, (rows, _) in content(db.server, dbname or db.name).items()}


@sync
async def test_full_restore_through_the_wizard_then_rollback(app_db, backup_dir):
    fill(app_db, clients=40, appointments=120)
    archive = take_backup(app_db, backup_dir)
    at_backup = counts(app_db)
    app_db.sql(
        "DELETE FROM payments; DELETE FROM appointments WHERE id IN (SELECT id FROM appointments ORDER BY id LIMIT 50)"
    )
    changed = counts(app_db)
    assert changed != at_backup
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")  # the backups list; its only backup is selected
        await settle(pilot)
        await pilot.press("R")
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, RestoreScreen) and wizard.step == "pick"
        assert wizard.query_one("#pick").selected() == archive
        await pilot.press("enter")  # the highlighted backup: pre-flight
        job = await wait_for_job(pilot, "preflight")
        assert job.error is None, job.error
        checks = wizard.query_one("#preflight-checks").text
        assert "OK" in checks and "as its manifest records" in checks and "FAIL" not in checks
        await pilot.press("enter")
        assert wizard.step == "plan"
        assert "mode swap" in str(wizard.query_one("#plan-head").render())
        assert "safety backup" in wizard.query_one("#plan-steps").text
        assert "Enter (or R) restores" in str(wizard.query_one("#plan-foot").render())
        await pilot.press("R")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and app.focused.id == "confirm-input"
        await type_name(pilot, app_db.name)
        assert not dialog.query_one("#confirm", Button).disabled
        with connect(app_db.admin(), autocommit=False) as blocker:
            blocker.execute("LOCK TABLE clients IN ACCESS EXCLUSIVE MODE")  # holds the safety backup
            await pilot.press("enter")
            await pilot.pause()
            assert wizard.step == "progress"
            await pilot.press("escape")  # leave while it runs: the job goes on
            assert not isinstance(app.screen, RestoreScreen)
            app.open_restore()  # and come back: the wizard shows the run again
            await pilot.pause()
            wizard = app.screen
            assert isinstance(wizard, RestoreScreen) and wizard.step == "progress"
            blocker.rollback()
        job = await wait_for_job(pilot, "restore")
        assert job.error is None, job.error
        assert wizard.step == "outcome"
        outcome = job.result.value
        assert counts(app_db) == at_backup
        assert counts(app_db, outcome.pre_restore) == changed
        shown = str(wizard.query_one("#outcome-text").render())
        assert shown.startswith("OK   restored")
        assert outcome.pre_restore in shown and Path(outcome.safety_backup).name in shown
        log_lines = "\n".join(str(line.text) for line in wizard.query_one("#restore-log").lines)
        assert "swap" in log_lines

        await pilot.press("U")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.focused.id == "confirm-input"
        await type_name(pilot, app_db.name)
        await pilot.press("enter")
        back = await wait_for_job(pilot, "rollback")
        assert back.error is None, back.error
        assert counts(app_db) == changed
        assert str(wizard.query_one("#outcome-text").render()).startswith("OK   rolled back")


def leftovers(db) -> list[str]:
    return [
        r[0]
        for r in db.server.sql(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", params=(db.name + "__",)
        )
    ]


@sync
async def test_wrong_name_keeps_confirm_disabled_and_esc_changes_nothing(app_db, backup_dir):
    archive, before = backed_up_then_changed(app_db, backup_dir)
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await to_plan(pilot, archive)
        await pilot.press("R")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and app.focused.id == "confirm-input"
        assert wizard.step == "confirm"
        confirm = dialog.query_one("#confirm", Button)
        for typed in (app_db.name[:-2], app_db.name.upper(), app_db.name + " "):
            dialog.query_one(Input).value = ""
            await type_name(pilot, typed)
            assert confirm.disabled, typed
            await pilot.press("enter")  # Enter in the box does nothing while it does not match
            assert app.screen is dialog
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is wizard and wizard.step == "plan"
        assert not [job for job in app.jobs if job.kind == "restore"]
    assert content(app_db.server, app_db.name) == before
    assert leftovers(app_db) == [] and not (backup_dir / "safety").exists()


@sync
async def test_cancel_during_the_safety_backup_leaves_everything_as_it_was(app_db, backup_dir):
    archive, before = backed_up_then_changed(app_db, backup_dir)
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await to_plan(pilot, archive)
        with connect(app_db.admin(), autocommit=False) as blocker:
            blocker.execute("LOCK TABLE clients IN ACCESS EXCLUSIVE MODE")  # the safety pg_dump waits
            await pilot.press("R")
            await pilot.pause()
            await type_name(pilot, app_db.name)
            await pilot.press("enter")
            await pilot.pause()
            assert wizard.step == "progress"
            job = next(j for j in app.jobs if j.kind == "restore")
            # The safety backup's pg_dump has started and waits on the lock: first ("dump"), or taken alongside
            # the load, whose swap now waits for it ("safety backup").
            for _ in range(600):
                if job.done or (job.progress is not None and job.progress.phase in ("dump", "safety backup")):
                    break
                await pilot.pause(0.05)
            assert job.running and job.progress.phase in ("dump", "safety backup"), job.error
            for _ in range(100):  # the screen draws the phase it was sent
                steps = str(wizard.query_one("#progress-steps").render())
                if re.search(r"running \d\. safety backup", steps):
                    break
                await pilot.pause(0.05)
            assert re.search(r"running \d\. safety backup", steps) and "waiting" in steps, steps
            await pilot.press("c")
            job = await wait_for_job(pilot, "restore")
            blocker.rollback()
        assert job.cancelled
        assert wizard.step == "outcome" and "cancelled" in str(wizard.query_one("#outcome-text").render())
        enabled = {b.binding.action for b in wizard.active_bindings.values() if b.enabled}
        assert "rollback" not in enabled
    assert content(app_db.server, app_db.name) == before
    assert leftovers(app_db) == []
    assert not list((backup_dir / "safety").glob("*.sql.*"))


@sync
async def test_failed_preflight_blocks_the_restore(app_db, backup_dir):
    fill(app_db, clients=10, appointments=20)
    archive = take_backup(app_db, backup_dir)
    sidecar = archive.with_name(archive.name + ".sha256")
    sidecar.write_text("0" * 64 + f"  {archive.name}\n")
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await to_plan(pilot, archive)
        await pilot.press("escape")  # back to the checks
        checks = wizard.query_one("#preflight-checks").text
        assert "FAIL  checksum" in checks
        assert "FAIL" in str(wizard.query_one("#preflight-verdict").render())
        await pilot.press("enter")
        assert wizard.step == "plan"
        offered = {b.binding.action for b in wizard.active_bindings.values() if b.enabled}
        assert not {"next", "restore"} & offered  # the footer offers nothing that cannot run
        await pilot.press("R")
        await pilot.pause()
        assert app.screen is wizard and wizard.step == "plan"
        assert "will not run" in str(wizard.query_one("#plan-foot").render())
        assert any("cannot run: 1 pre-flight check(s) FAIL" in n.message for n in app._notifications)


@sync
async def test_read_only_refuses_the_wizard(app_db, backup_dir):
    fill(app_db, clients=10, appointments=20)
    take_backup(app_db, backup_dir)
    app = make_console(backup_dir, database_url=app_db.url, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Restore" not in [c.title for c in app.get_system_commands(app.screen)]
        await app.run_action("open_restore")  # the palette's path
        app.action_open_restore()  # a direct call
        await pilot.pause()
        assert not isinstance(app.screen, RestoreScreen)
        # Reached another way, the wizard still cannot restore: the action is gated.
        app.push_screen(RestoreScreen())
        await pilot.pause()
        wizard = app.screen
        assert "restore" not in {b.binding.action for b in wizard.active_bindings.values() if b.enabled}
        wizard.action_restore()
        await pilot.pause()
        assert app.screen is wizard and not app.jobs


@sync
async def test_the_wizard_starts_on_the_backup_chosen_and_lists_newest_first(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        dumps = app.data.catalog.backups()
        chosen = dumps[4].path  # the daily whose sidecar does not match: still listed, with its state
        app.open_restore(chosen)
        await settle(pilot)
        pick = app.screen.query_one("#pick")
        assert pick.selected() == chosen
        table = pick.query_one("#pick-table")
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [str(r[1]) for r in rows] == sorted((str(r[1]) for r in rows), reverse=True)
        assert rows[4][4] == "checksum mismatch" and len(rows) == len(dumps)


@sync
async def test_the_wizard_preselects_the_newest_good_backup_of_a_rotated_tier(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        newest = app.data.catalog.backups()[0]
        assert newest.tier == "manual" and newest.good  # newer than any daily: not what an incident wants
        app.open_restore()
        await settle(pilot)
        assert app.screen.query_one("#pick").selected() == app.data.catalog.newest_good("daily").path


@sync
async def test_incident_drill_restore_then_roll_back_in_counted_keys(app_db, backup_dir):
    """The drill an operator runs: appointments deleted, R Enter Enter + name + Enter, then U + name + Enter."""
    fill(app_db, clients=40, appointments=120)
    daily = take_backup(app_db, backup_dir, tier="daily")
    before_incident = content(app_db.server, app_db.name)
    app_db.sql("DELETE FROM payments; DELETE FROM appointments")
    broken = content(app_db.server, app_db.name)
    assert broken["appointments"][0] == 0
    take_backup(app_db, backup_dir, tier="manual")  # newer, of the broken state: R must not pick it
    app = make_console(backup_dir, database_url=app_db.url)
    keys = []

    async def press(*typed: str) -> None:
        keys.extend(typed)
        await pilot.press(*typed)

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "rollback_last" not in {
            b.binding.action for b in app.screen.active_bindings.values() if b.enabled
        }  # nothing parked yet
        assert "Roll back the last restore" not in [c.title for c in app.get_system_commands(app.screen)]
        await press("R")  # the dashboard: the newest good daily, pre-flight at once
        wizard = app.screen
        assert isinstance(wizard, RestoreScreen) and wizard.step == "preflight" and wizard.archive == daily
        job = await wait_for_job(pilot, "preflight")
        assert job.error is None and job.result.value.ok, job.error
        await press("enter")
        assert wizard.step == "plan"
        await press("enter", *app_db.name, "enter")
        restore = await wait_for_job(pilot, "restore")
        assert restore.error is None, restore.error
        assert content(app_db.server, app_db.name) == before_incident
        assert len(keys) == 3 + len(app_db.name) + 1
        shown = str(wizard.query_one("#outcome-text").render())
        assert shown.startswith("OK   restored " + daily.name)
        assert "appointments 120" in shown

        restore_keys = len(keys)
        assert app.data.rollback is not None and app.data.rollback.parked == restore.result.value.pre_restore
        assert "Roll back the last restore" in [c.title for c in app.get_system_commands(app.screen)]
        await press("U", *app_db.name, "enter")
        back = await wait_for_job(pilot, "rollback")
        assert back.error is None, back.error
        assert content(app_db.server, app_db.name) == broken
        assert len(keys) - restore_keys == 1 + len(app_db.name) + 1
        assert str(wizard.query_one("#outcome-text").render()).startswith("OK   rolled back")
