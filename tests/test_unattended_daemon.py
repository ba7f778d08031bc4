"""The daemon over a simulated week against the real PostgreSQL fixture, and once for real."""

from __future__ import annotations

import dataclasses
import json
import signal
import socket
import stat
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

from citaplanner_tui.core.backup import run_backup
from citaplanner_tui.core.report import heartbeat
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.unattended import notify, schedule
from citaplanner_tui.core.unattended.daemon import Daemon
from citaplanner_tui.core.unattended.metrics import Publisher
from citaplanner_tui.core.volume import lock
from citaplanner_tui.core.volume.catalog import scan
from tests.support.backup import REPO, cli, cli_env, fill, freeze_pg_dump_mid_stream, settings_for, wait_gone
from tests.support.unattended import ISSUE_SCHEDULE, FakeClock, Receiver, parse_metrics, reap

UTC = timezone.utc


def _week(
    app_db,
    backup_dir,
    events=(),
    start=datetime(2026, 11, 30, 6, 0, tzinfo=UTC),
    days=6.25,
    channels=None,
    plan=ISSUE_SCHEDULE,
    **daemon_kw,
):
    settings = settings_for(app_db, backup_dir, schedule=plan)
    clock = FakeClock(start, start + timedelta(days=days), list(events))
    d = Daemon(settings, schedule.parse(settings.schedule), clock=clock, tick=3600, health_every=3600, **daemon_kw)
    if channels is not None:
        d.notifier = notify.Notifier(channels, d.log.write, pause=lambda s: None)
    d.run()
    return settings, d


def _log_text(settings) -> str:
    return "".join(p.read_text() for p in sorted(settings.logs.glob("backup_*.log")))


def test_a_simulated_week_with_one_failing_night(app_db, backup_dir):
    """Mon 30 Nov 00:00 to Sun 6 Dec 06:00, Mexico City: seven nightly backups but Wednesday's fails
    (the database refuses connections 01:00-12:00), deep verifies every night, the Sunday drill;
    the webhook hears the failure, then the recovery, and every health change."""
    fill(app_db)
    # The volume as a live installation has it: Sunday 29 Nov's backup (daily + weekly).
    run_backup(settings_for(app_db, backup_dir), now=datetime(2026, 11, 29, 8, 0))
    server = app_db.server

    def refuse():
        server.sql(f'ALTER DATABASE "{app_db.name}" ALLOW_CONNECTIONS false')

    def allow():
        server.sql(f'ALTER DATABASE "{app_db.name}" ALLOW_CONNECTIONS true')

    wed = datetime(2026, 12, 2, tzinfo=UTC)
    textfile = backup_dir.parent / "textfile" / "citaplanner.prom"
    textfile.parent.mkdir()
    with Receiver() as hook:
        try:
            settings, d = _week(
                app_db,
                backup_dir,
                events=[(wed + timedelta(hours=7), refuse), (wed + timedelta(hours=18), allow)],
                channels=[
                    notify.Webhook(hook.url + "/hook", notify.DEFAULT_ON),
                    notify.Ping(hook.url + "/hc", ("backup",)),
                ],
                publisher=Publisher(textfile),
            )
        finally:
            allow()
        texts = [json.loads(r.body)["text"] for r in hook.requests if r.path == "/hook"]
        pings = [r.path for r in hook.requests if r.path.startswith("/hc")]

    # The volume: 29 Nov's, then 30 Nov and 1, 3, 4, 5, 6 Dec (08:00 UTC is 02:00 in Mexico City).
    cat = scan(settings)
    dailies = sorted(e.taken_at for e in cat.backups("daily") if e.good)
    assert dailies == [datetime(2026, 11, 29, 8, 0), datetime(2026, 11, 30, 8, 0)] + [
        datetime(2026, 12, d, 8, 0) for d in (1, 3, 4, 5, 6)
    ]
    # The first good backup fills November's monthly (retention by period); 1 Dec is December's.
    assert sorted(e.taken_at for e in cat.backups("monthly")) == [
        datetime(2026, 11, 29, 8, 0),
        datetime(2026, 12, 1, 8, 0),
    ]
    assert sorted(e.taken_at for e in cat.backups("weekly")) == [
        datetime(2026, 11, 29, 8, 0),
        datetime(2026, 12, 6, 8, 0),
    ]
    assert not list(backup_dir.rglob("*.partial"))
    # Deep verifies ran (every backup is deep-checked) and the Sunday drill restored the newest one.
    assert all(e.deep_ok for e in cat.backups() if e.good)
    assert cat.newest_good("daily").drill_ok is True

    state = json.loads((settings.state_dir / "daemon.json").read_text())
    assert stat.S_IMODE((settings.state_dir / "daemon.json").stat().st_mode) == 0o600
    assert state["jobs"]["backup"]["for"] == "2026-12-06T02:00:00-06:00" and state["jobs"]["backup"]["ok"]
    assert state["jobs"]["drill"]["ok"] and state["jobs"]["drill"]["for"] == "2026-12-06T04:00:00-06:00"
    assert state["jobs"]["offsite_push"] == {
        **state["jobs"]["offsite_push"],
        "ok": None,
        "detail": "no off-site targets configured",
    }

    log = _log_text(settings)
    assert log.count("OK daemon: backup OK") == 6
    assert log.count("ERROR daemon: backup FAILED") == 1
    assert log.count("OK daemon: verify_deep OK") == 7
    assert log.count("OK daemon: drill OK") == 1
    assert "[2026-12-02 08:00:00] ERROR daemon: backup FAILED" in log
    assert app_db.info.password not in log

    failures = [t for t in texts if "FAILED" in t]
    assert len(failures) == 1 and failures[0].startswith("backup FAILED")
    recoveries = [t for t in texts if "recovered" in t]
    assert len(recoveries) == 1 and recoveries[0].startswith("backup recovered")
    assert texts.index(failures[0]) < texts.index(recoveries[0])
    health = [t.split(":")[0] for t in texts if t.startswith("health")]
    # The first backup fills every tier (retention by period), so health starts OK: nothing to say.
    assert health == [
        "health changed from OK to FAIL",  # the database refuses connections
        "health changed from FAIL to OK",
    ]  # Thursday's backup
    assert not [t for t in texts if t.startswith(("backup OK", "drill OK"))]  # success is not in `on`
    assert not [r for r in hook.requests if app_db.info.password.encode() in r.body]  # no secret in a payload
    assert heartbeat.read(settings)["doing"] == "stopped"
    assert (pings.count("/hc/start"), pings.count("/hc"), pings.count("/hc/fail")) == (7, 6, 1)

    # The textfile, as node_exporter reads it: written at the end, with the daemon down.
    m = parse_metrics(textfile.read_text())
    last_wake = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)  # the last hourly wake before the end at 12:00
    newest = datetime(2026, 12, 6, 8, 0).astimezone().timestamp()
    assert m["citaplanner_backup_newest_timestamp_seconds"][("daily",)] == newest
    assert m["citaplanner_backup_newest_timestamp_seconds"][("weekly",)] == newest
    assert m["citaplanner_backup_newest_age_seconds"][("daily",)] == last_wake.timestamp() - newest
    assert m["citaplanner_backup_newest_size_bytes"][("daily",)] == cat.newest_good("daily").size
    assert m["citaplanner_backup_files"][("ok",)] == len([e for e in cat if e.state.value == "ok"])
    assert m["citaplanner_backup_files"][("partial",)] == 0
    assert m["citaplanner_job_last_success"] == {("backup",): 1, ("drill",): 1, ("verify_deep",): 1}
    assert m["citaplanner_job_last_duration_seconds"][("drill",)] == state["jobs"]["drill"]["seconds"] > 0
    assert m["citaplanner_drill_last_success"][()] == 1
    assert m["citaplanner_volume_free_bytes"][()] > 0
    assert m["citaplanner_health_level"][()] == 0
    assert m["citaplanner_daemon_up"][()] == 0


def test_a_run_missed_while_the_daemon_was_down_runs_once_at_start(app_db, backup_dir):
    fill(app_db)
    only_backup = {"backup": "0 2 * * *", "timezone": "America/Mexico_City"}
    settings, _ = _week(app_db, backup_dir, days=1, plan=only_backup)  # Mon 00:00 to Tue 00:00: one backup
    assert len(scan(settings).backups("daily")) == 1
    # Down until Mon 7 Dec 12:00, and restarted with the drill added: the seven missed nights give one
    # backup at start-up, and Sunday's drill (scheduled before the drill was) does not run.
    _week(app_db, backup_dir, start=datetime(2026, 12, 7, 18, 0, tzinfo=UTC), days=0.01)
    daily = sorted(e.taken_at for e in scan(settings).backups("daily"))
    assert daily == [datetime(2026, 11, 30, 8, 0), datetime(2026, 12, 7, 18, 0)]
    log = _log_text(settings)
    assert "backup started (scheduled Mon 2026-12-07 02:00:00, 10 h late: it was missed)" in log
    assert log.count("daemon: backup OK") == 2 and "daemon: drill" not in log


def test_a_failing_job_never_stops_the_daemon(app_db, backup_dir):
    """A wrong password fails every backup and the only webhook is down: each night is logged and the
    daemon goes on with the other jobs."""
    settings = settings_for(app_db, backup_dir, schedule=ISSUE_SCHEDULE)
    bad = dataclasses.replace(settings, database_url=app_db.url.replace("@", "x@", 1))
    clock = FakeClock(datetime(2026, 11, 30, 6, 0, tzinfo=UTC), datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
    d = Daemon(bad, schedule.parse(ISSUE_SCHEDULE), clock=clock, tick=3600)
    pauses = []
    d.notifier = notify.Notifier(
        [notify.Webhook(f"http://127.0.0.1:{_closed_port()}/hook", ("failure",))], d.log.write, pause=pauses.append
    )
    d.run()
    log = _log_text(settings)
    assert log.count("ERROR daemon: backup FAILED: the server refused the password for user") == 3
    assert log.count("daemon: verify_deep OK") == 3  # the other jobs still ran
    assert log.count("WARN notification not delivered: webhook 127.0.0.1") == 3
    assert pauses == [1.0, 2.0] * 3


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_daemon(app_db, backup_dir, tmp_path, cron: str, *flags: str):
    config = tmp_path / "config.toml"
    config.write_text(f'[schedule]\nbackup = "{cron}"\ntimezone = "UTC"\n')
    env = cli_env(app_db.url, backup_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "citaplanner_tui", "--config", str(config), "daemon", *flags],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _seconds_ahead(seconds: int) -> str:
    at = datetime.now(UTC) + timedelta(seconds=seconds)
    return f"{at.minute} {at.hour} {at.day} {at.month} * {at.second}"


def _wait_for(predicate, proc, timeout: float = 60.0):
    end = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None or time.monotonic() > end:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"the daemon did not get there (rc {proc.returncode}): {err}")
        time.sleep(0.05)


def test_for_real_a_backup_a_few_seconds_ahead_then_sigterm(app_db, backup_dir, tmp_path):
    """With its metrics port taken by another program: one sentence, and the backup runs anyway."""
    fill(app_db)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    textfile = tmp_path / "metrics.prom"
    with busy:
        proc = _start_daemon(
            app_db,
            backup_dir,
            tmp_path,
            _seconds_ahead(5),
            "--metrics-file",
            str(textfile),
            "--metrics-port",
            str(port),
        )
        state = backup_dir / ".citaplanner-tui" / "daemon.json"
        try:
            _wait_for(lambda: state.exists() and json.loads(state.read_text())["jobs"].get("backup"), proc)
            assert heartbeat_file(backup_dir)["pid"] == proc.pid
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=20)
        finally:
            reap(proc)
    assert proc.returncode == 0, err
    assert json.loads(state.read_text())["jobs"]["backup"]["ok"] is True
    [backup] = [e for e in scan(settings_for(app_db, backup_dir)).backups("daily") if e.good]
    assert backup.size > 0
    assert "OK daemon: backup OK" in err and err.rstrip().endswith("INFO daemon stopped")
    assert "Traceback" not in err and app_db.info.password not in err
    assert heartbeat_file(backup_dir)["doing"] == "stopped"
    assert err.count(f"WARN daemon: the metrics cannot be served on 127.0.0.1:{port}") == 1
    m = parse_metrics(textfile.read_text())
    assert m["citaplanner_backup_newest_size_bytes"][("daily",)] == backup.size
    assert m["citaplanner_job_last_success"] == {("backup",): 1} and m["citaplanner_daemon_up"][()] == 0


def test_sigterm_in_the_middle_of_a_backup_keeps_nothing_half_written(app_db, backup_dir, tmp_path):
    fill(app_db, big=True)
    proc = _start_daemon(app_db, backup_dir, tmp_path, _seconds_ahead(4), "--metrics-port", "0")
    try:
        dump = freeze_pg_dump_mid_stream(proc.pid, lambda: backup_dir.glob("daily/*.partial"))
        proc.send_signal(signal.SIGTERM)  # while pg_dump is stopped with its output half-way
        out, err = proc.communicate(timeout=30)
        wait_gone(dump)
    finally:
        reap(proc)
    assert proc.returncode == 0, err
    assert not [p for p in backup_dir.rglob("*") if p.is_file() and "citaplanner_" in p.name]
    assert "backup cancelled because the daemon is stopping" in err
    state = json.loads((backup_dir / ".citaplanner-tui" / "daemon.json").read_text())
    assert "backup" not in state["jobs"]  # not recorded as run, so the next start runs it


def heartbeat_file(backup_dir: Path) -> dict:
    return json.loads((backup_dir / ".citaplanner-tui" / heartbeat.HEARTBEAT_FILE).read_text())


def test_a_bad_schedule_is_one_sentence_at_start(app_db, backup_dir, tmp_path):
    config = tmp_path / "config.toml"
    for section, words in [
        ('backup = "0 26 * * *"', "backup = '0 26 * * *' is not a cron expression"),
        ('backups = "0 2 * * *"', "names an unknown job 'backups'"),
        ('timezone = "UTC"', "no job is scheduled"),
    ]:
        config.write_text(f"[schedule]\n{section}\n")
        done = cli("--config", str(config), "daemon", env=cli_env(app_db.url, backup_dir))
        assert done.returncode != 0
        assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
        assert not (backup_dir / ".citaplanner-tui" / "daemon.json").exists()
    config.write_text('[schedule]\nbackup = "0 2 * * *"\n[[notify]]\nwebhook = "hooks.example/x"\n')
    for args, words in [
        (("daemon",), "[[notify]] number 1: webhook must be an http:// or https:// URL"),
        (("daemon", "--metrics-port", "70000"), "--metrics-port must be from 0 to 65535"),
        (("daemon", "--read-only"), "read-only mode is on, so the daemon (it takes backups)"),
        (("notify", "test"), "[[notify]] number 1: webhook must be an http:// or https:// URL"),
    ]:
        done = cli("--config", str(config), *args, env=cli_env(app_db.url, backup_dir))
        assert done.returncode != 0 and done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    config.write_text('[schedule]\nbackup = "0 2 * * *"\n')
    done = cli("--config", str(config), "notify", "test", env=cli_env(app_db.url, backup_dir))
    assert done.returncode == 1 and "no [[notify]] channel is configured" in done.stderr


def test_a_backup_due_while_another_job_holds_the_lock_waits_for_it(app_db, backup_dir):
    """A hand-started restore holds the volume 01:50-02:30: the 02:00 backup neither overlaps nor is lost."""
    fill(app_db)
    held = ExitStack()
    mon = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # 00:00 in Mexico City
    settings, _ = _week(
        app_db,
        backup_dir,
        days=0.25,
        events=[
            (mon + timedelta(hours=1, minutes=50), lambda: held.enter_context(lock.hold(backup_dir, "restore"))),
            (mon + timedelta(hours=2, minutes=30), held.close),
        ],
    )
    held.close()
    [daily] = scan(settings).backups("daily")
    assert daily.taken_at == datetime(2026, 11, 30, 9, 0)  # the first wake after the lock was freed
    log = _log_text(settings)
    assert "WARN daemon: backup postponed: another backup or restore is running" in log
    assert log.count("OK daemon: backup OK") == 1


def test_the_heartbeat_goes_stale_when_the_daemon_is_gone(backup_dir):
    settings = Settings(backup_dir=backup_dir, schedule=ISSUE_SCHEDULE)
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert heartbeat.staleness(Settings(backup_dir=backup_dir), now) is None  # no daemon promised
    assert heartbeat.staleness(settings, now).word == "FAIL"  # promised, never ran
    heartbeat.beat(settings, now, "idle", {"backup": now + timedelta(hours=14)})
    assert stat.S_IMODE(heartbeat.path(settings).stat().st_mode) == 0o600
    assert heartbeat.staleness(settings, now + timedelta(minutes=5)).word == "OK"
    late = heartbeat.staleness(settings, now + timedelta(minutes=20))
    assert (late.word, late.reason) == ("WARN", "no daemon heartbeat for 20 min")
    assert heartbeat.staleness(settings, now + timedelta(hours=3)).reason == "no daemon heartbeat for 3 h"
    assert heartbeat.staleness(settings, now + timedelta(hours=3)).word == "FAIL"
    heartbeat.beat(settings, now, "stopped", {})
    assert heartbeat.staleness(settings, now).word == "FAIL"
