"""RECOVERY.md: generated from the real settings, no secret in it, and its steps work as printed.

The test runs the page's own shell blocks (sha256sum, age, createdb, gunzip/zstd, psql)
against a real backup and compares the restored database with the live one.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote

import pytest

from citaplanner_tui.core import recovery_doc
from citaplanner_tui.core.backup import run_backup
from citaplanner_tui.core.offsite.targets import Target
from citaplanner_tui.core.pg import tools as pgtools
from citaplanner_tui.core.settings import BackupOptions, Encryption
from tests.support.age import keygen, needs_age
from tests.support.backup import cli, cli_env
from tests.support.db import APP_PASSWORD
from tests.support.restore import content, fill, settings_for

pytestmark = needs_age


def _blocks(page: str) -> list[str]:
    return [b.replace("\n   ", "\n").strip() for b in re.findall(r"```sh\n(.*?)```", page, re.S)]


@pytest.mark.parametrize("fmt, encrypted", [("gzip", True), ("zstd", False)])
def test_its_steps_restore_a_real_backup_and_it_holds_no_secret(app_db, backup_dir, tmp_path, fmt, encrypted):
    fill(app_db)
    key = keygen(tmp_path / "keys")
    extra = {"encryption": Encryption((key.recipient,))} if encrypted else {}
    settings = settings_for(app_db, backup_dir, compression=fmt, backup=BackupOptions(with_globals=True), **extra)
    (archive,) = run_backup(settings, tier="daily").files
    roles = archive.with_name(archive.name + (".globals.sql.age" if encrypted else ".globals.sql"))
    if encrypted:  # the roles are as private as the data: encrypted too, readable by age alone
        opened = subprocess.run(["age", "-d", "-i", str(key.identity), str(roles)], capture_output=True, check=True)
        assert b"CREATE ROLE" in opened.stdout and b"CREATE ROLE" not in roles.read_bytes()
    else:
        assert b"CREATE ROLE" in roles.read_bytes()
    page_path = backup_dir / "RECOVERY.md"
    page = page_path.read_text()
    assert stat.S_IMODE(page_path.stat().st_mode) == 0o600
    secret = key.identity.read_text().strip().splitlines()[-1]
    for hidden in (APP_PASSWORD, quote(APP_PASSWORD, safe=""), secret, str(key.identity)):
        assert hidden not in page
    assert archive.name in page and app_db.name in page and (key.recipient in page) == encrypted
    assert ("age -d -i" in page) == encrypted

    script = "\n".join(_blocks(page)).replace(recovery_doc.IDENTITY_PLACEHOLDER, str(key.identity))
    assert (
        "sha256sum -c" in script and "createdb" in script and ("zstd -dc" if fmt == "zstd" else "gunzip -c") in script
    )
    bindir = pgtools.choose(18, None).bindir
    env = {**os.environ, "PGPASSWORD": APP_PASSWORD, "PATH": f"{bindir}:{os.environ['PATH']}"}
    restored = app_db.name + "_restored"
    try:
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script], env=env, capture_output=True, text=True, timeout=90
        )
        assert done.returncode == 0, done.stderr
        assert f"{archive.name}: OK" in done.stdout
        assert content(app_db.server, restored) == content(app_db.server, app_db.name)
    finally:
        app_db.server.sql(f'DROP DATABASE IF EXISTS "{restored}"')


def test_where_copies_live_names_each_offsite_target_without_its_keys(backup_dir, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t-never-shown")
    target = Target(
        "primary", "backups", "prod", "https://s3.example.com", object_lock_days=30, secret_access_key_file=secret
    )
    db = type("DB", (), {"url": "postgresql://u:hunter2@db.example:6543/shop"})
    settings = replace(settings_for(db, backup_dir), offsite=(target,))
    page = recovery_doc.render(settings)
    section = page[page.index("## Where copies live") : page.index("## Steps")]
    assert "This volume" in section and "`s3://backups/prod` (off-site target `primary`" in section
    assert "aws s3 cp --endpoint-url https://s3.example.com s3://backups/prod/daily/FILE ." in section
    assert "locked for 30 days" in section
    assert "s3cr3t" not in page and str(secret) not in page
    assert "hunter2" not in page and '-h "db.example" -p 6543 -U "u"' in page and '"shop_restored"' in page
    # No backup on the volume yet: the steps name the file the next backup will have.
    assert re.search(r"citaplanner_daily_\d{8}_\d{6}\.sql\.gz\b", page)


def test_the_command_writes_prints_and_respects_read_only(backup_dir):
    env = cli_env("postgresql://u:hunter2@db.example/shop", backup_dir)
    printed = cli("recovery-doc", "--print", env=env)
    assert printed.returncode == 0 and printed.stdout.startswith("# Recovering") and "hunter2" not in printed.stdout
    assert not (backup_dir / "RECOVERY.md").exists()
    refused = cli("recovery-doc", "--read-only", env=env)
    assert refused.returncode == 1 and "read-only" in refused.stderr and not (backup_dir / "RECOVERY.md").exists()
    wrote = cli("recovery-doc", env=env)
    assert wrote.returncode == 0, wrote.stderr
    assert (backup_dir / "RECOVERY.md").read_text().startswith("# Recovering")


def test_the_page_speaks_the_environments_or_the_configs_language_and_keeps_its_commands(
    backup_dir, tmp_path, monkeypatch
):
    """Spanish prose under ``CITAPLANNER_TUI_LANG=es`` or ``lang = "es"``, with exactly the English page's commands."""
    target = Target("primary", "backups", "prod", "https://s3.example.com", object_lock_days=30)
    db = type("DB", (), {"url": "postgresql://u:hunter2@db.example:6543/shop"})
    settings = replace(
        settings_for(db, backup_dir),
        offsite=(target,),
        backup=BackupOptions(with_globals=True),
        encryption=Encryption(age_recipients=(keygen(tmp_path / "key").recipient,)),
    )
    now = datetime(2026, 11, 1, 2, 0)
    english = recovery_doc.render(settings, now=now, lang="en")
    spanish = recovery_doc.render(settings, now=now, lang="es")
    assert english.startswith("# Recovering CitaPlanner's database") and "## Steps" in english
    assert spanish.startswith("# Recuperar la base de datos de CitaPlanner") and "## Pasos" in spanish
    assert "destino externo `primary`" in spanish and "cada objeto bloqueado 30 días" in spanish
    assert _blocks(spanish) == _blocks(english) and len(_blocks(english)) == 6

    def inline(page: str) -> list[str]:  # the paths, names and commands quoted in the prose
        return sorted(re.findall(r"`([^`\n]+)`", re.sub(r"```sh\n.*?```", "", page, flags=re.S)))

    assert inline(spanish) == inline(english) and f"ls -l {backup_dir}/*/" in inline(english)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "CITAPLANNER_TUI_LANG"):
        monkeypatch.delenv(name, raising=False)
    assert recovery_doc.render(settings, now=now) == english
    assert recovery_doc.render(replace(settings, lang="es"), now=now) == spanish
    monkeypatch.setenv("CITAPLANNER_TUI_LANG", "es")
    assert recovery_doc.render(settings, now=now) == spanish
    monkeypatch.setenv("LANG", "es_MX.UTF-8")
    monkeypatch.setenv("CITAPLANNER_TUI_LANG", "en")
    assert recovery_doc.render(replace(settings, lang="es"), now=now) == english
