"""The dashboard against a real server and a real volume: panes, status bar, refresh."""

from __future__ import annotations

import threading

from citaplanner_tui.core.settings import Settings
from citaplanner_tui.tui.app import CitaPlannerApp
from citaplanner_tui.tui.screens.dashboard import DashboardScreen
from citaplanner_tui.tui.widgets.backup_table import BackupTable

from tests.support.backup import fill
from tests.support.sample import add_backup
from tests.support.db import APP_PASSWORD
from tests.support.tui import NOW, drawn_lines, make_console, settle, sync, wait_until


def pane_text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


@sync
async def test_panes_show_tiers_checks_disk_and_the_server(app_db, sample_volume):
    fill(app_db)
    app = make_console(sample_volume, database_url=app_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        major = app_db.server.sql("SHOW server_version_num")[0][0][:2]
        bar = pane_text(app, "#status-bar")
        assert f"PostgreSQL {major}." in bar
        assert app_db.info.redacted() in bar and APP_PASSWORD not in bar
        assert bar.startswith("FAIL")  # the mismatching daily backup
        tiers = {line.split()[0]: line.split()[1] for line in pane_text(app, "#tiers").splitlines()[1:]}
        assert tiers == {"daily": "OK", "weekly": "OK", "monthly": "OK", "manual": "OK"}
        checks = pane_text(app, "#checks")
        assert "checksum mismatch 1" in checks and "unfinished 1" in checks and "not verified yet 0" in checks
        assert "FAIL daily 11-24 02:00" in checks
        disk = pane_text(app, "#disk")
        db_size = app_db.server.sql(f"SELECT pg_database_size('{app_db.name}')")[0][0]
        # the size moves between the console's read and ours (autovacuum, statistics): within 5 %
        assert abs(app.data.report.database.size - db_size) <= db_size * 0.05
        assert "database " in disk and "% used" in disk


@sync
async def test_refresh_picks_up_new_backups_and_never_overlaps(sample_volume):
    app = make_console(sample_volume)
    started = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert next(t.backups for t in app.data.report.tiers if t.tier == "manual") == 1
        add_backup(sample_volume, "manual", NOW.replace(hour=11), 4400)
        real_load = app._load
        gate = threading.Event()

        def slow_load(*args):
            started.append(1)
            gate.wait(10)
            real_load(*args)

        app._load = slow_load
        await pilot.press("r")
        await pilot.press("r")  # still running: ignored
        app.action_refresh()
        await pilot.pause(0.2)
        assert len(started) == 1 and app.refreshing
        gate.set()
        await settle(pilot)
        assert not app.refreshing
        assert next(t.backups for t in app.data.report.tiers if t.tier == "manual") == 2
        assert "manual  OK     an hour ago" in pane_text(app, "#tiers")


@sync
async def test_a_screen_opened_before_the_first_frame_still_gets_the_data(sample_volume):
    """The first load waited for the dashboard's first frame: a key typed at start opened the
    backups over a dashboard never painted, and the list said loading until the operator went back."""

    class KeyBeforeTheFrame(DashboardScreen):
        def on_mount(self) -> None:  # queued behind the first load's request: the dashboard is not painted yet
            self.call_later(self.call_later, self.app.action_open_backups)

    class TypedAhead(CitaPlannerApp):
        def get_default_screen(self) -> DashboardScreen:
            return KeyBeforeTheFrame()

    app = TypedAhead(Settings(backup_dir=sample_volume), clock=lambda: NOW, refresh_every=None, log_poll=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.data is not None, "the first load")
        await settle(pilot)
        assert type(app.screen).__name__ == "BackupsScreen"
        assert len(app.screen.query_one(BackupTable).rows) == 15


@sync
async def test_a_server_that_is_down_is_one_sentence_and_the_rest_still_shows(sample_volume):
    app = make_console(sample_volume, database_url="postgresql://nobody:pw@127.0.0.1:1/none")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "no database" in pane_text(app, "#status-bar") and "pw" not in pane_text(app, "#status-bar")
        assert "cannot reach the server at 127.0.0.1:1" in app.data.db_error
        assert "daily" in pane_text(app, "#tiers") and app.data.health == "FAIL"


@sync
async def test_badges_lead_the_header_and_survive_80_columns(sample_volume):
    app = make_console(
        sample_volume,
        read_only=True,
        conn_display="operator@a-long-host-name.example.internal:5432/citaplanner_production",
    )
    release = threading.Event()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one("#status-bar")
        assert drawn_lines(bar)[0].startswith(" READ-ONLY  FAIL")
        job = app.start_job("verify", "verify everything", lambda reporter: release.wait(10))
        await pilot.pause()
        line = drawn_lines(bar)[0]
        assert line.startswith(" READ-ONLY   verify  FAIL") and len(line) <= 80, line
        release.set()
        await wait_until(pilot, lambda: job.done, "the job ending")
        await settle(pilot)
        assert "verify" not in drawn_lines(bar)[0]


@sync
async def test_every_warn_and_fail_has_its_reason_on_the_dashboard_as_status_prints_it(sample_volume):
    from citaplanner_tui.cli.status import render
    from citaplanner_tui.core.report import status

    app = make_console(sample_volume)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = str(app.screen.query_one("#problems").render())
        report = status.build(app.settings, now=NOW)
        printed = render(report)
        listed = printed[printed.index("problems:") + 1 :]  # wrapped at 80 columns
        assert report.overall.word == app.data.health == "FAIL" and len(report.problems) == 3
        printed_words = " ".join(" ".join(listed).split())
        assert shown.count("\n") == 2 and all(" ".join(line.split()) in printed_words for line in shown.splitlines())
        assert [line.split()[0] for line in shown.splitlines()] == ["FAIL", "FAIL", "WARN"]  # most severe first


@sync
async def test_the_problems_line_shows_the_most_severe_first_when_they_do_not_all_fit(sample_volume):
    """An unparseable DATABASE_URL was the root cause, cut behind "+ N more" by lesser problems."""
    from citaplanner_tui.tui.widgets.panes import ProblemsLine

    for sidecar in sorted(sample_volume.glob("weekly/*.sha256"))[:2]:
        sidecar.unlink()  # more WARN lines than fit
    app = make_console(sample_volume, database_url="postgresql://u@host:port/x")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert len(app.data.problems) > ProblemsLine.MAX_LINES
        lines = str(app.screen.query_one(ProblemsLine).render()).splitlines()
        assert lines[0].startswith("FAIL database: the port 'port'"), lines
        assert lines[1].startswith("FAIL") and lines[-1].startswith("+ "), lines
