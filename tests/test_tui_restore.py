"""The restore wizard on a real server: pick, pre-flight, typed confirmation, swap, rollback."""

from __future__ import annotations

from textual.widgets import Button, Input

from citaplanner_tui.tui.screens.confirm import ConfirmScreen
from citaplanner_tui.tui.screens.restore import RestoreScreen
from restore_support import content, fill, take_backup
from tui_support import make_console, settle, sync, wait_for_job


def counts(db) -> dict[str, int]:
    return {table: rows for table, (rows, _) in content(db.server, db.name).items()}


async def type_name(pilot, text: str) -> None:
    pilot.app.screen.query_one(Input).focus()
    await pilot.press(*text)


@sync
async def test_full_restore_through_the_wizard_then_rollback(app_db, backup_dir):
    fill(app_db, clients=40, appointments=120)
    archive = take_backup(app_db, backup_dir)
    at_backup = counts(app_db)
    app_db.sql("DELETE FROM payments; DELETE FROM appointments WHERE id IN "
               "(SELECT id FROM appointments ORDER BY id LIMIT 50)")
    changed = counts(app_db)
    assert changed != at_backup
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        table = app.screen.query_one("#backups-table")
        table.move_cursor(row=table.get_row_index(str(archive)))
        await pilot.press("R")
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, RestoreScreen) and wizard.step == "pick"
        assert wizard.query_one("#pick").selected() == archive
        await pilot.press("enter")  # the highlighted backup: pre-flight
        job = await wait_for_job(pilot, "preflight")
        assert job.error is None, job.error
        checks = str(wizard.query_one("#preflight-checks").render())
        assert "OK" in checks and "deep verify" in checks and "FAIL" not in checks
        await pilot.press("n")
        assert wizard.step == "plan"
        plan_text = str(wizard.query_one("#plan-text").render())
        assert "mode swap" in plan_text and "safety backup" in plan_text
        await pilot.press("R")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and app.focused.id == "cancel"
        await type_name(pilot, app_db.name)
        assert not dialog.query_one("#confirm", Button).disabled
        await pilot.press("enter")
        job = await wait_for_job(pilot, "restore")
        assert job.error is None, job.error
        assert wizard.step == "outcome"
        outcome = job.result.value
        assert counts(app_db) == at_backup
        assert counts(type("D", (), {"server": app_db.server, "name": outcome.pre_restore})) == changed
        shown = str(wizard.query_one("#outcome-text").render())
        assert outcome.pre_restore in shown and outcome.safety_backup in shown
        log_lines = "\n".join(str(line.text) for line in wizard.query_one("#restore-log").lines)
        assert "swap" in log_lines

        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.focused.id == "cancel"
        await type_name(pilot, app_db.name)
        await pilot.press("enter")
        back = await wait_for_job(pilot, "rollback")
        assert back.error is None, back.error
        assert counts(app_db) == changed
        assert "rolled back" in str(wizard.query_one("#outcome-text").render())
