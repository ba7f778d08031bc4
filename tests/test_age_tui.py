"""The console with encrypted backups: deep verify and the restore wizard take the identity from
``CITAPLANNER_TUI_AGE_IDENTITY`` (their jobs are child processes that inherit it), and without it
say the one sentence instead of failing the backup."""

from __future__ import annotations

from citaplanner_tui.core.backup import run_backup
from citaplanner_tui.core.settings import Encryption, Settings
from citaplanner_tui.core.stream import age
from citaplanner_tui.core.volume.catalog import State
from citaplanner_tui.tui.screens.restore.wizard import RestoreScreen
from tests.support.age import encrypted_backup, keygen, needs_age
from tests.support.catalog import PLAIN_DUMP
from tests.support.restore import fill
from tests.support.tui import NOW, make_console, settle, sync, wait_for_job

pytestmark = needs_age
NO_KEY = "--age-identity FILE or CITAPLANNER_TUI_AGE_IDENTITY"


@sync
async def test_deep_verify_of_an_encrypted_backup_needs_the_identity_and_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("CITAPLANNER_TUI_AGE_IDENTITY", raising=False)
    key = keygen(tmp_path / "keys")
    root = tmp_path / "backups"
    path = encrypted_backup(
        root / "daily", "daily", NOW.replace(hour=2), age.Recipient.parse(key.recipient), PLAIN_DUMP
    )
    app = make_console(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")  # its only backup is selected
        await settle(pilot)
        await pilot.press("V")
        job = await wait_for_job(pilot, "verify")
        assert job.error is not None and NO_KEY in job.error, job.error
        said = [n for n in app._notifications if NO_KEY in n.message]
        assert said and said[-1].severity == "error", [(n.title, n.message) for n in app._notifications]
        assert app.data.catalog.find(path).state is State.OK  # a missing key is not damage

        monkeypatch.setenv("CITAPLANNER_TUI_AGE_IDENTITY", str(key.identity))
        await pilot.press("V")
        job = await wait_for_job(pilot, "verify")
        assert job.error is None and job.result.value[0].ok, job.error
        assert app.data.catalog.find(path).deep_ok is True
        secret = key.identity.read_text().strip().splitlines()[-1]
        assert all(secret not in n.message for n in app._notifications)


@sync
async def test_the_restore_wizard_stops_at_pre_flight_without_the_identity(app_db, backup_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("CITAPLANNER_TUI_AGE_IDENTITY", raising=False)
    fill(app_db, clients=10, appointments=20)
    key = keygen(tmp_path / "keys")
    settings = Settings(database_url=app_db.url, backup_dir=backup_dir, encryption=Encryption((key.recipient,)))
    (archive,) = run_backup(settings, tier="daily", now=NOW).files
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("R")
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, RestoreScreen) and wizard.query_one("#pick").selected() == archive
        await pilot.press("enter")
        job = await wait_for_job(pilot, "preflight")
        assert job.error is not None and NO_KEY in job.error, job.error
        assert wizard.step != "plan"

        monkeypatch.setenv("CITAPLANNER_TUI_AGE_IDENTITY", str(key.identity))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("R")
        await pilot.pause()
        await pilot.press("enter")
        job = await wait_for_job(pilot, "preflight")
        assert job.error is None and job.result.value.ok, job.error
