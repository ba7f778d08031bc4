"""Shared fixtures: real PostgreSQL servers (embedded 18, Debian's 15), CitaPlanner databases.

Servers are session-scoped and always stopped; every database a test makes is dropped
after it; temp folders come from pytest's tmp_path machinery or are removed here.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from citaplanner_tui.core.pg.conninfo import ConnInfo, parse
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.demo.server import LocalServer
from citaplanner_tui.core.app.schema import apply_schema

APP_ROLE = "citaplanner"
# A password with every character the old sed parser choked on.
APP_PASSWORD = "s3cr@t:pw/9?x"
PG15_BINDIR = Path("/usr/lib/postgresql/15/bin")
_counter = itertools.count(1)


def _start(bindir: Path | None) -> tuple[LocalServer, str]:
    root = tempfile.mkdtemp(prefix="cpt-test-pg-")
    server = LocalServer(Path(root) / "data", bindir=bindir, fast=True).start()
    server.create_role(APP_ROLE, APP_PASSWORD, createdb=True)
    return server, root


@pytest.fixture(scope="session")
def pg():
    """The embedded PostgreSQL 18 server, with the app role."""
    server, root = _start(None)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg15():
    """Debian's PostgreSQL 15 server (installed by .ci/run), for cross-version tests."""
    server, root = _start(PG15_BINDIR)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class AppDB:
    """A CitaPlanner database on a test server, reachable as the app role by URL."""

    server: LocalServer
    name: str
    url: str

    @property
    def info(self) -> ConnInfo:
        return parse(self.url)

    def admin(self) -> ConnInfo:
        return self.server.admin(self.name)

    def sql(self, statement: str) -> list[tuple]:
        return self.server.sql(statement, self.name)


def make_app_db(server: LocalServer, *, schema: bool = True) -> AppDB:
    name = f"citaplanner_t{next(_counter)}"
    server.create_database(name, owner=APP_ROLE)
    db = AppDB(server, name, server.url(name, APP_ROLE, APP_PASSWORD, schema="public"))
    if schema:
        with connect(db.info) as conn:
            apply_schema(conn)
    return db


def drop_app_db(server: LocalServer, name: str) -> None:
    """Drop a test database and any scratch databases derived from its name."""
    rows = server.sql("SELECT datname FROM pg_database WHERE datname = %s OR starts_with(datname, %s)",
                      params=(name, name + "__"))
    for (dbname,) in rows:
        server.sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture
def app_db(pg):
    """A fresh, empty CitaPlanner database (schema, no rows) on PostgreSQL 18."""
    db = make_app_db(pg)
    yield db
    drop_app_db(pg, db.name)


@pytest.fixture
def app_db15(pg15):
    """A fresh, empty CitaPlanner database on PostgreSQL 15."""
    db = make_app_db(pg15)
    yield db
    drop_app_db(pg15, db.name)


@pytest.fixture
def backup_dir(tmp_path):
    """An empty backup volume folder."""
    path = tmp_path / "backups"
    path.mkdir()
    return path
