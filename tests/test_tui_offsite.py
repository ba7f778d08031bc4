"""The console's off-site parts against a real SeaweedFS and a real PostgreSQL: the pane, the
backups' Where column, push and verify as jobs, and the restore wizard restoring a remote backup."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from textual.widgets import Button

from citaplanner_tui.core.offsite.push import push
from citaplanner_tui.core.offsite.targets import Target
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.tui.screens.ask import AskScreen
from citaplanner_tui.tui.screens.confirm import ConfirmScreen
from citaplanner_tui.tui.screens.offsite import OffsiteScreen
from citaplanner_tui.tui.widgets.offsite_pane import NOT_CONFIGURED
from tests.support.catalog import old_dump
from tests.support.restore import content, fill, take_backup
from tests.support.s3 import ADMIN, SECRETS, closed_port
from tests.support.tui import NOW, burst, drawn_lines, make_console, settle, sync, type_name, wait_for_job, wait_until


def target(tmp_path: Path, s3, bucket: str, **extra) -> Target:
    """Target ``t1`` on ``bucket`` (keys in files, as an operator's secrets), retries short."""
    (tmp_path / "key_id").write_text(ADMIN[0])
    (tmp_path / "secret").write_text(ADMIN[1])
    return Target(
        "t1",
        bucket,
        "prod",
        endpoint_url=s3.endpoint,
        access_key_id_file=tmp_path / "key_id",
        secret_access_key_file=tmp_path / "secret",
        max_attempts=2,
        timeout_seconds=5,
        **extra,
    )


def dumps(backup_dir: Path, n: int) -> list[Path]:
    """``n`` daily backups, the newest an hour before the console's clock."""
    return [old_dump(backup_dir / "daily", "daily", NOW - timedelta(hours=1 + 24 * i)) for i in range(n)]


def keys(s3, bucket: str) -> set[str]:
    return {o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])}


def pane_text(app) -> str:
    return "\n".join(drawn_lines(app.screen.query_one("#offsite")))


async def offsite_known(pilot) -> None:
    await wait_until(
        pilot, lambda: pilot.app.data is not None and pilot.app.data.offsite_known, "the targets answering"
    )
    await settle(pilot)


@sync
async def test_without_targets_the_pane_says_how_to_add_one(backup_dir):
    dumps(backup_dir, 1)
    app = make_console(backup_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OffsiteScreen)
        assert drawn_lines(app.screen.query_one("#offsite")) == [NOT_CONFIGURED]  # one line, whole
        assert not app.screen.check_action("push", ())  # nothing to push to: no key offered


@sync
async def test_pane_and_where_column_show_what_the_target_holds(tmp_path, backup_dir, s3, bucket):
    older, newest = sorted(dumps(backup_dir, 2))
    t1 = target(tmp_path, s3, bucket, object_lock_days=1)
    newest.rename(tmp_path / newest.name)  # pushed without the newest, which comes back afterwards
    Path(str(newest) + ".sha256").rename(tmp_path / (newest.name + ".sha256"))
    (result,) = push(Settings(backup_dir=backup_dir, offsite=(t1,)), (t1,))
    assert result.ok, result.error
    (tmp_path / newest.name).rename(newest)
    (tmp_path / (newest.name + ".sha256")).rename(str(newest) + ".sha256")

    app = make_console(backup_dir, offsite=(t1,))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await offsite_known(pilot)
        text = pane_text(app)
        assert f"t1 s3://{bucket}/prod · object lock 1 d" in text
        taken = older.name.split("_")[2:4]
        assert f"newest {taken[0][4:6]}-{taken[0][6:8]} {taken[1][:2]}:{taken[1][2:4]}" in text
        assert "lag 24 h" in text and "1 not pushed" in text and "1 backup" in text
        assert "last push" in text and " ok" in text
        assert "WARN on off-site target 't1', " not in text  # the daily there is 25 h old: within its limit
        assert "unencrypted" in text  # the core's reason, with its word
        assert not any(secret in text for secret in SECRETS)
        # the target's verdicts join the header's, on the problems line, as status words them
        assert ("WARN", "offsite t1") in [p[:2] for p in app.data.problems]

        await pilot.press("b")
        await settle(pilot)
        table = app.screen.query_one("#backups-table")
        assert [title for title, _ in table.columns][-1] == "Where"
        assert table.cells(str(older))[-1] == "local+t1"
        assert table.cells(str(newest))[-1] == "local"
        assert all(len(line) <= 80 for line in drawn_lines(table))
        assert "local+t1" in drawn_lines(table)[2]  # whole at 80 columns, not cut


@sync
async def test_an_unreachable_target_is_a_fail_in_the_pane_and_the_volume_still_shows(tmp_path, backup_dir, s3):
    dumps(backup_dir, 1)
    t1 = replace(target(tmp_path, s3, "nobucket"), endpoint_url=f"http://127.0.0.1:{closed_port()}")
    app = make_console(backup_dir, offsite=(t1,))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.data is not None and app.data.catalog.backups()  # the local load did not wait for it
        await pilot.press("o")
        await offsite_known(pilot)
        text = pane_text(app)
        assert text.startswith("FAIL t1 s3://nobucket/prod") and "cannot reach off-site target 't1'" in text
        assert ("FAIL", "offsite t1") in [p[:2] for p in app.data.problems]


@sync
async def test_a_backup_only_on_the_target_is_listed_and_r_takes_it_to_the_wizard(tmp_path, backup_dir, s3, bucket):
    older, newest = sorted(dumps(backup_dir, 2))
    t1 = target(tmp_path, s3, bucket)
    (result,) = push(Settings(backup_dir=backup_dir, offsite=(t1,)), (t1,))
    assert result.ok, result.error
    older.unlink(), Path(str(older) + ".sha256").unlink()  # local retention took it; t1 keeps it
    app = make_console(backup_dir, offsite=(t1,))
    async with app.run_test(size=(80, 24)) as pilot:
        await offsite_known(pilot)
        await pilot.press("b")
        await settle(pilot)
        table = app.screen.query_one("#backups-table")
        spec = f"t1:daily/{older.name}"
        assert [row[0] for row in table.rows] == [str(newest), spec]  # by time, newest first
        assert table.cells(spec)[-1] == "t1" and table.cells(str(newest))[-1] == "local+t1"
        await pilot.press("down")
        assert "is only on t1: R downloads it" in str(app.screen.query_one("#backup-detail").render())
        await pilot.press("v")  # nothing local to verify: said, not attempted
        await settle(pilot)
        assert not any(job.kind == "verify" for job in app.jobs)
        await pilot.press("R")
        await settle(pilot)
        pick = app.screen.query_one("#pick")
        assert pick.source == "t1" and pick.selected_key() == spec


@sync
async def test_esc_while_a_remote_backup_downloads_keeps_nothing_of_it(tmp_path, backup_dir, s3, bucket):
    (archive,) = dumps(backup_dir, 1)
    t1 = target(tmp_path, s3, bucket)
    (result,) = push(Settings(backup_dir=backup_dir, offsite=(t1,)), (t1,))
    assert result.ok, result.error
    archive.unlink(), Path(str(archive) + ".sha256").unlink()
    app = make_console(backup_dir, offsite=(t1,))
    async with app.run_test(size=(80, 24)) as pilot:
        await offsite_known(pilot)
        app.open_restore()
        await settle(pilot)
        await pilot.press("s")
        # Esc reaches the job before its child starts: the engine stops at its first chunk
        await burst(pilot, "enter", "escape")
        job = await wait_for_job(pilot, "pull")
        assert job.cancelled and job.result is None
        assert app.screen.step == "pick"
        assert sorted(p.name for p in (backup_dir / "daily").iterdir()) == []  # no dump, no .partial, no sidecar


@sync
async def test_backup_now_pushes_after_the_backup_and_a_failed_push_is_only_a_warning(
    tmp_path, app_db, backup_dir, s3, bucket
):
    fill(app_db, clients=5, appointments=10)
    t1 = target(tmp_path, s3, bucket)
    gone = replace(target(tmp_path, s3, "nobucket"), name="t2", endpoint_url=f"http://127.0.0.1:{closed_port()}")
    app = make_console(backup_dir, database_url=app_db.url, offsite=(t1, gone))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.press("s")
        job = await wait_for_job(pilot, "backup", timeout=90)
        assert job.error is None, job.error
        dump = job.result.value.files[0]
        assert dump.exists() and Path(str(dump) + ".sha256").exists()  # the backup stands
        assert f"prod/{dump.parent.name}/{dump.name}.sha256" in keys(s3, bucket)  # pushed, sidecar last
        assert job.result.kind.value == "warning" and job.result.summary.endswith("written with warnings")
        (warning,) = job.result.details
        assert warning.startswith("off-site push to t2 failed: cannot reach off-site target 't2'")


@sync
async def test_push_job_lands_the_objects_on_the_server(tmp_path, backup_dir, s3, bucket):
    made = dumps(backup_dir, 2)
    t1 = target(tmp_path, s3, bucket)
    app = make_console(backup_dir, offsite=(t1,))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await offsite_known(pilot)
        assert "2 not pushed" in pane_text(app)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, AskScreen)  # says what it will do first; focus on Cancel
        assert "t1: upload 2 backups" in app.screen.question and app.focused.id == "no"
        app.screen.query_one("#yes", Button).press()
        job = await wait_for_job(pilot, "offsite-push")
        assert job.error is None, job.error
        assert job.result.summary == "off-site push: 4 objects uploaded"
        assert keys(s3, bucket) == {f"prod/daily/{p.name}{s}" for p in made for s in ("", ".sha256")}
        await offsite_known(pilot)
        await wait_until(pilot, lambda: "all pushed" in pane_text(app), "the pane showing the push")


@sync
async def test_verify_job_names_an_object_altered_on_the_server(tmp_path, backup_dir, s3, bucket):
    made = sorted(dumps(backup_dir, 2))
    t1 = target(tmp_path, s3, bucket)
    (result,) = push(Settings(backup_dir=backup_dir, offsite=(t1,)), (t1,))
    assert result.ok, result.error
    s3.client().put_object(Bucket=bucket, Key=f"prod/daily/{made[0].name}", Body=b"not the backup")
    app = make_console(backup_dir, offsite=(t1,))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await offsite_known(pilot)
        await pilot.press("v")
        job = await wait_for_job(pilot, "offsite-verify")
        assert job.error is None, job.error
        assert job.result.summary == "off-site verify: 1 of 2 remote backups FAILED"
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and f"t1:daily/{made[0].name}: " in errors[0].message
        assert "replaced after upload" in errors[0].message and made[1].name not in errors[0].message


@sync
async def test_read_only_hides_push_but_verifies(tmp_path, backup_dir, s3, bucket):
    dumps(backup_dir, 1)
    t1 = target(tmp_path, s3, bucket)
    app = make_console(backup_dir, offsite=(t1,), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await offsite_known(pilot)
        assert not app.screen.check_action("push", ())
        await pilot.press("p")
        await settle(pilot)
        assert not isinstance(app.screen, AskScreen) and keys(s3, bucket) == set()
        assert any("read-only" in n.message for n in app._notifications)


@sync
async def test_wizard_restores_a_backup_that_is_only_on_the_target(tmp_path, app_db, backup_dir, s3, bucket):
    fill(app_db, clients=20, appointments=40)
    archive = take_backup(app_db, backup_dir)
    at_backup = content(app_db.server, app_db.name)
    t1 = target(tmp_path, s3, bucket)
    (result,) = push(Settings(backup_dir=backup_dir, offsite=(t1,)), (t1,))
    assert result.ok, result.error
    sidecar = Path(str(archive) + ".sha256")
    archive.unlink(), sidecar.unlink()  # the volume lost it: only t1 holds it
    app_db.sql("DELETE FROM payments")
    assert content(app_db.server, app_db.name) != at_backup

    app = make_console(backup_dir, database_url=app_db.url, offsite=(t1,))
    async with app.run_test(size=(80, 24)) as pilot:
        await offsite_known(pilot)
        app.open_restore()
        await settle(pilot)
        wizard = app.screen
        await pilot.press("s")  # the source: t1
        await settle(pilot)
        pick = wizard.query_one("#pick")
        assert pick.source == "t1" and pick.selected_key() == f"t1:manual/{archive.name}"
        await pilot.press("enter")
        pulled = await wait_for_job(pilot, "pull")
        assert pulled.error is None, pulled.error
        assert archive.exists() and sidecar.exists()  # an ordinary backup on the volume now
        job = await wait_for_job(pilot, "preflight")
        assert job.error is None, job.error
        assert wizard.plan is not None and wizard.plan.ok and wizard.plan.archive == archive
        await pilot.press("enter")
        assert wizard.step == "plan"
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await type_name(pilot, app_db.name)
        await pilot.press("enter")
        done = await wait_for_job(pilot, "restore")
        assert done.error is None, done.error
        assert content(app_db.server, app_db.name) == at_backup


@sync
async def test_the_off_site_screen_speaks_spanish(tmp_path, backup_dir, s3, bucket):
    from citaplanner_tui.core import i18n

    older, newest = sorted(dumps(backup_dir, 2))
    t1 = target(tmp_path, s3, bucket, object_lock_days=1)
    newest.rename(tmp_path / newest.name)  # pushed without the newest, as in the English test above
    Path(str(newest) + ".sha256").rename(tmp_path / (newest.name + ".sha256"))
    (result,) = push(Settings(backup_dir=backup_dir, offsite=(t1,)), (t1,))
    assert result.ok, result.error
    (tmp_path / newest.name).rename(newest)
    (tmp_path / (newest.name + ".sha256")).rename(str(newest) + ".sha256")
    gone = replace(t1, name="t2", endpoint_url=f"http://127.0.0.1:{closed_port()}")
    i18n.activate("es")
    try:
        app = make_console(backup_dir, offsite=(t1, gone))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("o")
            await offsite_known(pilot)
            text = " ".join(pane_text(app).split())
            assert f"t1 s3://{bucket}/prod · bloqueo de objetos 1 d" in text
            assert "atraso 24 h" in text and "1 sin subir" in text and "1 respaldo" in text
            assert "última subida" in text and "sin cifrar" in text  # the core's reason, in Spanish
            assert "FAIL t2" in text and "no se puede contactar con el destino externo 't2'" in text
            # what scripts read stays English: the report's sentences are the core's English
            (problem,) = [t.problem for t in app.data.report.offsite if t.problem]
            assert problem.startswith("cannot reach off-site target 't2'")
            await pilot.press("p")
            await settle(pilot)
            assert isinstance(app.screen, AskScreen)
            assert app.screen.question.startswith("¿Subir a los destinos externos? t1: subir 1 respaldo; t2: subir")
            assert str(app.screen.query_one("#yes", Button).label) == "Subir"
    finally:
        i18n.activate("en")
