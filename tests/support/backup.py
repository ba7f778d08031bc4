"""Helpers shared by the backup tests: CitaPlanner rows, settings, and pg_dump stepping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from citaplanner_tui.core.app.schema import TABLES
from citaplanner_tui.core.settings import Retention, Settings

REPO = Path(__file__).resolve().parents[2]
FREE_RUN = 512 * 1024  # pg_dump output let through at full speed before stepping

# A few hundred rows across the CitaPlanner tables, with text that needs COPY escaping.
FILL_SQL = """
INSERT INTO tenants (id, name, subdomain, "updatedAt")
  SELECT 'ten' || g, 'Salón ' || g, 'sub' || g, now() FROM generate_series(1, 3) g;
INSERT INTO branches (id, name, "tenantId", "updatedAt")
  SELECT 'br' || g, 'Sucursal ' || g, 'ten' || (1 + g % 3), now() FROM generate_series(1, 6) g;
INSERT INTO users (id, email, "firstName", "lastName", role, "tenantId", "branchId", "updatedAt")
  SELECT 'usr' || g, 'u' || g || '@example.mx', 'Nombre' || g, 'Apellido', 'PROFESSIONAL',
         'ten' || (1 + g % 3), 'br' || (1 + g % 6), now() FROM generate_series(1, 30) g;
INSERT INTO service_categories (id, name, "tenantId", "updatedAt")
  SELECT 'cat' || g, 'Categoría ' || g, 'ten1', now() FROM generate_series(1, 4) g;
INSERT INTO services (id, name, duration, price, "tenantId", "categoryId", "updatedAt")
  SELECT 'svc' || g, 'Servicio ' || g, 30 + g, 99.5 * g, 'ten1', 'cat' || (1 + g % 4), now()
  FROM generate_series(1, 12) g;
INSERT INTO service_users (id, "serviceId", "userId", commission)
  SELECT 'su' || g, 'svc' || (1 + g % 12), 'usr' || g, 0.1 FROM generate_series(1, 30) g;
INSERT INTO clients (id, "firstName", "lastName", phone, email, notes, "tenantId", "updatedAt")
  SELECT 'cli' || g, 'Cliente', 'Núñez ' || g, '55' || lpad(g::text, 8, '0'), 'c' || g || '@x.mx',
         E'tab\\there\\nnew line \\\\ backslash ' || g, 'ten' || (1 + g % 3), now()
  FROM generate_series(1, 300) g;
INSERT INTO working_hours (id, "dayOfWeek", "startTime", "endTime", "branchId", "updatedAt")
  SELECT 'wh' || g, g % 7, '09:00', '18:00', 'br' || (1 + g % 6), now() FROM generate_series(1, 42) g;
INSERT INTO appointments (id, "startTime", "endTime", status, notes, "tenantId", "branchId",
                          "clientId", "serviceId", "userId", "updatedAt")
  SELECT 'apt' || g, now() + g * interval '1 hour', now() + g * interval '1 hour' + interval '45 min',
         'COMPLETED', 'nota ' || g, 'ten1', 'br1', 'cli' || (1 + g % 300), 'svc' || (1 + g % 12),
         'usr' || (1 + g % 30), now() FROM generate_series(1, 400) g;
INSERT INTO payments (id, amount, "paymentMethod", "tenantId", "branchId", "clientId", "appointmentId",
                      "userId", "updatedAt")
  SELECT 'pay' || g, 450 + g, 'CASH', 'ten1', 'br1', 'cli' || (1 + g % 300), 'apt' || g,
         'usr' || (1 + g % 30), now() FROM generate_series(1, 250) g;
INSERT INTO notification_templates (id, name, type, channel, message, "tenantId", "updatedAt")
  SELECT 'nt' || g, 'Plantilla ' || g, 'EMAIL', 'EMAIL', 'Hola {{cliente}}', 'ten1', now()
  FROM generate_series(1, 5) g;
INSERT INTO master_admin_config (password_hash, updated_at) VALUES ('$2b$10$hash', now());
"""

# About 8 MiB of SQL that deflates only to half (hex): long enough to catch a dump mid-way.
BIG_SQL = """
INSERT INTO appointments (id, "startTime", "endTime", notes, "tenantId", "branchId",
                          "clientId", "serviceId", "userId", "updatedAt")
  SELECT 'big' || g, now(), now(),
         md5(g || 'a') || md5(g || 'b') || md5(g || 'c') || md5(g || 'd') || md5(g || 'e') || md5(g || 'f'),
         'ten1', 'br1', 'cli1', 'svc1', 'usr1', now() FROM generate_series(1, 24000) g;
"""


def fill(db, big: bool = False) -> None:
    db.sql(FILL_SQL)
    if big:
        db.sql(BIG_SQL)


def row_counts(server, dbname: str) -> dict[str, int]:
    return {t: server.sql(f'SELECT count(*) FROM "{t}"', dbname)[0][0] for t in TABLES}


def settings_for(db, backup_dir: Path, **kw) -> Settings:
    kw.setdefault("retention", Retention())
    return Settings(database_url=db.url, backup_dir=Path(backup_dir), **kw)


def cli_env(db_url: str, backup_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a CLI run: the URL (with its password) only in the environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PG", "DATABASE_URL", "BACKUP_DIR", "CITAPLANNER_TUI_CONFIG"))
    }
    # No config file: the default path, under a config home that does not exist (a named
    # CITAPLANNER_TUI_CONFIG must exist).
    env.update(
        DATABASE_URL=db_url,
        BACKUP_DIR=str(backup_dir),
        XDG_CONFIG_HOME=str(Path(backup_dir).parent / "no-config"),
        **extra,
    )
    return env


def cli(*args: str, env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "citaplanner_tui", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=90,
        **kw,
    )


def children_named(parent: int, comm: str, *args: str) -> list[int]:
    """Pids of ``parent``'s children named ``comm`` whose argv holds ``args`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == parent and name == comm and all(a in _argv(entry) for a in args):
            found.append(int(entry))
    return found


def _argv(pid) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def freeze_pg_dump_mid_stream(parent: int, partial_glob, deadline: float = 60.0) -> int:
    """Find ``parent``'s pg_dump, let it run until its output has begun (well before the
    end of a dump of several MiB), then in short steps until the compressed file on disk
    has bytes; return its pid, stopped (SIGSTOP).  Steps keep it deterministic whatever
    the machine's speed."""
    end = time.monotonic() + deadline
    pid = None
    while pid is None:
        if time.monotonic() > end:
            raise AssertionError("pg_dump never started")
        pids = children_named(parent, "pg_dump", "--format=plain")  # not `pg_dump --version`
        if pids:
            pid = pids[0]
    while _written(pid) < FREE_RUN and alive(pid):  # the catalog queries run at full speed
        if time.monotonic() > end:
            raise AssertionError("pg_dump never wrote its output")
        time.sleep(0.001)
    os.kill(pid, signal.SIGSTOP)
    while True:
        files = list(partial_glob())
        if files and files[0].stat().st_size > 0:
            return pid
        if time.monotonic() > end or not alive(pid):
            raise AssertionError("the dump finished before it could be caught mid-stream")
        try:
            os.kill(pid, signal.SIGCONT)
            time.sleep(0.001)
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            raise AssertionError("the dump finished before it could be caught mid-stream") from None
        time.sleep(0.05)  # let our reader drain and compress what pg_dump wrote


def _written(pid: int) -> int:
    """Bytes ``pid`` has written so far (its output, plus a little for its queries)."""
    try:
        text = Path(f"/proc/{pid}/io").read_text()
    except OSError:
        return 0
    return int(text.split("wchar:")[1].split()[0])


def wait_gone(pid: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"process {pid} did not exit")
        time.sleep(0.02)


def kill_9_mid_dump(env: dict[str, str], backup_dir: Path) -> None:
    """``citaplanner-tui backup --tier daily`` killed with SIGKILL while its pg_dump is caught
    mid-stream (``freeze_pg_dump_mid_stream``); its pg_dump is then let go, and dies."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "citaplanner_tui", "backup", "--tier", "daily"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pg_dump = freeze_pg_dump_mid_stream(proc.pid, lambda: (backup_dir / "daily").glob("*.partial"))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        os.kill(pg_dump, signal.SIGCONT)  # it writes into a pipe nobody reads, and dies
        wait_gone(pg_dump)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
