"""Encrypted backups end to end on a real server: backup, verify, restore, drill, by hand.

The identity is Debian's ``age-keygen``'s; the hand restore is ``age -d | gunzip | psql``
(the standard-tools proof), and every bad key or file is one sentence with the live
database untouched.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess

import pytest

from citaplanner_tui.core.backup import run_backup
from citaplanner_tui.core.pg import tools as pgtools
from citaplanner_tui.core.settings import Encryption
from citaplanner_tui.core.verify import verify
from citaplanner_tui.core.volume import catalog, manifest
from tests.support.age import keygen, needs_age
from tests.support.backup import cli, cli_env, kill_9_mid_dump
from tests.support.backup import fill as fill_big
from tests.support.db import APP_PASSWORD, APP_ROLE
from tests.support.restore import content, databases, fill, settings_for

pytestmark = needs_age


@pytest.fixture
def key(tmp_path):
    return keygen(tmp_path / "keys")


def _settings(db, backup_dir, key, **extra):
    return settings_for(db, backup_dir, encryption=Encryption((key.recipient,)), **extra)


def _config(tmp_path, key) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[encryption]\nage_recipients = ["{key.recipient}"]\n')
    return str(path)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _psql(db) -> str:
    return pgtools.choose(18, None).path("psql")


@pytest.mark.parametrize("fmt", ["gzip", "zstd"])
def test_encrypted_backup_verifies_and_restores_the_same_rows(app_db, backup_dir, tmp_path, key, fmt, monkeypatch):
    fill(app_db)
    monkeypatch.delenv("CITAPLANNER_TUI_AGE_IDENTITY", raising=False)
    result = run_backup(_settings(app_db, backup_dir, key, compression=fmt), tier="manual")
    (archive,) = result.files
    assert archive.name.endswith(".sql.gz.age" if fmt == "gzip" else ".sql.zst.age")
    # The sidecar hashes the encrypted file (checkable without the key); the manifest also
    # records the compressed dump inside, which is what age -d prints.
    side = catalog.read_sidecar(archive.with_name(archive.name + ".sha256"))
    assert side == (_sha(archive), archive.name) and result.sha256 == side[0]
    inner = subprocess.run(["age", "-d", "-i", str(key.identity), str(archive)], capture_output=True, check=True)
    facts = manifest.read(archive)
    assert facts.sha256 == side[0] and facts.size == archive.stat().st_size
    assert facts.encryption.recipients == (key.recipient,)
    assert facts.encryption.plain_sha256 == hashlib.sha256(inner.stdout).hexdigest()
    assert facts.encryption.plain_size == len(inner.stdout)
    assert b"COPY public.clients" not in archive.read_bytes() and b"Cliente" not in archive.read_bytes()
    entry = catalog.entry_for(archive, _settings(app_db, backup_dir, key))
    assert entry.state is catalog.State.OK and entry.name.encrypted and entry.name.compression == fmt

    quick = verify(_settings(app_db, backup_dir, key))  # no key needed
    assert [(r.ok, r.detail) for r in quick] == [(True, "checksum matches its sidecar")]
    monkeypatch.setenv("CITAPLANNER_TUI_AGE_IDENTITY", str(key.identity))
    (deep,) = verify(_settings(app_db, backup_dir, key), deep=True)
    assert deep.ok and deep.dump.complete and sum(deep.dump.rows.values()) > 0

    at_backup = content(app_db.server, app_db.name)
    app_db.sql("DELETE FROM appointments")
    env = cli_env(app_db.url, backup_dir, CITAPLANNER_TUI_CONFIG=_config(tmp_path, key))
    env.pop("CITAPLANNER_TUI_AGE_IDENTITY", None)
    done = cli("restore", str(archive), "--confirm", app_db.name, "--age-identity", str(key.identity), env=env)
    assert done.returncode == 0, done.stderr
    assert content(app_db.server, app_db.name) == at_backup
    safety = sorted((backup_dir / "safety").iterdir())
    assert any(p.name.endswith(".age") for p in safety)  # the safety backup is encrypted too
    drilled = cli("drill", str(archive), "--json", env={**env, "CITAPLANNER_TUI_AGE_IDENTITY": str(key.identity)})
    assert drilled.returncode == 0, drilled.stderr
    assert json.loads(drilled.stdout)["differences"] == {}
    secret = key.identity.read_text().splitlines()[-1]
    for out in (done.stdout, done.stderr, drilled.stdout, drilled.stderr):
        assert secret not in out
    for log in (backup_dir / "logs").iterdir():
        assert secret not in log.read_text() and APP_PASSWORD not in log.read_text()


@pytest.mark.parametrize("fmt", ["gzip", "zstd"])
def test_standard_tools_alone_restore_one_by_hand(app_db, backup_dir, key, fmt):
    """age -d -i KEY FILE | gunzip | psql: no citaplanner-tui involved."""
    fill(app_db)
    (archive,) = run_backup(_settings(app_db, backup_dir, key, compression=fmt), tier="manual").files
    check = subprocess.run(
        ["sha256sum", "-c", archive.name + ".sha256"], cwd=archive.parent, capture_output=True, text=True
    )
    assert check.returncode == 0 and ": OK" in check.stdout
    fresh = app_db.name + "_by_hand"
    app_db.server.create_database(fresh, owner=APP_ROLE)
    try:
        unpack = "gunzip -c" if fmt == "gzip" else "zstd -dc"
        pipeline = (
            f'age -d -i "{key.identity}" "{archive}" | {unpack} | '
            f'"{_psql(app_db)}" -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$TARGET"'
        )
        env = {**os.environ, "TARGET": app_db.server.url(fresh, APP_ROLE, APP_PASSWORD)}
        done = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert content(app_db.server, fresh) == content(app_db.server, app_db.name)
    finally:
        app_db.server.sql(f'DROP DATABASE IF EXISTS "{fresh}"')


def test_an_age_r_file_of_a_real_dump_is_read_by_our_restore(app_db, backup_dir, key, tmp_path):
    """A backup encrypted by hand with ``age -r`` (say, before an upload) restores like ours."""
    fill(app_db)
    (plain,) = run_backup(settings_for(app_db, backup_dir), tier="manual").files
    theirs = plain.with_name(plain.name + ".age")
    subprocess.run(["age", "-r", key.recipient, "-o", str(theirs), str(plain)], check=True)
    theirs.with_name(theirs.name + ".sha256").write_text(f"{_sha(theirs)}  {theirs.name}\n")
    plain.unlink()
    plain.with_name(plain.name + ".sha256").unlink()
    at_backup = content(app_db.server, app_db.name)
    app_db.sql("DELETE FROM payments")
    env = cli_env(app_db.url, backup_dir, CITAPLANNER_TUI_AGE_IDENTITY=str(key.identity))
    done = cli("restore", str(theirs), "--confirm", app_db.name, env=env)
    assert done.returncode == 0, done.stderr
    assert content(app_db.server, app_db.name) == at_backup


def _bad_identities(tmp_path, key):
    other = keygen(tmp_path / "other")
    not_identity = tmp_path / "notes.txt"
    not_identity.write_text("# my keys\nage1notakeyjustnotes\n")
    return {
        "missing": (None, "--age-identity FILE or CITAPLANNER_TUI_AGE_IDENTITY"),
        "wrong": (str(other.identity), "cannot be decrypted with the age identity file"),
        "unreadable": (str(tmp_path / "no-such-key.txt"), "cannot read the age identity file"),
        "folder": (str(tmp_path), "cannot read the age identity file"),
        "not an identity": (str(not_identity), "is not an age X25519 identity"),
    }


def test_every_bad_identity_is_one_sentence_and_touches_nothing(app_db, backup_dir, key, tmp_path):
    fill(app_db)
    (archive,) = run_backup(_settings(app_db, backup_dir, key), tier="daily").files
    app_db.sql("DELETE FROM appointments")
    live = content(app_db.server, app_db.name)
    for label, (identity, said) in _bad_identities(tmp_path, key).items():
        env = cli_env(app_db.url, backup_dir, CITAPLANNER_TUI_CONFIG=_config(tmp_path, key))
        env.pop("CITAPLANNER_TUI_AGE_IDENTITY", None)
        if identity:
            env["CITAPLANNER_TUI_AGE_IDENTITY"] = identity
        for argv in (
            ("restore", str(archive), "--confirm", app_db.name),
            ("drill", str(archive)),
            ("drill",),
            ("verify", "--deep", str(archive)),
        ):
            done = cli(*argv, env=env)
            assert done.returncode == 1, (label, argv, done.stdout, done.stderr)
            text = (done.stderr + done.stdout).strip()
            assert said in text and "Traceback" not in text, (label, argv, text)
            if argv[0] != "verify":
                assert len(done.stderr.strip().splitlines()) == 1 and not done.stdout, (label, argv, done.stderr)
        assert content(app_db.server, app_db.name) == live, label
        assert databases(app_db.server, app_db.name + "_") == [], label  # no scratch or parked database
        assert not (backup_dir / "safety").exists(), label
    # Nothing recorded against the backup: a missing or wrong key says nothing of its health.
    entry = catalog.entry_for(archive, _settings(app_db, backup_dir, key))
    assert (entry.deep_ok, entry.drill_ok, entry.state) == (None, None, catalog.State.OK)
    plain = cli("verify", str(archive), env=cli_env(app_db.url, backup_dir))  # the quick check needs no key
    assert plain.returncode == 0, plain.stdout


def test_a_truncated_or_altered_encrypted_backup_is_refused_before_the_live_database(
    app_db, backup_dir, key, monkeypatch
):
    monkeypatch.setenv("CITAPLANNER_TUI_AGE_IDENTITY", str(key.identity))
    fill(app_db)
    (archive,) = run_backup(_settings(app_db, backup_dir, key), tier="manual").files
    app_db.sql("DELETE FROM clients WHERE id > 'cli5'")
    live = content(app_db.server, app_db.name)
    env = cli_env(app_db.url, backup_dir, CITAPLANNER_TUI_AGE_IDENTITY=str(key.identity))
    original = archive.read_bytes()
    sidecar = archive.with_name(archive.name + ".sha256")
    for label, damaged in (
        ("truncated", original[: len(original) - 700]),
        ("altered", original[:-300] + bytes([original[-300] ^ 1]) + original[-299:]),
    ):
        archive.write_bytes(damaged)
        for honest_sidecar in (False, True):  # the sidecar catches it; so does age's own MAC when it was redone
            if honest_sidecar:
                sidecar.write_text(f"{_sha(archive)}  {archive.name}\n")
            done = cli("restore", str(archive), "--confirm", app_db.name, env=env)
            assert done.returncode == 1, (label, done.stdout)
            assert "nothing" in done.stderr or "refused" in done.stderr or "FAIL" in done.stderr, done.stderr
            assert "Traceback" not in done.stderr
            assert content(app_db.server, app_db.name) == live
            (deep,) = verify(_settings(app_db, backup_dir, key), [archive], deep=True)
            assert not deep.ok and deep.deep_ok is False or deep.checksum_ok is False, deep
            if honest_sidecar:  # mid-chunk, a cut and an alteration look alike to the MAC, and say so
                assert deep.deep_problem == "corrupt" and "cut short or altered" in deep.deep_detail, deep
        archive.write_bytes(original)
        sidecar.write_text(f"{_sha(archive)}  {archive.name}\n")
    gzip.decompress(subprocess.run(["age", "-d", "-i", str(key.identity), str(archive)], capture_output=True).stdout)


def test_a_recipient_that_is_not_an_age_key_stops_every_command(app_db, backup_dir, tmp_path, key):
    config = tmp_path / "bad.toml"
    secret = key.identity.read_text().splitlines()[-1]
    for value, said in (
        ("age1notarealkey", "is not an age recipient"),
        (secret, "is an age secret key, not a recipient"),
    ):
        config.write_text(f'[encryption]\nage_recipients = ["{key.recipient}", "{value}"]\n')
        env = cli_env(app_db.url, backup_dir, CITAPLANNER_TUI_CONFIG=str(config))
        done = cli("backup", env=env)
        assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert said in done.stderr and "entry 2" in done.stderr and secret not in done.stderr
        assert not any((backup_dir / t).exists() for t in ("daily", "manual"))
    config.write_text('[encryption]\nage_recipients = "age1..."\n')
    done = cli("status", env=cli_env(app_db.url, backup_dir, CITAPLANNER_TUI_CONFIG=str(config)))
    assert done.returncode == 1 and "must be a list of strings" in done.stderr


def test_kill_9_mid_encrypted_dump_leaves_only_a_partial_the_next_run_removes(app_db, backup_dir, key, tmp_path):
    fill_big(app_db, big=True)
    env = cli_env(app_db.url, backup_dir, CITAPLANNER_TUI_CONFIG=_config(tmp_path, key))
    kill_9_mid_dump(env, backup_dir)
    (left,) = (backup_dir / "daily").iterdir()
    assert left.name.endswith(".sql.gz.age.partial")
    assert [e.state for e in catalog.scan(backup_dir)] == [catalog.State.PARTIAL]

    again = cli("backup", "--tier", "daily", env=env)
    assert again.returncode == 0, again.stderr
    names = sorted(p.name for p in (backup_dir / "daily").iterdir())
    assert not [n for n in names if n.endswith(".partial")] and len([n for n in names if n.endswith(".age")]) == 1
    (good,) = [e for e in catalog.scan(backup_dir) if e.is_dump]
    assert good.state is catalog.State.OK
    opened = subprocess.run(["age", "-d", "-i", str(key.identity), str(good.path)], capture_output=True, check=True)
    assert b"PostgreSQL database dump complete" in gzip.decompress(opened.stdout)
