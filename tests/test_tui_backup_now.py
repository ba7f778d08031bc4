"""Backup now from the console: a real pg_dump of a real database, live progress, cancel."""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from textual.widgets import ProgressBar, Static

from citaplanner_tui.core import i18n

from tests.support.backup import fill
from citaplanner_tui.core.pg.connect import connect
from tests.support.tui import make_console, settle, sync, wait_for_job


def volume_digest(root) -> dict[str, str]:
    """Every backup file and sidecar under ``root`` (not logs, state or the lock) by content."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.parent.name in ("daily", "weekly", "monthly", "manual", "safety")
    }


@sync
async def test_backup_now_runs_the_engine_shows_progress_and_the_new_row(app_db, sample_volume):
    fill(app_db)
    app = make_console(sample_volume, database_url=app_db.url)
    phases = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        daily_before = next(t.backups for t in app.data.report.tiers if t.tier == "daily")
        await pilot.press("n")
        screen = app.screen
        assert type(screen).__name__ == "BackupNowScreen"
        app.job_signal.subscribe(screen, lambda job: phases.append(job.progress.phase if job.progress else None))
        await pilot.press("s")
        job = await wait_for_job(pilot, "backup")
        assert job.error is None, job.error
        result = job.result.value
        dump = result.files[0]
        assert dump.parent.name == "daily" and dump.exists()
        sidecar = dump.with_name(dump.name + ".sha256")
        assert sidecar.read_text() == f"{result.sha256}  {dump.name}\n"
        assert hashlib.sha256(dump.read_bytes()).hexdigest() == result.sha256
        assert subprocess.run(["gzip", "-t", str(dump)]).returncode == 0
        shown = str(screen.query_one("#backup-result", Static).render())
        assert result.sha256 in shown and str(dump) in shown
        assert screen.query_one("#backup-bar", ProgressBar).percentage == 1.0
        # The screen shows the latest progress when it handles an update, so a fast phase (the dump of a
        # small database) may be passed over by the time it is drawn: a phase before "done" is required.
        assert "done" in phases and {"connect", "dump"} & set(phases[: phases.index("done")]), phases
        await settle(pilot)  # the app refreshed after the job: the new row is in the panes
        assert app.data.catalog.find(dump) is not None
        # Retention keeps one backup per day: the new one replaces the same day's nightly.
        assert [p.name for p in result.pruned if p.parent.name == "daily"] == [
            "citaplanner_daily_20261127_020000.sql.gz",
            "citaplanner_daily_20261127_020000.sql.gz.sha256",
        ]
        assert next(t.backups for t in app.data.report.tiers if t.tier == "daily") == daily_before
        await pilot.press("escape")
        daily_line = next(
            line for line in str(app.screen.query_one("#tiers").render()).splitlines() if line.startswith("daily")
        )
        assert daily_line.split()[-3] == str(daily_before)  # "daily OK now 7 165.0 KiB"


CANCELLED = {
    "en": (
        "cancelling: removing what this run wrote…",
        "backup cancelled; nothing was kept and older backups are untouched",
    ),
    "es": (
        "cancelando: quitando lo que escribió esta ejecución…",
        "respaldo cancelado; no se guardó nada y los respaldos anteriores siguen intactos",
    ),
}


@pytest.mark.parametrize("lang", ["en", "es"])
@sync
async def test_cancel_stops_the_backup_and_leaves_nothing_half_written(app_db, sample_volume, lang):
    i18n.activate(lang)
    try:
        await _cancel_and_check(app_db, sample_volume, *CANCELLED[lang])
    finally:
        i18n.activate("en")


async def _cancel_and_check(app_db, sample_volume, cancelling: str, cancelled: str) -> None:
    """The console's words while it cancels and once it has, in the operator's language."""
    fill(app_db)
    before = volume_digest(sample_volume)
    app = make_console(sample_volume, database_url=app_db.url)
    with connect(app_db.admin(), autocommit=False) as blocker:
        blocker.execute("LOCK TABLE clients IN ACCESS EXCLUSIVE MODE")  # pg_dump waits on it
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("n", "s")
            job = app.running_jobs()[0]
            while job.progress is None or job.progress.phase != "dump":
                await pilot.pause(0.05)
            screen = app.screen
            assert not screen.query_one("#cancel").disabled
            await pilot.press("c")
            said = str(screen.query_one("#backup-progress", Static).render())
            assert said in (cancelling, cancelled), said  # the job may end before the press returns
            job = await wait_for_job(pilot, "backup")
            assert job.cancelled and "nothing was kept" in job.error  # the engine's sentence, in English
            said = str(screen.query_one("#backup-progress", Static).render())
            assert said == cancelled, said
        blocker.rollback()
    # No new file and no .partial of this run; older backups intact.  (The sample's stale
    # .partial from a "crashed" run is removed by the engine under its lock, by design.)
    assert volume_digest(sample_volume) == {k: v for k, v in before.items() if not k.endswith(".partial")}
