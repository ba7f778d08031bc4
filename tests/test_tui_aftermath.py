"""What the console shows about restores and the daemon, beyond the wizard itself.

A swap killed inside its critical section is finished by the console at start-up (in
its refresh worker) and said prominently; the outcome carries the engine's notes on
the parked copy, the safety backup and what was not carried over; the backups screen
lists the leftovers restores keep; a configured daemon has a badge and its next runs.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.support.backup import REPO, cli_env
from tests.support.restore import content
from textual.content import Content
from textual.widgets import Button

from citaplanner_tui.core.restore import Outcome
from citaplanner_tui.core.restore.journal import JOURNAL
from citaplanner_tui.core.restore.plan import steps_for
from citaplanner_tui.core.restore.swap import PAUSE_ENV
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.report import heartbeat
from citaplanner_tui.tui.app import CitaPlannerApp
from citaplanner_tui.tui.screens.restore.outcome import outcome_lines
from citaplanner_tui.tui.screens.restore.progress import step_of
from tests.support.tui import backed_up_then_changed, to_plan, type_name
from tests.support.tui import NOW, make_console, settle, sync, wait_for_job, wait_until


def _killed_inside_the_swap(db, backup_dir: Path, archive: Path, pause: Path) -> None:
    """Run the restore CLI up to its renames, then kill -9 it: a journal is left behind."""
    pause.mkdir()
    env = cli_env(db.url, backup_dir, **{PAUSE_ENV: f"renamed:{pause}"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "citaplanner_tui", "restore", str(archive), "--confirm", db.name],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (pause / "renamed.reached").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the restore never reached its renames"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert (backup_dir / ".citaplanner-tui" / JOURNAL).exists()


@sync
async def test_console_finishes_a_swap_killed_inside_it_and_says_so(app_db, backup_dir, tmp_path):
    archive, _changed = backed_up_then_changed(app_db, backup_dir)
    _killed_inside_the_swap(app_db, backup_dir, archive, tmp_path / "pause")
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.data is not None, "the first refresh")
        said = [n for n in app._notifications if "finished the swap" in n.message]
        assert len(said) == 1 and said[0].severity == "warning", [n.message for n in app._notifications]
        problems = str(app.screen.query_one("#problems").render())
        assert problems.startswith("WARN restore: finished the swap")
        assert app.recovery == said[0].message
    assert not (backup_dir / ".citaplanner-tui" / JOURNAL).exists()
    allowed = app_db.server.sql("SELECT datallowconn FROM pg_database WHERE datname = %s", params=(app_db.name,))
    assert allowed[0][0]
    assert content(app_db.server, app_db.name)["payments"][0] > 0  # the backup's content, payments included


@sync
async def test_outcome_says_how_the_parked_copy_differs_and_backups_list_the_leftovers(app_db, backup_dir):
    archive, _ = backed_up_then_changed(app_db, backup_dir)  # the change deleted every payment
    app = make_console(backup_dir, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        wizard = await to_plan(pilot, archive)
        await pilot.press("enter")
        await pilot.pause()
        await type_name(pilot, app_db.name)
        assert not app.screen.query_one("#confirm", Button).disabled
        await pilot.press("enter")
        job = await wait_for_job(pilot, "restore")
        assert job.error is None, job.error
        outcome = job.result.value
        assert outcome.parked_note.startswith("against the restored database it has -")
        shown = " ".join(str(wizard.query_one("#outcome-text").render()).split())
        assert " ".join(outcome.parked_note.split()) in shown
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        await wait_until(
            pilot,
            lambda: any(k.name == outcome.pre_restore for k in app.data.leftovers),
            "the parked database in the leftovers",
        )
        listed = str(app.screen.query_one("#leftovers").render())
        assert "parked database" in listed and outcome.pre_restore in listed
        assert "safety backup" in listed and Path(outcome.safety_backup).name[-48:] in listed


def _plain(lines: list[str]) -> str:
    return Content.from_markup("\n".join(lines)).plain


def test_outcome_shows_the_in_place_writes_note_and_what_was_not_carried():
    swap = Outcome(
        "app",
        "swap",
        "/b/daily/x.sql.gz",
        "/b/safety/s.sql.gz",
        "app__pre_restore_1",
        {"public.t": 3},
        not_carried=["GRANT SELECT ON t TO gone (role gone does not exist)"],
        parked_differences={"public.t": 2},
    )
    text = _plain(outcome_lines(swap))
    assert swap.parked_note in text
    assert "WARN not carried over: GRANT SELECT ON t TO gone (role gone does not exist)" in text
    inplace = Outcome(
        "app", "in-place", "/b/daily/x.sql.gz", "/b/safety/s.sql.gz", None, {"public.t": 3}, writes_refused=1.25
    )
    assert inplace.writes_note in _plain(outcome_lines(inplace))


def test_the_in_place_steps_light_up_as_the_engine_reaches_them():
    steps = steps_for("in-place", "app", "20261201T000000", leftovers=["app__restore_1"], drops="schema public")
    names = [s.name for s in steps]
    assert step_of(steps, "stop writes", 0) == names.index("stop writes")
    assert step_of(steps, "safety backup", 0) == names.index("safety backup")


def _daemon_console(backup_dir: Path, beat_age: timedelta) -> CitaPlannerApp:
    settings = Settings(backup_dir=backup_dir, database_url="", schedule={"backup": "0 2 * * *"})
    now = NOW.astimezone(timezone.utc)
    heartbeat.beat(
        settings, now - beat_age, "idle", {"backup": datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc), "drill": None}
    )
    return CitaPlannerApp(settings, clock=lambda: NOW, refresh_every=None, log_poll=None)


@sync
async def test_a_configured_daemon_has_a_badge_and_its_next_runs(sample_volume):
    for age, badge in ((timedelta(minutes=1), "DAEMON OK"), (timedelta(minutes=30), "DAEMON STALE")):
        app = _daemon_console(sample_volume, age)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            header = str(app.screen.query_one("#status-bar").render())
            assert header.startswith(f" {badge} "), header
            line = str(app.screen.query_one("#daemon").render())
            assert "daemon idle at" in line and "next: backup 12-02 02:00" in line and "drill not scheduled" in line
            if badge == "DAEMON STALE":
                assert ("WARN", "daemon", "no daemon heartbeat for 30 min") in app.data.problems
