"""Small private files the daemon keeps beside the backups (its state, its heartbeat).

Written whole or not at all (temp file, fsync, rename) and readable by the owner only,
so a crash mid-write leaves the previous version and no other user reads job details.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from citaplanner_tui.core.volume import private


def write_json(path: Path, data: Any) -> None:
    """Replace ``path`` atomically with ``data`` as JSON, mode 0600 (folders made 0700)."""
    private.write_atomic(path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or {} when it is missing or unreadable (never raises)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
