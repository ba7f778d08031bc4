"""Helpers shared by the restore and drill tests: demo data, archives, content hashes."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path


from citaplanner_tui.core.app.schema import TABLES
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.restore.swap import PAUSE_ENV
from citaplanner_tui.demo.data import generate
from tests.support.backup import REPO, cli_env

TODAY = date(2026, 1, 15)


def fill(db, *, seed: int = 42, clients: int = 60, appointments: int = 200) -> None:
    with connect(db.info) as conn:
        generate(conn, tenants=1, clients=clients, appointments=appointments, seed=seed, today=TODAY)


def settings_for(db, backup_dir: Path, **extra) -> Settings:
    return Settings(database_url=db.url, backup_dir=Path(backup_dir), **extra)


def take_backup(db, backup_dir: Path, *, tier: str = "manual", now: datetime | None = None) -> Path:
    from citaplanner_tui.core.backup import run_backup

    return run_backup(settings_for(db, backup_dir), tier=tier, now=now).files[0]


def content(server, dbname: str) -> dict[str, tuple[int, str]]:
    """Per table: (rows, md5 of all rows in a fixed order): equal means identical content."""
    out = {}
    for table in TABLES:
        out[table] = server.sql(
            f"SELECT count(*), md5(COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
            f'FROM public."{table}" t',
            dbname,
        )[0]
    return out


def databases(server, prefix: str) -> list[str]:
    return [
        r[0]
        for r in server.sql(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY 1", params=(prefix,)
        )
    ]


def rewrite_archive(path: Path, data: bytes) -> None:
    """Replace the archive's content and its sidecar, so only the content is wrong."""
    path.write_bytes(data)
    path.with_name(path.name + ".sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")


def insert_into_dump(archive: Path, at: bytes, sql: bytes) -> None:
    """Put ``sql`` into the dump just before ``at`` (sidecar updated: only the content is wrong)."""
    dump = gzip.decompress(archive.read_bytes())
    cut = dump.index(at)
    rewrite_archive(archive, gzip.compress(dump[:cut] + sql + dump[cut:]))


def wait_for(condition, what: str, timeout: float = 60.0):
    """Poll ``condition`` until it returns something true (returned), or fail saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.02)
    return found


def held_cli(db, backup_dir: Path, pause: Path, phase: str, *argv: str) -> subprocess.Popen:
    """The CLI running ``argv``, stopped at the engine's pause point ``phase`` (asserted, never assumed)."""
    pause.mkdir()
    env = cli_env(db.url, backup_dir, **{PAUSE_ENV: f"{phase}:{pause}"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "citaplanner_tui", *argv],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: (pause / f"{phase}.reached").exists() or proc.poll() is not None, f"the {phase} point")
        assert proc.poll() is None, proc.communicate()
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc
