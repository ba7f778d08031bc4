"""The ops container's entry command, run as deploy/Dockerfile states it (no container engine here)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from citaplanner_tui.core.unattended import schedule
from tests.support.backup import REPO, cli_env
from tests.support.unattended import reap

DEPLOY = REPO / "deploy"


def _dockerfile() -> tuple[list[str], dict[str, str]]:
    """The CMD (exec form) and the ENV of deploy/Dockerfile."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    cmd, env = None, {}
    for line in text.splitlines():
        if line.startswith("CMD "):
            cmd = json.loads(line[4:])
        elif line.startswith("ENV "):
            env.update(part.split("=", 1) for part in shlex.split(line[4:]))
    assert cmd is not None
    return cmd, env


def test_the_containers_command_runs_the_daemon_with_the_shipped_config(app_db, backup_dir, tmp_path):
    cmd, image_env = _dockerfile()
    assert cmd[:2] == ["citaplanner-tui", "daemon"]
    assert image_env["CITAPLANNER_TUI_CONFIG"] == "/etc/citaplanner-tui/config.toml"
    config = DEPLOY / "config.toml"
    assert [j.name for j in schedule.parse(tomllib.loads(config.read_text())["schedule"]).jobs] == [
        "backup",
        "verify_deep",
        "drill",
    ]
    env = cli_env(app_db.url, backup_dir)
    env.update(CITAPLANNER_TUI_CONFIG=str(config), PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    beat = backup_dir / ".citaplanner-tui" / "daemon-heartbeat.json"
    try:
        end = time.monotonic() + 60
        while not beat.exists() and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGTERM)  # what docker stop sends
        _, err = proc.communicate(timeout=20)
    finally:
        reap(proc)
    assert proc.returncode == 0, err
    assert "daemon started" in err and "(America/Mexico_City)" in err and "Traceback" not in err
    assert json.loads(beat.read_text())["doing"] == "stopped"
