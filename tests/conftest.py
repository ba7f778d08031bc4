"""Shared fixtures: real PostgreSQL servers (embedded 18, Debian's 15), CitaPlanner databases.

Servers are session-scoped and always stopped; every database a test makes is dropped
after it; temp folders come from pytest's tmp_path machinery or are removed here.  The
helpers behind them live in ``tests.support.db``: tests import them from there, never
from this file (pytest imports it as ``conftest``, so an import as ``tests.conftest``
would be a second copy).
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.support.db import PG15_BINDIR, drop_app_db, make_app_db, start_server

# The tests read the English messages whatever the machine's locale says (an es_MX.UTF-8
# would switch the CLI they run to Spanish); tests/test_i18n_*.py choose a language themselves.
os.environ["CITAPLANNER_TUI_LANG"] = "en"


@pytest.fixture(scope="session")
def pg():
    """The embedded PostgreSQL 18 server, with the app role."""
    server, root = start_server(None)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg15():
    """Debian's PostgreSQL 15 server (installed by .ci/run), for cross-version tests."""
    server, root = start_server(PG15_BINDIR)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


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
