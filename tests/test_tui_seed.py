"""The seed screen on a real server: plan, filter, typed-confirmed apply, re-plan, conflicts."""

from __future__ import annotations

from textual.widgets import Button, DataTable, Input, Static

from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.seed import apply_seed
from citaplanner_tui.tui.screens.confirm import ConfirmScreen
from citaplanner_tui.tui.screens.seed import SeedScreen
from tests.support.tui import burst, make_console, settle, sync, wait_for_job

TABLES = (
    "tenants",
    "branches",
    "users",
    "services",
    "service_users",
    "clients",
    "working_hours",
    "appointments",
    "payments",
    "notification_templates",
)


def counts(db) -> dict[str, int]:
    return {t: db.sql(f'SELECT count(*) FROM "{t}"')[0][0] for t in TABLES}


def statuses(screen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(table.get_row_at(i)[0]).strip() for i in range(table.row_count)]


async def open_seed(pilot) -> SeedScreen:
    await settle(pilot)
    await pilot.press("S")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SeedScreen)
    return pilot.app.screen


@sync
async def test_empty_database_creates_then_shows_exists(app_db, backup_dir):
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_seed(pilot)
        assert set(statuses(screen)) == {"CREATE"} and len(statuses(screen)) == 50
        assert "50 CREATE" in str(screen.query_one("#seed-summary").render())

        await burst(pilot, "a", *app_db.name[:-1])  # one character short, typed as the dialog opens
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and app.focused.id == "confirm-input"
        assert dialog.query_one(Input).value == app_db.name[:-1]
        assert dialog.query_one("#confirm", Button).disabled
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert app.screen is screen and not app.jobs
        assert counts(app_db)["tenants"] == 0

        await burst(pilot, "a", *app_db.name, "enter")
        job = await wait_for_job(pilot, "seed")
        assert job.error is None, job.error
        after = counts(app_db)
        assert (after["tenants"], after["users"], after["clients"]) == (1, 5, 6)
        shown = statuses(screen)
        assert "CREATE" not in shown and shown.count("EXISTS") == 35 and shown.count("SKIP") == 15
        assert "created 50 rows" in str(screen.query_one("#seed-message").render())

        await pilot.press("2")  # EXISTS only
        assert set(statuses(screen)) == {"EXISTS"}
        assert "matches the seed" in str(screen.query_one("#seed-detail", Static).render())


@sync
async def test_conflict_row_blocks_apply_with_the_engines_sentence(app_db, backup_dir):
    with connect(app_db.info) as conn:
        apply_seed(conn, confirm=app_db.name)
    app_db.sql("DELETE FROM payments; DELETE FROM appointments")
    app_db.sql("UPDATE clients SET email = 'otra@correo.mx' WHERE email = 'camila.vega@email.com'")
    (row_id,) = app_db.sql("SELECT id FROM clients WHERE email = 'otra@correo.mx'")[0]
    before = counts(app_db)
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_seed(pilot)
        await pilot.press("4")  # CONFLICT only
        assert statuses(screen) == ["CONFLICT"]
        detail = str(screen.query_one("#seed-detail", Static).render())
        assert row_id in detail and "camila.vega@email.com" in detail
        await pilot.press("a")
        await pilot.pause()
        assert "CONFLICT" in str(app.screen.query_one("#confirm-steps").render())
        await pilot.press(*app_db.name, "enter")
        job = await wait_for_job(pilot, "seed")
        assert job.error and "is in conflict" in job.error and "nothing was written" in job.error
        message = str(screen.query_one("#seed-message").render())
        assert "FAIL" in message and row_id in message
    assert counts(app_db) == before


@sync
async def test_read_only_shows_the_plan_but_refuses_apply(app_db, backup_dir):
    app = make_console(backup_dir, database_url=app_db.url, read_only=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_seed(pilot)
        assert len(statuses(screen)) == 50
        enabled = {b.binding.action for b in screen.active_bindings.values() if b.enabled}
        assert "apply" not in enabled
        await pilot.press("a")
        screen.action_apply()  # a direct call is refused by the gate too
        await pilot.pause()
        assert app.screen is screen and not app.jobs
    assert counts(app_db)["tenants"] == 0
