"""Test databases: the app role, CitaPlanner databases made and dropped on a real server.

One module, imported as ``tests.support.db`` by conftest and tests alike, so there is one
name counter and no two databases of a session share a name.
"""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path

from citaplanner_tui.core.app.schema import apply_schema
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.pg.conninfo import ConnInfo, parse
from citaplanner_tui.demo.server import LocalServer

APP_ROLE = "citaplanner"
# A password with every character the old sed parser choked on.
APP_PASSWORD = "s3cr@t:pw/9?x"
PG15_BINDIR = Path("/usr/lib/postgresql/15/bin")
_counter = itertools.count(1)


def start_server(bindir: Path | None) -> tuple[LocalServer, str]:
    root = tempfile.mkdtemp(prefix="cpt-test-pg-")
    server = LocalServer(Path(root) / "data", bindir=bindir, fast=True).start()
    server.create_role(APP_ROLE, APP_PASSWORD, createdb=True)
    return server, root


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
    rows = server.sql(
        "SELECT datname FROM pg_database WHERE datname = %s OR starts_with(datname, %s)", params=(name, name + "__")
    )
    for (dbname,) in rows:
        server.sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
