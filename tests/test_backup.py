"""Backups against a real server: what lands on disk, and that it loads back whole."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import zstandard

from citaplanner_tui import __version__
from citaplanner_tui.cli.backup import one_line
from citaplanner_tui.cli.output import render
from citaplanner_tui.core import backup
from citaplanner_tui.core.backup import run_backup
from citaplanner_tui.core.errors import Cancelled, ConfigError
from citaplanner_tui.core.events import Progress, Reporter
from citaplanner_tui.core.pg.tools import embedded_bindir
from citaplanner_tui.core.report.status import DatabaseStatus, build
from citaplanner_tui.core.restore.preflight import manifest_checks
from citaplanner_tui.core.settings import Retention
from citaplanner_tui.core.stream.dumpscan import DumpScanner
from citaplanner_tui.core.volume import manifest
from citaplanner_tui.core.volume.catalog import State, scan
from citaplanner_tui.core.volume.naming import make_name
from citaplanner_tui.core.volume.prune import prune
from tests.support.backup import REPO, cli, cli_env, fill, row_counts, settings_for
from tests.support.db import APP_PASSWORD, drop_app_db

SUNDAY_FIRST = datetime(2026, 11, 1, 2, 0, 0)  # a Sunday and the 1st
TUESDAY = datetime(2026, 11, 3, 2, 0, 0)


@pytest.fixture
def filled(app_db):
    fill(app_db)
    return app_db


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_backup_passes_gunzip_sha256sum_and_reloads_every_row(filled, backup_dir, pg):
    settings = settings_for(filled, backup_dir)
    result = run_backup(settings, tier="daily", now=TUESDAY)

    dump = backup_dir / "daily" / "citaplanner_daily_20261103_020000.sql.gz"
    assert result.files == [dump]
    assert sorted(p.name for p in dump.parent.iterdir()) == [
        dump.name,
        dump.name + ".manifest.json",
        dump.name + ".sha256",
    ]
    assert subprocess.run(["gunzip", "-t", str(dump)]).returncode == 0
    check = subprocess.run(["sha256sum", "-c", dump.name + ".sha256"], cwd=dump.parent, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert (dump.parent / (dump.name + ".sha256")).read_text() == f"{result.sha256}  {dump.name}\n"
    assert result.size == dump.stat().st_size
    assert _mode(dump) == 0o600 and _mode(dump.parent / (dump.name + ".sha256")) == 0o600
    assert _mode(backup_dir / "daily") == 0o700

    source = row_counts(pg, filled.name)
    assert source["clients"] == 300 and source["appointments"] == 400
    assert {k.split(".")[1]: v for k, v in result.rows.items()} == source
    facts = manifest.read(dump)
    assert _mode(manifest.path_for(dump)) == 0o600
    assert (facts.sha256, facts.size, facts.compression, facts.database) == (
        result.sha256,
        result.size,
        "gzip",
        filled.name,
    )
    assert facts.tool_version == __version__ and facts.pg_dump_version == result.pg_dump
    assert facts.server_version.startswith("18.") and facts.database_size > 0
    assert {k.split(".")[1]: v for k, v in facts.rows.items()} == source  # exact, from the dump's COPY rows
    assert facts.migration is None  # this database has no Prisma migrations table

    target = filled.name + "__reload"
    pg.create_database(target)
    try:
        unzip = subprocess.Popen(["gunzip", "-c", str(dump)], stdout=subprocess.PIPE)
        load = subprocess.run(
            [str(embedded_bindir() / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", pg.admin(target).conninfo()],
            stdin=unzip.stdout,
            capture_output=True,
            text=True,
        )
        unzip.stdout.close()
        assert unzip.wait() == 0
        assert load.returncode == 0, load.stderr
        assert row_counts(pg, target) == source
    finally:
        drop_app_db(pg, target)

    log = backup_dir / "logs" / "backup_20261103.log"
    logs = "".join(p.read_text() for p in (backup_dir / "logs").iterdir())
    assert "OK backup written: citaplanner_daily_20261103_020000.sql.gz" in logs
    assert APP_PASSWORD not in logs and "s3cr" not in logs
    assert log.exists() or logs  # the day's file name follows the clock, not ``now``


def test_sunday_the_first_files_one_dump_under_three_tiers(filled, backup_dir):
    result = run_backup(settings_for(filled, backup_dir), now=SUNDAY_FIRST)
    assert result.tiers == ("daily", "weekly", "monthly")
    assert [p.parent.name for p in result.files] == ["daily", "weekly", "monthly"]
    inodes = {os.stat(p).st_ino for p in result.files}
    assert len(inodes) == 1  # hard links of the one dump
    for path in result.files:
        assert path.name == f"citaplanner_{path.parent.name}_20261101_020000.sql.gz"
        check = subprocess.run(
            ["sha256sum", "-c", path.name + ".sha256"], cwd=path.parent, capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout
    assert {e.tier: e.state for e in scan(backup_dir) if e.is_dump} == {
        "daily": State.OK,
        "weekly": State.OK,
        "monthly": State.OK,
    }


def test_weekly_copy_where_a_hard_link_is_refused(filled, backup_dir, tmp_path):
    """A weekly folder on another filesystem (a tmpfs) gets a copy with its own sidecar."""
    weekly = backup_dir / "weekly"
    weekly.mkdir(mode=0o700)
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(weekly)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("mounting a tmpfs is not permitted here, so no cross-device weekly folder")
    try:
        result = run_backup(settings_for(filled, backup_dir), now=datetime(2026, 11, 8, 2, 0, 0))
        daily, week, _month = result.files  # the first backup also fills the month
        assert os.stat(daily).st_dev != os.stat(week).st_dev
        assert week.read_bytes() == daily.read_bytes()
        assert _mode(week) == 0o600
        assert (
            subprocess.run(["sha256sum", "-c", week.name + ".sha256"], cwd=weekly, capture_output=True).returncode == 0
        )
        assert not list(weekly.glob("*.partial"))
    finally:
        subprocess.run(["umount", "-l", str(weekly)], check=True)


def test_zstd_format_is_complete_and_checksummed(filled, backup_dir):
    result = run_backup(settings_for(filled, backup_dir, compression="zstd"), tier="manual", now=TUESDAY)
    dump = result.files[0]
    assert dump.name == "citaplanner_manual_20261103_020000.sql.zst"
    scanner = DumpScanner()
    with open(dump, "rb") as fh:
        for chunk in zstandard.ZstdDecompressor().read_to_iter(fh):
            scanner.feed(chunk)
    assert scanner.info.complete and scanner.info.rows["public.payments"] == 250
    assert (
        subprocess.run(["sha256sum", "-c", dump.name + ".sha256"], cwd=dump.parent, capture_output=True).returncode == 0
    )


def test_retention_runs_after_the_new_backup_and_spares_what_is_not_ours(filled, backup_dir):
    settings = settings_for(filled, backup_dir, retention=Retention(daily=3, weekly=4, monthly=6))
    first = run_backup(settings, tier="daily", now=datetime(2026, 10, 20, 2, 0, 0))
    daily = backup_dir / "daily"
    src = first.files[0]
    for day in range(21, 27):  # six more good daily backups, copies of a real one
        name = f"citaplanner_daily_202610{day}_020000.sql.gz"
        shutil.copyfile(src, daily / name)
        (daily / (name + ".sha256")).write_text(f"{first.sha256}  {name}\n")
    (daily / "notes.txt").write_text("operator's file")
    (daily / "citaplanner_daily_20240101_000000.sql.gz.partial").write_bytes(b"old crash")
    manual = run_backup(settings, tier="manual", now=datetime(2026, 10, 1, 2, 0, 0))

    result = run_backup(settings, tier="daily", now=datetime(2026, 10, 28, 2, 0, 0))

    left = sorted(p.name for p in daily.iterdir())
    assert left == sorted(
        ["notes.txt", "citaplanner_daily_20261028_020000.sql.gz.manifest.json"]
        + [f"citaplanner_daily_202610{d}_020000.sql.gz{s}" for d in (25, 26, 28) for s in ("", ".sha256")]
    )
    assert len(result.pruned) == 11  # five dumps and their sidecars, and the one real backup's manifest
    assert one_line(result).endswith(" s; 5 old backups pruned)")  # backups, not their sidecars
    assert manual.files[0].exists()


def test_six_backups_on_the_first_keep_the_previous_five_months(filled, backup_dir):
    """The nightly cron plus five "Backup now" (auto) on December 1st: five earlier months stay."""
    settings = settings_for(filled, backup_dir)
    for month in range(7, 12):
        run_backup(settings, now=datetime(2026, month, 1, 2, 0, 0))
    for hour in range(2, 8):
        result = run_backup(settings, now=datetime(2026, 12, 1, hour, 0, 0))
        assert "monthly" in result.tiers
    monthly = sorted(p.name for p in (backup_dir / "monthly").glob("*.sql.gz"))
    assert monthly == [f"citaplanner_monthly_2026{m:02d}01_020000.sql.gz" for m in range(7, 12)] + [
        "citaplanner_monthly_20261201_070000.sql.gz"
    ]
    assert all((backup_dir / "monthly" / (n + ".sha256")).exists() for n in monthly)
    assert len(list((backup_dir / "monthly").glob("*.sha256"))) == 6  # no orphan sidecars


def test_first_backup_fills_every_tier_and_status_stops_warning(filled, backup_dir):
    settings = settings_for(filled, backup_dir)
    result = run_backup(settings, now=TUESDAY)
    assert result.tiers == ("daily", "weekly", "monthly")
    assert len({os.stat(p).st_ino for p in result.files}) == 1  # hard links of one dump
    report = build(settings, now=TUESDAY, database=DatabaseStatus("app", 1))
    assert [t.health.word for t in report.tiers[:3]] == ["OK", "OK", "OK"]
    assert not any("yet" in h.reason for h in report.checks)
    assert run_backup(settings, now=datetime(2026, 11, 4, 2, 0, 0)).tiers == ("daily",)


def test_next_backup_seals_a_dump_whose_sidecar_a_crash_never_wrote(filled, backup_dir):
    """The state a kill between publishing the dump and its sidecar leaves; a cut one is marked damaged."""
    settings = settings_for(filled, backup_dir)
    first = run_backup(settings, tier="daily", now=datetime(2026, 11, 2, 2, 0, 0))
    sidecar = first.files[0].with_name(first.files[0].name + ".sha256")
    sidecar.unlink()
    cut = backup_dir / "daily" / "citaplanner_daily_20261101_020000.sql.gz"
    cut.write_bytes(first.files[0].read_bytes()[:-100])
    assert {e.path: e.state for e in scan(backup_dir) if e.is_dump} == {
        first.files[0]: State.NO_SIDECAR,
        cut: State.NO_SIDECAR,
    }
    run_backup(settings, tier="manual", now=datetime(2026, 11, 3, 2, 0, 0))
    assert sidecar.read_text() == f"{first.sha256}  {first.files[0].name}\n"
    states = {e.path: e.state for e in scan(backup_dir) if e.is_dump}
    assert states[first.files[0]] is State.OK and states[cut] is State.CORRUPT
    assert not cut.with_name(cut.name + ".sha256").exists()
    log = "".join(p.read_text() for p in (backup_dir / "logs").iterdir())
    assert f"INFO wrote the missing sidecar of {first.files[0].name}" in log
    assert f"WARN {cut.name} has no sidecar and is damaged" in log
    run_backup(settings, tier="manual", now=datetime(2026, 11, 4, 2, 0, 0))
    again = "".join(p.read_text() for p in (backup_dir / "logs").iterdir())
    assert again.count(f"{cut.name} has no sidecar") == 1  # known damaged: not read again every night


def test_a_name_taken_in_the_same_second_waits_for_a_free_second(filled, backup_dir):
    """A restore retried at once after a kill finds the killed run's safety backup under this second's name."""
    settings = settings_for(filled, backup_dir)
    first = run_backup(settings, tier="safety")
    start = datetime.now().replace(microsecond=0)
    taken = []
    for ahead in range(3):  # this second and the next two are taken
        name = make_name("safety", start + timedelta(seconds=ahead), "zstd")
        dump = backup_dir / "safety" / name.filename
        if dump != first.files[0]:
            shutil.copyfile(first.files[0], dump)
            (dump.parent / name.sidecar).write_text(f"{first.sha256}  {name.filename}\n")
        taken.append(dump)
    before = {p: p.read_bytes() for p in taken}
    second = run_backup(settings, tier="safety")
    assert second.files[0].parent == backup_dir / "safety"
    assert second.files[0].name > taken[-1].name and second.files[0] not in taken
    assert {p: p.read_bytes() for p in taken} == before
    assert {e.path: e.state for e in scan(backup_dir) if e.is_dump}[second.files[0]] is State.OK


def test_names_still_taken_after_the_wait_are_one_sentence_and_nothing_is_touched(filled, backup_dir, monkeypatch):
    monkeypatch.setattr(backup, "_NAME_WAITS", 1)
    settings = settings_for(filled, backup_dir)
    first = run_backup(settings, tier="manual", now=TUESDAY)
    squatter = backup_dir / "manual" / make_name("manual", TUESDAY + timedelta(seconds=1), "gzip").filename
    shutil.copyfile(first.files[0], squatter)
    squatter.with_name(squatter.name + ".sha256").write_text(f"{first.sha256}  {squatter.name}\n")
    before = sorted((p.name, p.read_bytes()) for p in (backup_dir / "manual").iterdir())
    with pytest.raises(ConfigError) as raised:
        run_backup(settings, tier="manual", now=TUESDAY)
    assert raised.value.sentence == (
        f"{squatter.name} and the names of the 1 seconds before it are all taken in {backup_dir / 'manual'}; "
        "is another program writing backups there?"
    )
    assert sorted((p.name, p.read_bytes()) for p in (backup_dir / "manual").iterdir()) == before


PRISMA_SQL = """
CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL,
  finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz,
  started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0);
INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at) VALUES
  ('1', 'a', '2026-09-01 10:00+00', '20260901100000_init', NULL),
  ('2', 'b', '2026-10-01 10:00+00', '20261001100000_add_payments', NULL),
  ('3', 'c', '2026-10-15 10:00+00', '20261015100000_bad', '2026-10-15 10:05+00'),
  ('4', 'd', NULL, '20261020100000_failed', NULL);
"""


def test_manifest_names_the_prisma_schema_version_and_the_plan_warns_across_it(filled, backup_dir):
    filled.sql(PRISMA_SQL + f'ALTER TABLE _prisma_migrations OWNER TO "{filled.info.user}";')
    settings = settings_for(filled, backup_dir)
    result = run_backup(settings, now=TUESDAY)
    for path in result.files:  # every tier's copy has its own manifest
        assert manifest.read(path).migration == manifest.Migration(
            "20261001100000_add_payments", "2026-10-01T10:00:00+00:00", 2
        )
    info = settings.conninfo()
    checks = {c.name: c for c in manifest_checks(result.files[0], info)}
    assert checks["manifest"].ok and "migration 20261001100000_add_payments (2 applied)" in checks["manifest"].detail
    assert checks["migrations"].ok and not checks["migrations"].blocking
    filled.sql(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) "
        "VALUES ('5', 'e', '2026-11-20 10:00+00', '20261120100000_add_reminders')"
    )
    warning = {c.name: c for c in manifest_checks(result.files[0], info)}["migrations"]
    assert not warning.ok and not warning.blocking
    assert warning.detail.startswith("this backup predates migration 20261120100000_add_reminders")
    plan = cli("restore", "--plan", str(result.files[0]), env=cli_env(filled.url, backup_dir))
    assert plan.returncode == 0, plan.stderr
    assert "NOTE manifest" in plan.stdout and "migration 20261001100000_add_payments" in plan.stdout
    assert "WARN migrations  this backup predates migration 20261120100000_add_reminders" in plan.stdout


def test_backups_without_a_manifest_keep_working_and_retention_takes_it_along(filled, backup_dir):
    settings = settings_for(filled, backup_dir, retention=Retention(daily=1))
    old = run_backup(settings, tier="daily", now=datetime(2026, 11, 2, 2, 0, 0)).files[0]
    manifest.path_for(old).unlink()  # as the old script's backups are
    assert manifest.read(old) is None and manifest_checks(old, settings.conninfo()) == []
    assert scan(backup_dir).find(old).state is State.OK
    middle = run_backup(settings, tier="daily", now=datetime(2026, 11, 3, 2, 0, 0))
    assert not old.exists() and middle.files[0].exists()
    newest = run_backup(settings, tier="daily", now=datetime(2026, 11, 4, 2, 0, 0))
    assert sorted(p.name for p in (backup_dir / "daily").iterdir()) == [
        newest.files[0].name + s for s in ("", ".manifest.json", ".sha256")
    ]  # no orphan manifest


def test_much_smaller_dump_is_flagged(filled, backup_dir):
    settings = settings_for(filled, backup_dir)
    assert run_backup(settings, tier="daily", now=datetime(2026, 11, 3, 2, 0, 0)).warnings == []
    filled.sql("TRUNCATE appointments, payments, clients CASCADE")
    result = run_backup(settings, tier="daily", now=datetime(2026, 11, 4, 2, 0, 0))
    assert len(result.warnings) == 1 and "much smaller than the previous one" in result.warnings[0]
    log = "".join(p.read_text() for p in (backup_dir / "logs").iterdir())
    assert "WARN the new daily backup" in log


def test_a_backup_taken_after_rows_were_deleted_prunes_no_good_backup(filled, backup_dir):
    """The incident run of the same day used to supersede the day's (and month's) good backup."""
    settings = settings_for(filled, backup_dir)
    good = run_backup(settings, now=SUNDAY_FIRST)
    assert set(good.tiers) == {"daily", "weekly", "monthly"}
    filled.sql("TRUNCATE appointments, payments, clients CASCADE")
    incident = run_backup(settings, now=SUNDAY_FIRST.replace(hour=9))
    assert incident.pruned == [] and "much smaller than the previous one" in incident.warnings[0]
    for tier in incident.tiers:
        assert sorted(p.name for p in (backup_dir / tier).glob("*.sql.gz")) == [
            f"citaplanner_{tier}_20261101_020000.sql.gz",
            f"citaplanner_{tier}_20261101_090000.sql.gz",
        ]
    kept = {k.entry.path.name: k.reason for k in prune(settings, dry_run=True).kept}
    assert kept["citaplanner_daily_20261101_090000.sql.gz"] == (
        "kept: much smaller than the backup before it; it does not replace it"
    )
    assert kept["citaplanner_daily_20261101_020000.sql.gz"] == "the newest good backup of 2026-11-01"


def test_cancel_stops_pg_dump_and_leaves_nothing(filled, backup_dir):
    def cancel_on_dump(progress):
        if progress.phase == "dump":
            reporter.cancel.set()

    reporter = Reporter(cancel_on_dump, interval=0)
    with pytest.raises(Cancelled, match="nothing was kept"):
        run_backup(settings_for(filled, backup_dir), tier="daily", reporter=reporter, now=TUESDAY)
    assert list((backup_dir / "daily").iterdir()) == []
    log = "".join(p.read_text() for p in (backup_dir / "logs").iterdir())
    assert "WARN backup cancelled; nothing was kept and older backups are untouched" in log
    assert "ERROR" not in log  # the operator's choice, not a failure an alert should count


def test_prune_cli_shows_then_applies_retention(filled, backup_dir):
    settings = settings_for(filled, backup_dir)
    for day in (1, 2, 3, 4):
        run_backup(settings, tier="daily", now=datetime(2026, 11, day, 2, 0, 0))
    env = cli_env(filled.url, backup_dir)
    dry = cli("prune", "--dry-run", "--keep-daily", "2", env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would delete") == 2 and "citaplanner_daily_20261101" in dry.stdout
    assert "would keep" in dry.stdout and "(the newest good backup of 2026-11-04)" in dry.stdout
    assert "(2026-11-01 is older than the 2 days kept)" in dry.stdout
    plan = json.loads(cli("prune", "--dry-run", "--json", "--keep-daily", "2", env=env).stdout)
    assert {k["period"] for k in plan["kept"] if k["tier"] == "daily"} == {"2026-11-03", "2026-11-04"}
    assert len(list((backup_dir / "daily").glob("*.sql.gz"))) == 4

    done = cli("prune", "--json", "--keep-daily", "2", env=env)
    report = json.loads(done.stdout)
    assert (
        done.returncode == 0 and report["dry_run"] is False and len(report["deleted"]) == 6
    )  # dump, manifest, sidecar
    assert sorted(p.name for p in (backup_dir / "daily").glob("*.sql.gz")) == [
        "citaplanner_daily_20261103_020000.sql.gz",
        "citaplanner_daily_20261104_020000.sql.gz",
    ]
    again = cli("prune", "--keep-daily", "2", env=env)
    assert "nothing to prune" in again.stdout


def test_backup_cli_json_and_one_line_result(filled, backup_dir):
    env = cli_env(filled.url, backup_dir)
    done = cli("backup", "--tier", "manual", "--format", "zstd", "--json", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["format"] == "zstd" and result["files"][0].endswith(".sql.zst")
    assert result["rows"]["public.clients"] == 300 and done.stderr == ""  # no progress off a terminal
    line = cli("backup", "--tier", "weekly", env=env)
    assert line.returncode == 0 and line.stdout.count("\n") == 1 and line.stdout.startswith("OK ")
    assert "/weekly/citaplanner_weekly_" in line.stdout


def test_progress_line_fits_80_columns():
    text = render(Progress("dump", 300 << 20, 1 << 30, "72.0 MiB gzip written", elapsed=5.0))
    assert text.startswith("dump") and "300.0 MiB / ~1.0 GiB" in text and "29%" in text
    assert "60.0 MiB/s" in text and "s left" in text and len(text) < 80


def test_progress_is_drawn_on_a_terminal_only(filled, backup_dir):
    master, slave = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "citaplanner_tui", "backup", "--tier", "manual"],
            env=cli_env(filled.url, backup_dir),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=90,
        )
        os.close(slave)
        drawn = b""
        while select.select([master], [], [], 0.5)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(master)
    assert done.returncode == 0 and done.stdout.startswith(b"OK ")
    assert b"\r\x1b[2Kdump" in drawn and drawn.endswith(b"\r\x1b[2K")


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_everything_the_tool_creates_is_private_whatever_the_umask(filled, tmp_path, umask):
    backup_dir = tmp_path / "srv" / "citaplanner" / "backups"  # three folders the tool must create
    env = cli_env(filled.url, backup_dir)
    done = cli("backup", env=env, preexec_fn=lambda: os.umask(umask))
    assert done.returncode == 0, done.stderr
    assert cli("verify", env=env, preexec_fn=lambda: os.umask(umask)).returncode == 0
    created = [tmp_path / "srv", tmp_path / "srv" / "citaplanner"]
    created += [backup_dir] + sorted(backup_dir.rglob("*"))
    assert backup_dir / ".citaplanner-tui" / "last-backup.json" in created
    modes = {str(p.relative_to(tmp_path)): oct(_mode(p)) for p in created}
    expected = {str(p.relative_to(tmp_path)): oct(0o700 if p.is_dir() else 0o600) for p in created}
    assert modes == expected


def test_with_globals_saves_the_roles_privately_beside_the_dump(filled, backup_dir, tmp_path):
    env = cli_env(filled.url, backup_dir)
    done = cli("backup", "--tier", "manual", "--with-globals", "--json", env=env)
    assert done.returncode == 0, done.stderr
    dump = Path(json.loads(done.stdout)["files"][0])
    roles = dump.with_name(dump.name + ".globals.sql")
    text = roles.read_text()
    assert _mode(roles) == 0o600
    assert f"CREATE ROLE {filled.info.user};" in text and "PASSWORD" not in text  # not readable by this role
    assert manifest.read(dump).globals_file == roles.name
    assert set(scan(backup_dir).find(dump).companions) == {manifest.path_for(dump), roles}  # pruned with it
    config = tmp_path / "with-globals.toml"
    config.write_text("[backup]\nwith_globals = true\n")
    done = cli("backup", "--tier", "daily", "--json", env={**env, "CITAPLANNER_TUI_CONFIG": str(config)})
    daily = Path(json.loads(done.stdout)["files"][0])
    assert daily.with_name(daily.name + ".globals.sql").exists()
    without = cli("backup", "--tier", "weekly", "--json", env=env)
    weekly = Path(json.loads(without.stdout)["files"][0])
    assert not weekly.with_name(weekly.name + ".globals.sql").exists()
