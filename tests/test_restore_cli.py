"""The restore, rollback and drill commands as cron and operators run them (real processes)."""

from __future__ import annotations

import json
from datetime import datetime

from citaplanner_tui.core.pg.connect import connect
from tests.support.backup import cli, cli_env
from tests.support.db import APP_PASSWORD, drop_app_db
from tests.support.restore import content, fill, take_backup


def test_plan_confirm_restore_rollback_and_drill(app_db, backup_dir):
    fill(app_db)
    archive = take_backup(app_db, backup_dir)
    at_backup = content(app_db.server, app_db.name)
    app_db.sql("DELETE FROM appointments WHERE status = 'CANCELLED'")
    changed = content(app_db.server, app_db.name)
    env = cli_env(app_db.url, backup_dir)
    name = app_db.name

    plan = cli("restore", str(archive), "--plan", "--json", env=env)
    assert plan.returncode == 0, plan.stderr
    data = json.loads(plan.stdout)
    assert data["ok"] and data["mode"] == "swap" and data["target"] == name
    assert [s["name"] for s in data["steps"]][-1] == "swap"
    text = cli("restore", str(archive), "--plan", env=env)
    assert "Restore plan" in text.stdout and "OK   checksum" in text.stdout

    for confirm in ([], ["--confirm", "citaplanner"]):
        refused = cli("restore", str(archive), *confirm, env=env)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
        assert f"--confirm {name}" in refused.stderr
    assert content(app_db.server, app_db.name) == changed
    assert not (backup_dir / "safety").exists()

    done = cli("restore", str(archive), "--confirm", name, "--json", env=env)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert content(app_db.server, app_db.name) == at_backup
    assert outcome["pre_restore"].startswith(name + "__pre_restore_") and "--rollback" in outcome["undo"]

    back = cli("restore", "--rollback", "--confirm", name, env=env)
    assert back.returncode == 0, back.stderr
    assert content(app_db.server, app_db.name) == changed

    drilled = cli("drill", str(archive), "--json", env=env)
    assert drilled.returncode == 0, drilled.stderr
    assert json.loads(drilled.stdout)["differences"]  # live (rolled back) differs from the backup
    newest = cli("drill", env=env)  # never the restore's safety backup, nor a manual one, unless named
    assert newest.returncode == 1 and "no good backup of a rotated tier" in newest.stderr

    log = (backup_dir / "logs" / f"restore_{datetime.now():%Y%m%d}.log").read_text()
    assert "restore of" in log and "rollback of" in log and "drill of" in log and "swap" not in APP_PASSWORD
    assert APP_PASSWORD not in log


def test_read_only_and_bad_arguments_are_one_sentence(app_db, backup_dir):
    fill(app_db, clients=10, appointments=20)
    archive = take_backup(app_db, backup_dir)
    env = cli_env(app_db.url, backup_dir)
    before = content(app_db.server, app_db.name)
    for args in (
        ["--read-only", "restore", str(archive), "--confirm", app_db.name],
        ["--read-only", "drill"],
        ["restore", "--rollback", "--confirm", app_db.name],
        ["restore", "--confirm", app_db.name],
        ["restore", str(backup_dir / "nope.sql.gz"), "--confirm", app_db.name],
    ):
        run = cli(*args, env=env)
        assert run.returncode != 0 and len(run.stderr.strip().splitlines()) == 1, (args, run.stderr)
        assert "Traceback" not in run.stderr
    assert content(app_db.server, app_db.name) == before


def test_restore_names_what_the_swap_could_not_carry_over(app_db, backup_dir):
    """A grant on a table made after the backup cannot be kept; the operator reads which, not just the JSON."""
    fill(app_db)
    archive = take_backup(app_db, backup_dir)
    app_db.server.sql("DROP ROLE IF EXISTS cli_reader; CREATE ROLE cli_reader")
    try:
        with connect(app_db.info) as conn:  # as the app, which owns what it creates
            conn.execute("CREATE TABLE late_table (x int); GRANT SELECT ON late_table TO cli_reader")
        done = cli("restore", str(archive), "--confirm", app_db.name, env=cli_env(app_db.url, backup_dir))
        assert done.returncode == 0, done.stderr
        warned = [line for line in done.stdout.splitlines() if line.startswith("WARN not carried over")]
        assert len(warned) == 1 and "late_table" in warned[0] and "cli_reader" in warned[0]
    finally:
        drop_app_db(app_db.server, app_db.name)  # the parked copy holds the role's grant
        app_db.server.sql("DROP ROLE IF EXISTS cli_reader")


def test_plan_for_a_missing_target_and_rollback_refusals_say_what_is_true(app_db, backup_dir):
    """The role has CREATEDB: a missing target is not 'cannot create'; a rollback refusal says roll back."""
    fill(app_db, clients=5, appointments=5)
    archive = take_backup(app_db, backup_dir)
    env = cli_env(app_db.url, backup_dir)
    missing = app_db.name + "_new"

    plan = cli("restore", str(archive), "--target", missing, "--plan", "--json", env=env)
    checks = {c["name"]: c for c in json.loads(plan.stdout)["checks"]}
    assert plan.returncode == 1 and not checks["target"]["ok"]
    assert checks["rights"]["detail"] == (
        f"role 'citaplanner' may create databases; {missing!r} does not exist, so there is nothing to rename"
    )
    steps = " ".join(s["detail"] for s in json.loads(plan.stdout)["steps"])
    assert "''s" not in steps and "'s own" not in steps

    for confirm in ([], ["--confirm", "citaplanner"]):
        refused = cli("restore", "--rollback", *confirm, env=env)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert f"to roll back {app_db.name!r} pass --confirm {app_db.name}" in refused.stderr
        assert "restore over" not in refused.stderr
