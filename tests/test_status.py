"""status: the report and its exit code, with a real database and with none reachable."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from citaplanner_tui.cli.status import render
from citaplanner_tui.core.report.status import DatabaseStatus, build
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume import lock
from citaplanner_tui.core.volume.catalog import State
from citaplanner_tui.core.volume.records import Records
from tests.support.backup import cli, cli_env
from tests.support.catalog import DAYS_BASE, old_dump, old_volume

DEAD_URL = "postgresql://citaplanner:pw@127.0.0.1:1/citaplanner"
DAYS = [DAYS_BASE + timedelta(days=i) for i in range(6)]  # monthly on the 1st, weekly on Sunday the 5th
NEWEST = DAYS[-1]
UP = DatabaseStatus("citaplanner@db:5432/citaplanner", 8 << 20)


def test_ok_warn_fail_by_the_age_of_the_newest_daily(app_db, backup_dir):
    old_volume(backup_dir, DAYS)
    settings = Settings(database_url=app_db.url, backup_dir=backup_dir)
    report = build(settings, now=NEWEST + timedelta(hours=2))
    assert (report.overall.word, report.overall.reason) == ("OK", "")
    daily = report.tiers[0]
    assert (daily.tier, daily.newest_good.taken_at, daily.age_hours, daily.backups) == ("daily", NEWEST, 2.0, 6)
    assert [t.tier for t in report.tiers] == ["daily", "weekly", "monthly"]
    assert report.counts[State.OK] == 8
    assert report.database.size > 1 << 20 and report.database.problem is None
    assert report.database.target == app_db.info.redacted()
    assert report.disk.space.free > 0 and report.disk.backup_bytes == sum(
        p.stat().st_size for tier in ("daily", "weekly", "monthly") for p in (backup_dir / tier).glob("*.gz")
    )
    assert report.disk.tier_sizes["weekly"] == next((backup_dir / "weekly").glob("*.gz")).stat().st_size
    late = build(settings, now=NEWEST + timedelta(hours=25.5), database=UP)
    assert (late.overall.word, late.overall.reason) == (
        "WARN",
        "newest good daily backup is 26 h old (warning after 25 h)",
    )
    stale = build(settings, now=NEWEST + timedelta(hours=27), database=UP)
    assert (stale.overall.word, int(stale.overall.level)) == ("FAIL", 2)
    assert stale.tiers[0].health.reason == "newest good daily backup is 27 h old (limit 26 h)"


def test_database_down_still_reports_every_backup(backup_dir):
    old_volume(backup_dir, DAYS)
    report = build(Settings(database_url=DEAD_URL, backup_dir=backup_dir), now=NEWEST + timedelta(hours=1))
    assert report.overall.word == "FAIL"
    assert report.overall.reason == "cannot reach the server at 127.0.0.1:1: is it running?"
    assert report.database.size is None and report.tiers[0].newest_good.taken_at == NEWEST
    assert "pw" not in json.dumps(report.to_json())
    unset = build(Settings(database_url="", backup_dir=backup_dir), now=NEWEST)
    assert unset.overall.reason == "DATABASE_URL is not set, so the database cannot be checked"


def test_bad_files_and_unfinished_backups(backup_dir):
    old_volume(backup_dir, DAYS)
    settings = Settings(backup_dir=backup_dir)
    now = NEWEST + timedelta(hours=1)
    partial = backup_dir / "daily" / "citaplanner_daily_20250106_030000.sql.gz.partial"
    partial.write_bytes(b"\x1f\x8b")
    report = build(settings, now=now, database=UP)
    assert (report.overall.word, report.overall.reason) == (
        "WARN",
        "1 unfinished backup was left by a run that stopped (the next backup removes them)",
    )
    with lock.hold(backup_dir, "backup"):  # a backup is running: its .partial is expected
        running = build(settings, now=now, database=UP)
    assert running.overall.word == "OK" and running.running.startswith("another backup or restore is running")
    partial.unlink()
    newest = backup_dir / "daily" / "citaplanner_daily_20250106_020000.sql.gz"
    Records(settings).record(
        newest,
        "verify",
        False,
        "differs",
        {"problem": "mismatch", "sidecar_mtime_ns": os.stat(str(newest) + ".sha256").st_mtime_ns},
    )
    report = build(settings, now=now, database=UP)
    assert report.overall.word == "FAIL"
    assert [h.reason for h in report.checks if h.reason] == ["1 backup does not match its checksum sidecar"]
    # The newest good daily is now the day before, still within the limits.
    assert report.tiers[0].newest_good.taken_at == DAYS[-2] and report.tiers[0].health.word == "OK"


def test_missing_volume_is_fail(tmp_path):
    report = build(Settings(backup_dir=tmp_path / "nowhere"), now=NEWEST, database=UP)
    assert report.overall.word == "FAIL"
    assert f"the backup folder {tmp_path / 'nowhere'} does not exist" in [h.reason for h in report.checks]


def _status(backup_dir: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    return cli("status", *args, env=cli_env(url, backup_dir))


def test_cli_exit_codes_80_columns_and_json(app_db, backup_dir):
    now = datetime.now().replace(microsecond=0)
    # The old script's layout, dated from the real clock: daily 2 h ago, weekly and monthly recent.
    for tier, age in (
        ("daily", timedelta(hours=26)),
        ("daily", timedelta(hours=2)),
        ("weekly", timedelta(days=3)),
        ("monthly", timedelta(days=10)),
    ):
        old_dump(backup_dir / tier, tier, now - age)
    done = _status(backup_dir, app_db.url)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[0].startswith("OK    ") and max(len(line) for line in lines) <= 80
    assert any(line.startswith("daily    OK     ") for line in lines)
    assert any(line.startswith("database: ") and app_db.info.redacted() in line for line in lines)
    assert "s3cr" not in done.stdout
    (backup_dir / "daily" / "junk.sql.gz.partial").write_bytes(b"")  # not ours: listed, not a problem
    (backup_dir / "daily" / "citaplanner_daily_20200101_000000.sql.gz.partial").write_bytes(b"")
    assert _status(backup_dir, app_db.url).returncode == 1
    done = _status(backup_dir, DEAD_URL, "--json")
    assert done.returncode == 2
    report = json.loads(done.stdout)
    assert report["health"] == "FAIL" and report["database"]["problem"].startswith("cannot reach the server")
    assert report["counts"]["partial"] == 1 and report["counts"]["foreign"] == 1
    assert [t["tier"] for t in report["tiers"]] == ["daily", "weekly", "monthly"]
    assert report["tiers"][0]["backups"] == 2 and report["tiers"][0]["age_hours"] < 3


def _tree(root: Path) -> dict[str, tuple]:
    """Every path under ``root`` with its type, size and mtime: any write shows as a difference."""
    out = {}
    for p in [root, *root.rglob("*")]:
        st = p.lstat()
        out[str(p.relative_to(root))] = (st.st_mode, st.st_size if not p.is_dir() else 0, st.st_mtime_ns)
    return out


def test_read_only_writes_nothing_at_all_to_the_volume(backup_dir):
    old_volume(backup_dir, DAYS)
    folder = backup_dir / "daily"
    lost = old_dump(folder, "daily", DAYS[-1] + timedelta(hours=5), sidecar=False)  # would be sealed
    state = backup_dir / ".citaplanner-tui"
    state.mkdir()
    (state / "state.json").write_text("{corrupt")  # would be logged and replaced
    before = _tree(backup_dir)
    env = cli_env(DEAD_URL, backup_dir, CITAPLANNER_TUI_READ_ONLY="1")
    verify = cli("verify", "--json", env=env)
    report = json.loads(verify.stdout)
    assert report["checked"] == len([p for p in backup_dir.rglob("*.sql.gz")])
    assert {r["path"]: r["ok"] for r in report["results"]}[str(lost)] is False  # shown, not sealed
    deep = cli("verify", "--deep", env=env)
    assert "FAIL" in deep.stdout and deep.returncode == 1
    status = cli("status", "--json", env=env)
    assert json.loads(status.stdout)["backup_dir"] == str(backup_dir)
    drill = cli("drill", env=env)
    assert drill.returncode != 0 and "read-only" in drill.stderr
    prune = cli("prune", "--dry-run", env=env)
    assert prune.returncode == 0
    assert _tree(backup_dir) == before


def test_no_python_warning_without_xdg_runtime_dir(app_db, backup_dir):
    from tests.support.backup import fill

    fill(app_db)
    env = {k: v for k, v in cli_env(app_db.url, backup_dir).items() if k != "XDG_RUNTIME_DIR"}
    env.pop("PYTHONWARNINGS", None)  # the operator's default filters
    for command in (("backup",), ("verify",), ("status",), ("prune", "--dry-run"), ("drill", "--json")):
        done = cli(*command, env=env)
        assert "Warning" not in done.stderr and "warn(" not in done.stderr, (command, done.stderr)
        assert done.returncode in (0, 1), (command, done.stderr)


def test_a_scheduled_daemon_without_a_fresh_heartbeat_fails_status(app_db, backup_dir, tmp_path):
    """A schedule in the config promises a daemon: its absence is a FAIL with the reason, its heartbeat OK."""
    from citaplanner_tui.core.report import heartbeat

    config = tmp_path / "config.toml"
    config.write_text("[schedule]\nbackup = '0 2 * * *'\n")
    old_volume(backup_dir, [datetime.now() - timedelta(hours=1)])
    env = {**cli_env(app_db.url, backup_dir), "CITAPLANNER_TUI_CONFIG": str(config)}
    missing = cli("status", env=env)
    assert (
        missing.returncode == 2
        and "FAIL daemon: a schedule is configured but the daemon has never run" in missing.stdout
    )
    settings = Settings(database_url=app_db.url, backup_dir=backup_dir, schedule={"backup": "0 2 * * *"})
    heartbeat.beat(settings, datetime.now().astimezone(), "idle", {})
    alive = cli("status", "--json", env=env)
    checks = {c["subject"]: c for c in json.loads(alive.stdout)["checks"]}
    assert checks["daemon"] == {"subject": "daemon", "health": "OK", "reason": ""}


def test_a_shrinking_volume_says_it_shrinks(backup_dir):
    old_volume(backup_dir, DAYS)
    report = build(Settings(backup_dir=backup_dir), now=NEWEST + timedelta(hours=1), database=UP)
    for growth, line in ((-3 << 20, "growth:   shrinks by 3.0 MiB/day"), (3 << 20, "growth:   grows by 3.0 MiB/day")):
        disk = dataclasses.replace(report.disk, growth_per_day=float(growth), days_left=None)
        assert line in render(dataclasses.replace(report, disk=disk))
