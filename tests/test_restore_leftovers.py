"""Restore leftovers (safety backups, parked databases) are kept to the newest N and listed by status."""

from __future__ import annotations

import json
from datetime import datetime

from citaplanner_tui.core.pg.connect import connect
from tests.support.backup import cli, cli_env
from tests.support.db import APP_ROLE
from tests.support.restore import databases, fill, take_backup


def test_restore_keeps_the_newest_leftovers_and_status_lists_them(app_db, backup_dir, tmp_path):
    live = app_db
    fill(live, clients=20, appointments=40)
    archive = take_backup(live, backup_dir)
    old_safety = [take_backup(live, backup_dir, tier="safety", now=datetime(2025, 1, d, 3, 0)) for d in (1, 2, 3)]
    old_parked = [f"{live.name}__pre_restore_2025010{d}030000" for d in (1, 2, 3)]
    for name in old_parked:
        live.server.create_database(name, owner=APP_ROLE)
    config = tmp_path / "config.toml"
    config.write_text("[restore]\nkeep = 2\n")
    env = {**cli_env(live.url, backup_dir), "CITAPLANNER_TUI_CONFIG": str(config)}

    with connect(live.server.admin(old_parked[0])):  # someone is looking inside the oldest copy
        done = cli("restore", str(archive), "--confirm", live.name, "--json", env=env)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)

    safety = sorted(p.name for p in (backup_dir / "safety").glob("*.sql.zst"))  # the fastest format
    assert len(safety) == 2 and outcome["safety_backup"].endswith(safety[-1])
    assert safety[0] == old_safety[-1].name  # the newest older one stays, the two before it went
    assert not any(p.exists() for p in old_safety[:2])
    assert not any((p.parent / (p.name + ".sha256")).exists() for p in old_safety[:2])
    parked = databases(live.server, live.name + "__pre_restore_")
    assert parked == sorted([old_parked[0], old_parked[2], outcome["pre_restore"]])  # the busy one is kept
    assert set(outcome["rotated"]) == {str(old_safety[0]), str(old_safety[1]), old_parked[1]}
    log = next((backup_dir / "logs").glob("restore_*.log")).read_text()
    assert f"kept the parked database {old_parked[0]!r}: someone is connected to it" in log

    status = cli("status", "--json", env=env)
    listed = json.loads(status.stdout)["leftovers"]
    assert [(k["kind"], k["name"]) for k in listed] == [
        ("safety backup", str(backup_dir / "safety" / n)) for n in reversed(safety)
    ] + [("parked database", n) for n in sorted(parked, reverse=True)]
    assert all(k["size"] > 0 for k in listed)
    text = cli("status", env=env).stdout
    assert "restore leftovers" in text and outcome["pre_restore"] in text and safety[-1] in text
    assert all(len(line) <= 80 for line in text.splitlines()), text
