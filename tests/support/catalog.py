"""A backup volume exactly as the old ``pg_backup.sh`` leaves it, built with the same tools.

Dumps are compressed by the real ``gzip`` and sidecars written by the real
``sha256sum "<absolute path>"`` (so they record the absolute path, as the old script's
do); the day's log has its emoji + ANSI colour lines.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

from citaplanner_tui.core.volume.naming import make_name

DAYS_BASE = datetime(2025, 1, 1, 2, 0, 0)
PLAIN_DUMP = """--
-- PostgreSQL database dump
--

-- Dumped from database version 17.2
-- Dumped by pg_dump version 17.2

SET statement_timeout = 0;
CREATE TABLE public.tenants (id text NOT NULL, name text NOT NULL);
COPY public.tenants (id, name) FROM stdin;
ten1\tBella Vita Spa & Wellness
ten2\tSalón {n}
\\.

--
-- PostgreSQL database dump complete
--

"""

OLD_LOG_LINES = [
    "\x1b[0;34m[{d} 02:00:00]\x1b[0m ℹ️  Iniciando backup automático",
    'pg_dump: dumping contents of table "public.tenants"',
    "\x1b[0;32m[{d} 02:00:04]\x1b[0m ✅ Backup diario completado: {f}",
    "\x1b[1;33m[{d} 02:00:05]\x1b[0m ⚠️  Rotación: 0 archivos eliminados",
]


def old_dump(folder: Path, tier: str, taken_at: datetime, text: str | None = None, *, sidecar: bool = True) -> Path:
    """One backup as the old script writes it: ``gzip`` output and an absolute-path sidecar."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / make_name(tier, taken_at).filename
    body = (text if text is not None else PLAIN_DUMP.format(n=taken_at.strftime("%Y%m%d%H%M%S"))).encode()
    with path.open("wb") as out:
        subprocess.run(["gzip", "-c"], input=body, stdout=out, check=True)
    if sidecar:
        with open(str(path) + ".sha256", "wb") as out:
            subprocess.run(["sha256sum", str(path)], stdout=out, check=True)
    return path


def old_volume(root: Path, days: list[datetime]) -> dict[str, list[Path]]:
    """``root/{daily,weekly,monthly,logs}`` with one daily per day, weekly on Sundays, monthly on the 1st.

    Returns the dumps per tier.  The old script took a separate dump for each tier.
    """
    made: dict[str, list[Path]] = {"daily": [], "weekly": [], "monthly": []}
    for day in days:
        tiers = ["daily"] + (["weekly"] if day.isoweekday() == 7 else []) + (["monthly"] if day.day == 1 else [])
        for tier in tiers:
            path = old_dump(root / tier, tier, day)
            made[tier].append(path)
        logs = root / "logs"
        logs.mkdir(exist_ok=True)
        lines = [line.format(d=day.strftime("%Y-%m-%d"), f=made["daily"][-1]) for line in OLD_LOG_LINES]
        (logs / f"backup_{day.strftime('%Y%m%d')}.log").write_text("\n".join(lines) + "\n")
    return made
