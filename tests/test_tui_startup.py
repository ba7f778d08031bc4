"""The console's first paint pays only for what it draws.

The dashboard is painted before any data is loaded; what loads it (the catalog, the
status report, the database probe, the off-site targets) runs afterwards in a worker.
psycopg, boto3 and cryptography cost ~0.3 s together to import (``bench/tui.py``), so
a module imported on the way to the first paint that pulls one of them in makes every
start slower, which no unit test of the module would notice: this starts the console
in a child process, headless at 80x24, and lists what was imported when the dashboard
had been painted once.
"""

from __future__ import annotations

import subprocess
import sys

CHILD = r"""
import sys
from pathlib import Path
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.tui.app import CitaPlannerApp

HEAVY = ("psycopg", "boto3", "botocore", "cryptography", "citaplanner_tui.tui.data")

class FirstPaint(CitaPlannerApp):
    def on_mount(self):  # Textual runs CitaPlannerApp.on_mount after this one: it pushes the dashboard
        self.call_after_refresh(lambda: self.screen.call_after_refresh(self.painted))

    def action_refresh(self):  # asked for once the dashboard was painted; its worker's imports are its own
        pass

    def painted(self):
        shown = [w.id for w in self.screen.query("*") if w.id]
        print(type(self.screen).__name__, "tiers" in shown, "log-pane" in shown)
        print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in HEAVY or m in HEAVY)) or "-")
        self.exit()

settings = Settings(backup_dir=Path(sys.argv[1]), database_url="postgresql://citaplanner@127.0.0.1:9/citaplanner")
FirstPaint(settings, refresh_every=None, log_poll=None).run(headless=True, size=(80, 24))
"""


def test_the_first_paint_imports_no_database_s3_or_crypto_library(sample_volume):
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(sample_volume)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    painted, imported = result.stdout.splitlines()[-2:]
    assert painted == "DashboardScreen True True"  # the dashboard itself was painted, panes and log
    assert imported == "-", f"imported before the first paint: {imported}"
