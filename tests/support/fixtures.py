"""Every shared fixture, registered once by ``tests/conftest.py`` (``pytest_plugins``).

Test modules take these by parameter name and never import them: an imported fixture is
a redefinition to pyflakes and a second route to the same object.  The servers are
session-scoped and always stopped; every database a test makes is dropped after it;
temp folders come from pytest's tmp_path machinery or are removed here.  The helpers
behind them live in ``tests.support.db`` and ``tests.support.sample``.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile

import pytest

from tests.support.db import PG15_BINDIR, drop_app_db, make_app_db, start_server
from tests.support.s3 import start_server as start_s3
from tests.support.sample import SAMPLE_NOW, make_sample_volume


def _serve(bindir):
    """A started server for the session, stopped and its folder removed at the end."""
    server, root = start_server(bindir)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg():
    """The embedded PostgreSQL 18 server, with the app role."""
    yield from _serve(None)


@pytest.fixture(scope="session")
def pg15():
    """Debian's PostgreSQL 15 server (installed by .ci/run), for cross-version tests."""
    yield from _serve(PG15_BINDIR)


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


@pytest.fixture(params=["pg18", "pg15"])
def any_live(request):
    """An empty CitaPlanner database, once on PostgreSQL 18 and once on 15."""
    return request.getfixturevalue("app_db" if request.param == "pg18" else "app_db15")


@pytest.fixture
def backup_dir(tmp_path):
    """An empty backup volume folder."""
    path = tmp_path / "backups"
    path.mkdir()
    return path


@pytest.fixture
def sample_volume(backup_dir):
    """A real, deterministic backup volume (see ``tests/support/sample.py``)."""
    make_sample_volume(backup_dir, SAMPLE_NOW)
    return backup_dir


@pytest.fixture
def pinned_sample_volume(tmp_path_factory):
    """The sample volume for snapshots (``sample_console`` pins its size, clock and database)."""
    root = tmp_path_factory.mktemp("snap") / "backups"
    root.mkdir()
    make_sample_volume(root, SAMPLE_NOW)
    return root


@pytest.fixture(scope="session")
def s3():
    """A real S3 server (SeaweedFS ``weed mini`` on 127.0.0.1, telemetry off); always killed, its folder removed,
    and nothing of it left elsewhere (glog writes to the temp directory unless told, gRPC sockets go to /tmp)."""
    server = start_s3()
    yield server
    server.stop()
    assert not glob.glob(os.path.join(tempfile.gettempdir(), f"weed.*.{server.proc.pid}")), "weed logs left behind"
    assert [p for p in server.grpc_sockets if p.exists()] == [], "weed sockets left behind"


@pytest.fixture
def bucket(s3):
    """A fresh bucket with versioning and object lock on that test's own."""
    return s3.make_bucket(lock=True)
