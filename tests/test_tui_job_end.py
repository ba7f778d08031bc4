"""A job's end reaches the screens without the event loop reading anything itself."""

from __future__ import annotations

import shutil
import threading
from datetime import timedelta

from citaplanner_tui.core.volume.naming import make_name
from citaplanner_tui.tui import data as tui_data
from citaplanner_tui.tui.job_result import JobOutcome
from tests.support.sample import SAMPLE_NOW
from tests.support.tui import make_console, settle, sync, wait_until


@sync
async def test_a_job_that_ends_while_a_refresh_runs_still_shows_up(sample_volume, monkeypatch):
    """The refresh a job's end asks for was dropped while another ran: a backup made just
    then stayed off the dashboard until the next timer."""
    app = make_console(sample_volume)
    held, release = threading.Event(), threading.Event()
    real = tui_data.load_dashboard

    def slow_load(*args, **kwargs):
        loaded = real(*args, **kwargs)
        if not held.is_set() and app.data is not None:  # the first refresh after start-up is held, its
            held.set()  # volume already read
            release.wait(20)
        return loaded

    monkeypatch.setattr(tui_data, "load_dashboard", slow_load)
    newest = max(sample_volume.glob("daily/*.sql.gz"))
    copy = newest.with_name(make_name("daily", SAMPLE_NOW + timedelta(minutes=1)).filename)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_refresh()
        await wait_until(pilot, held.is_set, "a refresh holding")

        def write_backup(reporter):
            shutil.copy(newest, copy)
            return JobOutcome.ok(None, "copied")

        job = app.start_job("copy", "a backup", write_backup)
        await wait_until(pilot, lambda: job.done, "the job ending")
        await pilot.pause()
        release.set()
        await wait_until(
            pilot,
            lambda: app.data is not None and app.data.catalog.find(copy) is not None,
            "the refresh after the job showing its file",
        )
