"""--demo's environment: built by the real engines, reused on the next launch, stopped on exit."""

import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest

from citaplanner_tui.core import i18n
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.volume import catalog
from citaplanner_tui.core.volume.catalog import State
from citaplanner_tui.demo import s3 as demo_s3
from citaplanner_tui.demo.volume import history_days, open_demo


def test_history_days_keep_a_week_of_dailies_and_every_sunday_and_first():
    days = history_days(date(2026, 11, 27), days=62)
    assert days[-7:] == [date(2026, 11, d) for d in range(21, 28)]
    assert all(d.isoweekday() == 7 or d.day == 1 for d in days[:-7])
    assert date(2026, 10, 1) in days and date(2026, 11, 1) in days
    assert sum(d.isoweekday() == 7 for d in days) == 9


@pytest.fixture
def demo_root():
    """Outside pytest's numbered tmp tree, which concurrent pytest sessions prune."""
    top = Path(tempfile.mkdtemp(prefix="cpt-demo-"))
    yield top / "demo"
    shutil.rmtree(top, ignore_errors=True)


@pytest.mark.timeout(400)
def test_demo_is_built_by_the_engine_reused_and_stopped(demo_root):
    root = demo_root
    small = {"tenants": 1, "clients": 200, "appointments": 600}
    # Read-only: the console may not write, but the demo's history is still built.
    said: list[str] = []
    demo = open_demo(root=root, size=small, today=date(2026, 11, 27), read_only=True, progress=said.append)
    try:
        assert demo.settings.read_only
        rows = demo.server.sql(
            "SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM clients),"
            " (SELECT count(*) FROM users WHERE email = 'admin@citaplanner.com')",
            "citaplanner",
        )[0]
        assert rows[0] == 2 and rows[1] == 206 and rows[2] == 1  # seed tenant + generated one
        scan = catalog.scan(demo.settings)
        assert len(scan.backups("daily")) == 7
        # monthly: the 1sts, plus the first night, which fills its month (nothing else covers it)
        assert len(scan.backups("weekly")) >= 4 and len(scan.backups("monthly")) == 3
        states = [e.state for e in scan.backups()]
        assert states.count(State.MISMATCH) == 1
        assert any(e.drill_ok for e in scan.backups())
        assert "password" not in demo.settings.conninfo().conninfo()
        # Its build progress: English as made, Spanish where the operator reads it (tui/demo.py says it).
        assert said[0] == "starting the demo's PostgreSQL server" and "backup 3 of 16: the night of 2026-10-04" in said
        i18n.activate("es")
        try:
            spoken = [i18n.shown(line) for line in said]
        finally:
            i18n.activate("en")
        assert spoken[0] == "iniciando el servidor PostgreSQL de la demostración"
        assert "respaldo 3 de 16: la noche del 2026-10-04" in spoken
        before = sorted(p.name for p in (root / "backups" / "daily").iterdir())
        # A second --demo while this one is open: one sentence, and this server keeps running.
        with pytest.raises(OperatorError, match="already open in another console"):
            open_demo(root=root, size=small)
        assert demo.server.sql("SELECT count(*) FROM clients", "citaplanner")[0][0] == 206
    finally:
        demo.close()
    assert not (root / "pgdata" / "postmaster.pid").exists()
    again = open_demo(root=root, size=small)
    try:
        assert not again.settings.read_only
        assert sorted(p.name for p in (root / "backups" / "daily").iterdir()) == before
        assert again.server.sql("SELECT count(*) FROM clients", "citaplanner")[0][0] == 206
    finally:
        again.close()
    # weed leaves some of its gRPC sockets in /tmp when it stops: closing the demo removes them.
    targets = [d.offsite.server for d in (demo, again) if d.offsite is not None]
    assert len(targets) == (2 if demo_s3.weed_binary() else 0)
    assert [p for server in targets for p in server.grpc_sockets if p.exists()] == []
