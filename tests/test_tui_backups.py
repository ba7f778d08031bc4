"""The backups screen: the catalog as a table, filter, verify, deep verify, drill, delete."""

from __future__ import annotations

import gzip

from textual.widgets import Button, Input

from tests.support.backup import fill
from citaplanner_tui.core.volume.catalog import State
from citaplanner_tui.tui.screens.confirm import ConfirmScreen
from citaplanner_tui.tui.widgets.backup_table import BackupTable
from tests.support.tui import NOW, burst, make_console, settle, sync, wait_for_job


def table_rows(screen) -> list[tuple[str, ...]]:
    return [cells for _, cells, _ in screen.query_one(BackupTable).rows]


async def select_row(pilot, screen, path) -> None:
    table = screen.query_one(BackupTable)
    table.focus()
    while table.cursor_key != str(path):  # move there with the keys, as an operator would
        await pilot.press("down" if table._index[str(path)] > table.cursor else "up")


@sync
async def test_table_lists_every_file_newest_first_and_filters(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        screen = app.screen
        rows = table_rows(screen)
        assert len(rows) == len(app.data.catalog) == 15
        assert rows[0][4] == "unfinished" and rows[1][0] == "manual"
        mismatch = [r for r in rows if r[4] == "checksum mismatch"]
        assert mismatch == [
            ("daily", "2026-11-24 02:00", "3d", mismatch[0][3], "checksum mismatch", "3h FAILED", "never")
        ]
        await pilot.press("slash", *"weekly")
        assert {r[0] for r in table_rows(screen)} == {"weekly"} and len(table_rows(screen)) == 4
        await pilot.press("enter", "escape")  # Esc clears the filter first
        assert len(table_rows(screen)) == 15 and type(app.screen).__name__ == "BackupsScreen"
        await pilot.press("slash", *"zzzz")  # no row has it: not an empty volume
        await pilot.pause()
        assert not table_rows(screen)
        assert str(screen.query_one("#backup-detail").render()) == "no backup matches 'zzzz' (Esc clears the filter)"
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert len(table_rows(screen)) == 15 and "zzzz" not in str(screen.query_one("#backup-detail").render())
        await pilot.press("escape")
        assert type(app.screen).__name__ == "DashboardScreen"


@sync
async def test_a_verify_that_finds_a_corrupted_backup_is_an_error_naming_the_file(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        victim = next(e.path for e in app.data.catalog if e.state is State.MISMATCH)
        await pilot.press("b")
        await select_row(pilot, app.screen, victim)
        await pilot.press("v")
        job = await wait_for_job(pilot, "verify")
        assert job.error is None and job.result.kind.value == "failed"
        said = [n for n in app._notifications if n.title == job.title]
        assert len(said) == 1 and said[0].severity == "error", said
        assert victim.name in said[0].message and "does not match" in said[0].message, said[0].message


@sync
async def test_deep_verify_finds_a_truncated_dump_and_the_table_says_so(sample_volume):
    victim = sorted((sample_volume / "weekly").glob("*.sql.gz"))[0]
    data = gzip.decompress(victim.read_bytes())
    cut = gzip.compress(data[: len(data) // 2], mtime=0)  # cut short, then sealed: checksum fine
    victim.write_bytes(cut)
    import hashlib

    victim.with_name(victim.name + ".sha256").write_text(f"{hashlib.sha256(cut).hexdigest()}  {victim.name}\n")
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        screen = app.screen
        await select_row(pilot, screen, victim)
        await pilot.press("v")
        job = await wait_for_job(pilot, "verify")
        assert job.error is None and job.result.value[0].ok
        assert app.data.catalog.find(victim).state is State.OK
        await select_row(pilot, screen, victim)
        await pilot.press("V")
        job = await wait_for_job(pilot, "verify")
        assert not job.result.value[0].ok
        said = [n for n in app._notifications if n.title == job.title][-1]  # a FAILED verify: an ERROR naming the file
        assert said.severity == "error" and victim.name in said.message, said
        entry = app.data.catalog.find(victim)
        assert entry.state is State.CORRUPT and entry.deep_ok is False
        table = screen.query_one(BackupTable)
        assert table.cells(str(victim))[4] == "damaged"
        assert table.rows[table._index[str(victim)]][2] == "FAIL"  # drawn in the FAIL colour


@sync
async def test_delete_refuses_the_newest_good_and_needs_the_file_name(sample_volume):
    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("b")
        screen = app.screen
        newest = app.data.catalog.newest_good("weekly")
        await select_row(pilot, screen, newest.path)
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen and newest.path.exists()
        assert any("newest good weekly backup" in n.message for n in app._notifications)
        older = app.data.catalog.backups("weekly")[-1]
        await select_row(pilot, screen, older.path)
        await burst(pilot, "x", *older.path.name[:-1])  # typed as the dialog opens: kept
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and app.focused.id == "confirm-input"
        assert f"weekly/{older.path.name}" in str(dialog.query_one("#confirm-steps").render())
        assert dialog.query_one(Input).value == older.path.name[:-1]
        assert dialog.query_one("#confirm", Button).disabled
        await pilot.press("enter")  # one letter short: said, and the dialog stays
        assert app.screen is dialog and older.path.exists()
        assert "is not" in str(dialog.query_one("#confirm-prompt").render())
        await pilot.press(older.path.name[-1], "enter")
        job = await wait_for_job(pilot, "delete")
        assert job.error is None
        assert not older.path.exists() and not older.sidecar.exists()
        assert app.data.catalog.find(older.path) is None
        assert str(older.path) not in [key for key, _, _ in screen.query_one(BackupTable).rows]
        assert len(app.data.catalog.backups("weekly")) == 3


@sync
async def test_drill_restores_into_a_scratch_database_and_records_it(app_db, backup_dir):
    fill(app_db)
    from citaplanner_tui.core.backup import run_backup
    from citaplanner_tui.core.settings import Settings

    made = run_backup(Settings(database_url=app_db.url, backup_dir=backup_dir), tier="daily", now=NOW)
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await select_row(pilot, app.screen, made.files[0])
        await pilot.press("t")
        job = await wait_for_job(pilot, "drill", timeout=100)
        assert job.error is None, job.error
        assert job.result.value.rows["public.clients"] == 300 and not job.result.value.differences
        entry = app.data.catalog.find(made.files[0])
        assert entry.drill_ok is True and entry.drills == 1
        assert table_rows(app.screen)[0][6].endswith("ok")
        app_db.sql("DELETE FROM payments")  # the live database moves on: the next drill names the table
        await pilot.press("t")
        job = await wait_for_job(pilot, "drill", timeout=100)
        assert job.error is None and list(job.result.value.differences) == ["public.payments"], job.error
        detail = str(app.screen.query_one("#backup-detail").render())
        assert "differs from live in public.payments (-" in detail
    leftovers = app_db.server.sql("SELECT datname FROM pg_database WHERE datname LIKE %s", params=(app_db.name + "%",))
    assert leftovers == [(app_db.name,)]  # the scratch database is gone


@sync
async def test_read_only_verify_says_what_it_found_and_the_table_keeps_it(sample_volume):
    """Read-only writes no verify record to the volume; the result is kept in memory instead."""
    app = make_console(sample_volume, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        screen = app.screen
        table = screen.query_one(BackupTable)
        victim = next(e.path for e in app.data.catalog if e.state is State.OK and e.path.parent.name == "weekly")
        assert table.cells(str(victim))[5] == "3h ok"
        raw = bytearray(victim.read_bytes())
        raw[len(raw) // 2] ^= 0xFF  # damaged after its sidecar was written
        victim.write_bytes(bytes(raw))
        await select_row(pilot, screen, victim)
        await pilot.press("v")
        job = await wait_for_job(pilot, "verify")
        said = [n for n in app._notifications if n.title == job.title]
        assert len(said) == 1 and said[0].severity == "error", said
        assert victim.name in said[0].message, said[0].message
        await settle(pilot)
        assert "FAILED" in table.cells(str(victim))[5], table.cells(str(victim))


@sync
async def test_the_longest_check_cells_are_drawn_whole_at_80_columns(sample_volume):
    """A drill that failed just now showed as '0s FAILE': the check columns fit their longest cell."""
    from tests.support.tui import drawn_lines

    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        table = app.screen.query_one(BackupTable)
        worst = ("monthly", "2026-11-27 11:57", "12d", "999.9 MiB", "checksum mismatch", "59m FAILED", "59m FAILED")
        table.set_rows([("key", worst, "FAIL")])
        await settle(pilot)
        drawn = drawn_lines(table)[1]
        assert drawn.split() == " ".join(worst).split(), drawn


@sync
async def test_the_backups_footer_shows_delete_whole_at_80_columns(sample_volume):
    """'x ▏' at 80x24: the palette's key, docked right, covered Delete."""
    from citaplanner_tui.tui.widgets.keys_footer import KeysFooter
    from tests.support.tui import drawn_lines

    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        line = drawn_lines(app.screen.query_one(KeysFooter))[0]
        assert " x Delete " in line and "palette" not in line, line
