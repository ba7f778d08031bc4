"""The last push to each target (when, whether it worked, its error), kept in the volume.

``BACKUP_DIR/.citaplanner-tui/offsite.json`` (0600), so ``status`` can say that the last
upload failed without asking the server, and the console can show the error.  Nothing is
written in read-only mode.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume.files import read_json, write_json

STATE_FILE = "offsite.json"


@dataclass(frozen=True)
class PushRecord:
    """One target's last push: ``at`` (local time), ``ok``, ``error`` (one sentence) and the
    time of the last push that worked."""

    at: datetime
    ok: bool
    error: str | None = None
    uploaded: int = 0
    last_ok_at: datetime | None = None


def load(settings: Settings) -> dict[str, PushRecord]:
    """Every target's last push, by target name (empty when none was recorded)."""
    out = {}
    for name, raw in read_json(settings.state_dir / STATE_FILE).get("targets", {}).items():
        try:
            out[name] = PushRecord(
                datetime.fromisoformat(raw["at"]),
                bool(raw["ok"]),
                raw.get("error"),
                int(raw.get("uploaded", 0)),
                datetime.fromisoformat(raw["last_ok_at"]) if raw.get("last_ok_at") else None,
            )
        except (KeyError, TypeError, ValueError):
            continue  # a hand-edited entry: as if never pushed
    return out


def record(settings: Settings, name: str, ok: bool, error: str | None, uploaded: int, now: datetime) -> None:
    """Keep the outcome of a push to target ``name`` (nothing in read-only mode)."""
    if settings.read_only:
        return
    records = load(settings)
    previous = records.get(name)
    last_ok = now if ok else (previous.last_ok_at if previous else None)
    records[name] = PushRecord(now, ok, error, uploaded, last_ok)
    data = {
        "targets": {
            n: {k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v) for k, v in asdict(r).items()}
            for n, r in records.items()
        }
    }
    write_json(settings.state_dir / STATE_FILE, data)
