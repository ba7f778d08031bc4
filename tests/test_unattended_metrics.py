"""The daemon's /metrics endpoint, read over HTTP and parsed by prometheus_client's own parser."""

from __future__ import annotations

import urllib.request
from datetime import datetime, timedelta, timezone

from citaplanner_tui.core.unattended import schedule
from citaplanner_tui.core.unattended.daemon import Daemon
from citaplanner_tui.core.unattended.metrics import Publisher
from citaplanner_tui.core.volume.catalog import scan
from tests.support.backup import fill, settings_for
from tests.support.unattended import ISSUE_SCHEDULE, FakeClock, parse_metrics


def test_metrics_are_served_on_127_0_0_1_and_a_taken_port_is_one_sentence(app_db, backup_dir, tmp_path):
    fill(app_db)
    settings = settings_for(app_db, backup_dir, schedule=ISSUE_SCHEDULE)
    publisher = Publisher(tmp_path / "no-such-folder" / "m.prom")  # an unwritable textfile: one log line
    assert publisher.serve("127.0.0.1", 0) is None
    port = publisher.port
    try:
        start = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)
        clock = FakeClock(start, start + timedelta(days=1))
        Daemon(settings, schedule.parse(ISSUE_SCHEDULE), clock=clock, tick=3600, publisher=publisher).run()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            m = parse_metrics(r.read().decode())
        again = Publisher().serve("127.0.0.1", port)
    finally:
        publisher.close()
    [daily] = scan(settings).backups("daily")
    assert m["citaplanner_backup_newest_size_bytes"][("daily",)] == daily.size
    assert m["citaplanner_backup_newest_timestamp_seconds"][("daily",)] == daily.taken_at.timestamp()
    assert m["citaplanner_job_last_success"] == {("backup",): 1, ("verify_deep",): 1}
    assert ("drill",) not in m["citaplanner_job_last_success"]  # Sunday's job has not run yet
    assert m["citaplanner_daemon_up"][()] == 0
    assert again.startswith(f"the metrics cannot be served on 127.0.0.1:{port}: Address already in use")
    log = "".join(p.read_text() for p in settings.logs.glob("backup_*.log"))
    assert log.count("the metrics file") == 1 and "cannot be written: No such file or directory" in log
