"""Every way a restore can fail before the swap leaves the live database exactly as it was."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from citaplanner_tui.core.errors import Cancelled, OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.restore import execute, preflight
from citaplanner_tui.core.restore.plan import ConfirmationRequired
from citaplanner_tui.core.restore.validate import qualified
from citaplanner_tui.core.settings import RestoreKeep
from citaplanner_tui.core.volume import manifest
from citaplanner_tui.core.volume.records import Records
from tests.support.db import drop_app_db, make_app_db
from tests.support.restore import (
    content,
    databases,
    fill,
    insert_into_dump,
    rewrite_archive,
    settings_for,
    take_backup,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def live(app_db):
    fill(app_db)
    return app_db


@pytest.fixture
def archive(live, backup_dir):
    path = take_backup(live, backup_dir)
    live.sql("DELETE FROM payments")  # live now differs from the backup
    return path


def _only_sentence(exc: OperatorError) -> str:
    text = exc.sentence
    assert text and "\n" not in text and "Traceback" not in text
    return text


def _refused(live, archive, backup_dir, mode, damage, *, jobs: int = 1, after_plan: bool = False) -> str:
    """Damage the archive (before or after the plan), execute: it must fail, change nothing, say so in one sentence."""
    settings = settings_for(live, backup_dir, restore=RestoreKeep(jobs=jobs))
    if not after_plan:
        damage(archive)  # in its SQL only: pre-flight reads a sound dump
    plan = preflight(settings, archive, mode=mode)
    assert plan.ok, plan.problems
    before = content(live.server, live.name)
    if after_plan:
        damage(archive)
    with pytest.raises(OperatorError) as err:
        execute(settings, plan, confirm=live.name)
    assert content(live.server, live.name) == before
    assert not databases(live.server, live.name + "__restore_")
    return _only_sentence(err.value)


@pytest.mark.parametrize("mode", ["swap", "in-place"])
def test_error_inside_the_dump_rolls_everything_back(live, archive, backup_dir, mode):
    def bad_statement(path):  # after the tables are created, before their data
        insert_into_dump(path, b"--\n-- Data for Name:", b"SELECT * FROM no_such_table;\n")

    sentence = _refused(live, archive, backup_dir, mode, bad_statement)
    assert "no_such_table" in sentence and "nothing was committed" in sentence


@pytest.mark.parametrize("mode,jobs", [("in-place", 1), ("swap", 2)])
def test_row_count_mismatch_stops_before_commit(live, archive, backup_dir, mode, jobs):
    """A dump that loads without error but leaves other counts than its COPY data is refused; the
    parallel load, checked against pre-flight's counts, loads once more counting them and still refuses."""

    def sneaky_delete(path):
        insert_into_dump(
            path,
            b"-- PostgreSQL database dump complete",
            b"DELETE FROM public.payments WHERE id IN (SELECT id FROM public.payments LIMIT 1);\n",
        )

    assert "public.payments holds" in _refused(live, archive, backup_dir, mode, sneaky_delete, jobs=jobs)
    again = "counting its rows as it streams" in "".join(p.read_text() for p in (backup_dir / "logs").glob("*.log"))
    assert again == (jobs > 1)


@pytest.mark.parametrize("mode,jobs", [("in-place", 1), ("swap", 1), ("swap", 2)])
@pytest.mark.parametrize("change", ["truncated", "another backup"])
def test_an_archive_changed_after_the_plan_is_refused_by_the_load(live, archive, backup_dir, mode, jobs, change):
    """The load reads the bytes pre-flight checked or fails: even a sound backup put in its place, sidecar and all."""
    other = take_backup(live, backup_dir / "other")  # live without its payments: a valid dump, other content

    def replace(path):
        data = path.read_bytes()[:-40] if change == "truncated" else other.read_bytes()
        rewrite_archive(path, data)

    sentence = _refused(live, archive, backup_dir, mode, replace, jobs=jobs, after_plan=True)
    assert f"{archive.name} changed since it was checked: its SHA-256 no longer matches" in sentence, sentence


@pytest.mark.parametrize("with_manifest", [True, False])
def test_preflight_reads_in_full_only_what_no_manifest_vouches_for(live, archive, backup_dir, with_manifest):
    """Our backup's manifest, written for these very bytes, gives the rows: a checksum pass, no deep verify.
    Without it (the old script's backups) the archive is decompressed to its end, as before."""
    found = manifest.read(archive)
    assert found is not None and found.rows
    if not with_manifest:
        manifest.path_for(archive).unlink()
    settings = settings_for(live, backup_dir)
    plan = preflight(settings, archive)
    assert plan.ok, plan.problems
    names = [c.name for c in plan.checks]
    facts = Records(settings).lookup(archive)
    assert plan.rows == found.rows and plan.sha256 == found.sha256
    assert facts is not None and facts.verify is not None and facts.verify.ok
    if with_manifest:
        held = f"as its manifest records: {len(found.rows)} tables, {sum(found.rows.values()):,} rows"
        assert "deep verify" not in names and held in plan.checks[names.index("contents")].detail
        assert facts.deep is None  # nothing decompressed it
        assert plan.source_version == found.server_version
    else:
        assert "contents" not in names and plan.checks[names.index("deep verify")].ok
        assert facts.deep is not None and facts.deep.ok
    execute(settings, plan, confirm=live.name)  # the load reads it to the end either way
    assert sum(n for n, _ in content(live.server, live.name).values()) == sum(found.rows.values())


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupt_archive_is_refused_by_preflight(live, archive, backup_dir, damage):
    data = bytearray(archive.read_bytes())
    if damage == "flip":
        mid = len(data) // 2
        data[mid : mid + 16] = bytes(b ^ 0xFF for b in data[mid : mid + 16])
        data = bytes(data)
    else:
        data = bytes(data[: len(data) * 2 // 3])
    rewrite_archive(archive, data)
    before = content(live.server, live.name)
    settings = settings_for(live, backup_dir)
    plan = preflight(settings, archive)
    assert not plan.ok and plan.problems[0].name == "deep verify"
    with pytest.raises(OperatorError) as err:
        execute(settings, plan, confirm=live.name)
    assert ("corrupt" if damage == "flip" else "truncated") in _only_sentence(err.value)
    assert content(live.server, live.name) == before
    assert not (backup_dir / "safety").exists()


@pytest.mark.parametrize("mode", ["swap", "in-place"])
def test_cancel_during_the_load_changes_nothing(live, archive, backup_dir, mode, monkeypatch):
    import citaplanner_tui.core.stream.archive as archive_module

    monkeypatch.setattr(archive_module, "CHUNK", 2048)  # many reads, so the cancel lands mid-load
    settings = settings_for(live, backup_dir)
    plan = preflight(settings, archive, mode=mode)
    before = content(live.server, live.name)
    seen = []

    def on_progress(p):
        seen.append(p)
        if p.phase == "load" and p.done * 2 > (p.total or 0):
            reporter.cancel.set()

    reporter = Reporter(on_progress, interval=0)
    with pytest.raises(Cancelled) as err:
        execute(settings, plan, confirm=live.name, reporter=reporter)
    assert "nothing was changed" in _only_sentence(err.value)
    assert content(live.server, live.name) == before
    assert not databases(live.server, live.name + "__restore_")
    loads = [p for p in seen if p.phase == "load"]
    assert loads[-1].total == archive.stat().st_size and loads[-1].rate and loads[-1].eta is not None


def test_wrong_confirmation_changes_nothing(live, archive, backup_dir):
    settings = settings_for(live, backup_dir)
    plan = preflight(settings, archive)
    before = content(live.server, live.name)
    for wrong in (None, "citaplanner", live.name.upper()):
        with pytest.raises(ConfirmationRequired) as err:
            execute(settings, plan, confirm=wrong)
        assert f"--confirm {live.name}" in _only_sentence(err.value)
    assert content(live.server, live.name) == before
    assert not (backup_dir / "safety").exists()


DRIVER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import citaplanner_tui.core.stream.archive as archive
    from citaplanner_tui.core.events import Reporter
    from citaplanner_tui.core.restore import execute, preflight
    from citaplanner_tui.core.settings import Settings

    url, backup_dir, path, mode, phase = sys.argv[1:6]
    archive.CHUNK = 2048  # many small reads, so the kill lands while data flows to psql
    settings = Settings(database_url=url, backup_dir=Path(backup_dir))
    plan = preflight(settings, Path(path), mode=mode)

    def on_progress(p):
        if p.phase == phase and (phase != "load" or p.done * 2 > (p.total or 0)):
            print("killing", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    execute(settings, plan, confirm=plan.target, reporter=Reporter(on_progress, interval=0))
""")


@pytest.mark.parametrize("mode,phase", [("swap", "load"), ("in-place", "load"), ("swap", "swap")])
def test_kill_9_leaves_live_untouched(live, archive, backup_dir, mode, phase):
    before = content(live.server, live.name)
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, live.url, str(backup_dir), str(archive), mode, phase],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=90,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "killing" in proc.stdout
    _wait_for_orphaned_psql(live)
    assert content(live.server, live.name) == before

    # The next restore cleans up what the killed one left and succeeds.
    time.sleep(1)  # its safety backup must not get the killed run's file name (one per second)
    settings = settings_for(live, backup_dir)
    plan = preflight(settings, archive, mode=mode)
    assert plan.ok, plan.checks
    execute(settings, plan, confirm=live.name)
    assert content(live.server, live.name)["payments"][0] > 0
    assert not databases(live.server, live.name + "__restore_")


def _wait_for_orphaned_psql(live, timeout: float = 30) -> None:
    """psql sees its input end when we die; wait until its session is gone."""
    deadline = time.monotonic() + timeout
    while live.server.sql(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'citaplanner-tui' "
        "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    ):
        assert time.monotonic() < deadline, "the orphaned psql session did not end"
        time.sleep(0.1)


RECONNECTER = textwrap.dedent("""
    import sys, time, psycopg
    url, stop = sys.argv[1], sys.argv[2]
    ok = refused = 0
    while not __import__("os").path.exists(stop):
        try:
            with psycopg.connect(url, connect_timeout=2, application_name="app") as c:
                c.execute("SELECT count(*) FROM clients").fetchone()
                ok += 1
                time.sleep(0.1)
        except psycopg.Error:
            refused += 1
            time.sleep(0.1)
    print(ok, refused)
""")


def test_swap_succeeds_while_the_app_keeps_reconnecting(live, archive, backup_dir, tmp_path):
    at_backup_rows = None
    settings = settings_for(live, backup_dir)
    plan = preflight(settings, archive)
    at_backup_rows = plan.rows
    stop = tmp_path / "stop"
    url = live.url.split("?")[0]
    app = subprocess.Popen(
        [sys.executable, "-c", RECONNECTER, url, str(stop)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        time.sleep(0.5)
        outcome = execute(settings, plan, confirm=live.name)
        time.sleep(0.5)
    finally:
        stop.touch()
        out, _ = app.communicate(timeout=30)
    ok, _refused = map(int, out.split())
    assert ok >= 3  # it really was connected before and after the swap
    assert outcome.rows == at_backup_rows
    assert content(live.server, live.name)["payments"][0] == at_backup_rows["public.payments"]


def test_plan_warns_when_the_backup_holds_far_fewer_rows_than_live(app_db, backup_dir):
    """A backup taken after an incident would make the loss final: the plan says so, not blocking."""
    incident = make_app_db(app_db.server)  # what was left of the data when the backup ran
    try:
        fill(incident, clients=10, appointments=20)
        small = take_backup(incident, backup_dir)
    finally:
        drop_app_db(app_db.server, incident.name)
    fill(app_db, clients=300, appointments=1000)
    settings = settings_for(app_db, backup_dir)
    plan = preflight(settings, small)
    held = sum(plan.rows.values())
    live = sum(int(app_db.sql(f"SELECT count(*) FROM {qualified(t)}")[0][0]) for t in plan.rows)
    assert held * 2 < live
    [rows] = [c for c in plan.checks if c.name == "rows"]
    assert (rows.word, rows.detail) == ("WARN", f"this backup holds {held:,} rows; the live database about {live:,}")
    assert plan.ok  # a warning, not a refusal
    other = backup_dir.parent / "backups-equal"  # its own volume: two backups in one second share a name
    other.mkdir()
    equal = preflight(settings_for(app_db, other), take_backup(app_db, other))
    assert [c.word for c in equal.checks if c.name == "rows"] == ["NOTE"]
