"""A small backup volume with fixed content and times, for screenshots, snapshots and benchmarks.

Every file is real: gzip dumps in pg_dump's plain format (header, a COPY block,
the completion trailer) that ``gunzip -t`` accepts, sidecars written as
``sha256sum`` writes them (some with the old script's absolute paths), the old
script's emoji + ANSI log lines next to the lines our verify engine really wrote.  Names, gzip headers and mtimes are
derived from ``now`` only, so two runs produce byte-identical volumes and the
console shows the same screen.  One dump has a wrong sidecar (a checksum mismatch
for the problem list) and one run was cut short (an unfinished ``.partial``).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from citaplanner_tui.core.logs.lines import format_line, parse_line
from citaplanner_tui.core.logs.writer import log_path
from citaplanner_tui.core.volume.naming import make_name

DUMP_HEAD = (
    b"--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 18.1\n"
    b"-- Dumped by pg_dump version 18.1\n\nSET statement_timeout = 0;\n\n"
    b'COPY public."Client" (id, name) FROM stdin;\n'
)
DUMP_TAIL = b"\\.\n\n--\n-- PostgreSQL database dump complete\n--\n\n"


def dump_bytes(rows: int) -> bytes:
    body = b"".join(b"c%06d\tClient number %d\n" % (i, i) for i in range(rows))
    return gzip.compress(DUMP_HEAD + body + DUMP_TAIL, compresslevel=6, mtime=0)


def _write(path: Path, data: bytes, when: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(data)
    os.chmod(path, 0o600)
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))


def add_backup(
    backup_dir: Path, tier: str, taken: datetime, rows: int, *, sidecar: str = "basename", folder: str | None = None
) -> Path:
    """One dump with its sidecar: ``basename`` (ours), ``absolute`` (old script), ``wrong``, ``none``."""
    name = make_name(tier, taken)
    path = Path(backup_dir) / (folder or tier) / name.filename
    data = dump_bytes(rows)
    _write(path, data, taken)
    digest = hashlib.sha256(data).hexdigest()
    if sidecar == "wrong":
        digest = hashlib.sha256(data + b"x").hexdigest()
    if sidecar != "none":
        # The old script's absolute path in its container, not this run's temporary folder: the
        # sidecar's size (which the off-site screens add up) stays the same wherever the volume is.
        recorded = f"/backup-citaplanner/{folder or tier}/{name.filename}" if sidecar == "absolute" else path.name
        _write(path.with_name(name.sidecar), f"{digest}  {recorded}\n".encode(), taken)
    return path


def make_sample_volume(backup_dir: Path, now: datetime, *, verify: bool = True) -> list[Path]:
    """Fill ``backup_dir`` with two months of history ending at ``now``; return the dumps.

    With ``verify`` the real verify engine checks every dump (so the wrong sidecar shows
    as a checksum mismatch); its results are then re-recorded with a time pinned to
    three hours before ``now``, so ages on screen do not depend on when this ran.
    """
    backup_dir = Path(backup_dir)
    nightly = now.replace(hour=2, minute=0, second=0, microsecond=0)
    if nightly > now:
        nightly -= timedelta(days=1)
    made = []
    for day in range(7):  # daily: one a night, the oldest from the old script
        taken = nightly - timedelta(days=day)
        made.append(
            add_backup(
                backup_dir,
                "daily",
                taken,
                4000 + 37 * (7 - day),
                sidecar="wrong" if day == 3 else ("absolute" if day == 6 else "basename"),
            )
        )
    sunday = nightly - timedelta(days=(nightly.isoweekday() % 7))
    for week in range(4):
        made.append(add_backup(backup_dir, "weekly", sunday - timedelta(weeks=week), 3800 + 50 * (4 - week)))
    first = nightly.replace(day=1)
    for month in range(2):
        taken = (first - timedelta(days=31 * month)).replace(day=1)
        made.append(add_backup(backup_dir, "monthly", taken, 3500 + 100 * (2 - month)))
    made.append(add_backup(backup_dir, "manual", nightly + timedelta(hours=7, minutes=12), 4300))
    partial = backup_dir / "daily" / (make_name("daily", now - timedelta(minutes=3)).filename + ".partial")
    _write(partial, dump_bytes(800)[:2000], now - timedelta(minutes=2))
    shutil.rmtree(backup_dir / "logs", ignore_errors=True)
    if verify:
        _verify_pinned(backup_dir, now - timedelta(hours=3))
    _sample_logs(backup_dir / "logs", now, now - timedelta(hours=3))
    return made


def _verify_pinned(backup_dir: Path, at: datetime) -> None:
    from citaplanner_tui.core import verify
    from citaplanner_tui.core.settings import Settings
    from citaplanner_tui.core.volume.records import Records

    settings = Settings(backup_dir=backup_dir)
    verify.verify(settings)
    store = Records(settings)
    for path, facts in store.load().items():
        if facts.verify is not None:
            check = facts.verify
            store.record(
                path, "verify", check.ok, check.detail, check.extra, size=facts.size, mtime_ns=facts.mtime_ns, at=at
            )


def _sample_logs(log_dir: Path, now: datetime, engine_at: datetime) -> None:
    """Yesterday's log in the old script's format; today's holds what the engines logged while the
    sample was made (the verify's verdicts), their times pinned to ``engine_at`` like its records."""
    written = sorted(log_dir.glob("*.log")) if log_dir.exists() else []
    records = [parse_line(line) for path in written for line in path.read_text().splitlines()]
    for path in written:
        path.unlink()
    old = now - timedelta(days=1)
    stamp = old.strftime("%Y-%m-%d")
    old_lines = [
        f"\x1b[0;34m[{stamp} 02:00:00]\x1b[0m ℹ️  Iniciando backup automático\n",
        f"\x1b[0;32m[{stamp} 02:00:41]\x1b[0m ✅ Backup diario completado\n",
        f"\x1b[1;33m[{stamp} 02:00:42]\x1b[0m ⚠️  Espacio en disco bajo\n",
    ]
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path(log_dir, "backup", old).write_text("".join(old_lines))
    log_path(log_dir, "backup", now).write_text(
        "".join(format_line(engine_at, r.level, r.message) for r in records if r.time is not None)
    )
    for path in log_dir.iterdir():
        os.utime(path, (now.timestamp(), now.timestamp()))


# -- a console on the sample volume that looks the same on every run ------------------------
# The keys that lead from the dashboard to each screen worth showing: the snapshot tests
# and scripts/export_screenshots.py both walk this list.
SAMPLE_SCREENS: dict[str, tuple[str, ...]] = {
    "dashboard": (),
    "backups": ("b",),
    "backups_filtered": ("b", "slash", *"weekly", "enter"),
    "backup_now": ("n",),
    "logs": ("l",),
    "logs_errors_only": ("l", "w", "w"),
    "help": ("question_mark",),
    "palette": ("ctrl+p", *"back"),
    "delete_confirmation": ("b", "down", "down", "down", "x"),
}
SAMPLE_NOW = datetime(2026, 11, 27, 12, 0, 0)  # the clock of every snapshot, screenshot and console test
SAMPLE_CONN = "citaplanner@db.example:5432/citaplanner"
SAMPLE_VOLUME_TOTAL = 64 * 2**30
SAMPLE_VOLUME_USED = 23 * 2**30


def sample_database(_settings):
    """The database as the status bar shows it in screenshots (no server needed)."""
    from citaplanner_tui.core.report.status import DatabaseStatus
    from citaplanner_tui.tui.data import ServerProbe

    return ServerProbe("PostgreSQL 18.1", DatabaseStatus("", 1_288_490_189))


def sample_space(path):
    """The volume's total/used/free, pinned like the clock: ``statvfs`` differs on every machine."""
    from citaplanner_tui.core.volume import disk

    return disk.Space(Path(path), SAMPLE_VOLUME_TOTAL, SAMPLE_VOLUME_USED, SAMPLE_VOLUME_TOTAL - SAMPLE_VOLUME_USED)


def sample_console(backup_dir: Path, now: datetime, **kwargs):
    """The app on the sample volume with a fixed clock, target, database, volume size and no timers."""
    from citaplanner_tui.core.settings import Settings
    from citaplanner_tui.tui.app import CitaPlannerApp

    settings = Settings(backup_dir=Path(backup_dir), read_only=kwargs.pop("read_only", False))
    kwargs.setdefault("conn_display", SAMPLE_CONN)
    kwargs.setdefault("database_facts", sample_database)
    kwargs.setdefault("volume_space", sample_space)
    return CitaPlannerApp(settings, clock=lambda: now, refresh_every=None, log_poll=None, **kwargs)


async def settle(pilot) -> None:
    """Let workers finish and their results land on the event loop."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


# -- off-site targets for the off-site screen's snapshots and screenshots ------------------------
SAMPLE_OFFSITE_SCREENS: dict[str, tuple[str, ...]] = {"offsite": ("o",), "backups_offsite": ("b",)}
"""Screens of a console with the two sample targets (``sample_offsite_console``)."""
SAMPLE_TARGET_ERROR = (
    "off-site target 'b2' (s3://cp-offsite) refused the secret access key "
    "(check AWS_SECRET_ACCESS_KEY or secret_access_key_file) while listing its objects"
)


class SampleBucket:
    """A target's listing made from the sample volume's own files (pinned like the clock and the
    volume's size: a real server's upload times differ on every run).  Only what ``core.offsite.report``
    reads, a paginated ``list_objects_v2``; ``holds`` picks the backups (relative paths) it has."""

    def __init__(self, backup_dir: Path, target, holds) -> None:
        self.backup_dir, self.target, self.holds = Path(backup_dir), target, holds

    def get_paginator(self, _operation: str) -> SampleBucket:
        return self

    def paginate(self, **_request):
        from datetime import timezone

        contents = []
        for path in sorted(self.backup_dir.glob("*/citaplanner_*")):
            rel = f"{path.parent.name}/{path.name}"
            dump = rel.removesuffix(".sha256").removesuffix(".manifest.json")
            if path.suffix != ".partial" and self.holds(dump):
                when = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
                contents.append({"Key": self.target.key(rel), "Size": path.stat().st_size, "LastModified": when})
        yield {"Contents": contents}


def sample_targets():
    """``primary`` (object lock 30 days; it lacks the manual backup) and ``b2``, whose last push failed
    two days ago and which holds only what is older than that."""
    from citaplanner_tui.core.offsite.targets import Target

    return (
        Target("primary", "citaplanner-backups", "prod", "https://s3.example.com", object_lock_days=30),
        Target("b2", "cp-offsite", "", "https://s3.eu-central-003.backblazeb2.com"),
    )


def sample_offsite_console(backup_dir: Path, now: datetime, **kwargs):
    """``sample_console`` with the two sample targets and their last pushes recorded in the volume."""
    from dataclasses import replace

    from citaplanner_tui.core.offsite import report, state

    app = sample_console(backup_dir, now, **kwargs)
    app.settings = replace(app.settings, offsite=sample_targets())
    state.record(app.settings, "primary", True, None, 4, now - timedelta(hours=9, minutes=55))
    state.record(app.settings, "b2", False, SAMPLE_TARGET_ERROR, 0, now - timedelta(hours=9, minutes=55))
    cut = (now - timedelta(days=2)).strftime("%Y%m%d")
    holds = {
        "primary": lambda rel: not rel.startswith("manual/"),
        "b2": lambda rel: rel.split("_")[2] < cut,
    }

    def bucket(target):
        return SampleBucket(backup_dir, target, holds[target.name])

    app._offsite_facts = lambda settings, catalog, at: report.build(settings, catalog, at, connect=bucket)
    return app
