"""One backup or restore at a time per backup volume.

The old script took no lock: two runs in the same second wrote the same file.  We hold
an exclusive ``flock`` on ``BACKUP_DIR/.citaplanner-tui.lock`` for the whole job.  The
kernel drops it when the process dies (even by ``kill -9``), so a crash never leaves a
stale lock, and the holder's pid and start time, written into the file, let a second
run say at once who is busy.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.errors import BusyError, ConfigError
from citaplanner_tui.core.volume import private

LOCK_NAME = ".citaplanner-tui.lock"
# The volumes whose lock this context was lent by the job holding it (see ``lent``).
_LENT: ContextVar[frozenset[str]] = ContextVar("lent_volume_locks", default=frozenset())


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as written in the lock file (fields may be unknown)."""

    pid: int | None
    since: datetime | None
    job: str

    def sentence(self) -> str:
        who = say("pid {pid}", pid=self.pid) if self.pid else say("pid unknown")
        if self.since:
            who = say("{who}, since {time}", who=who, time=self.since.strftime("%H:%M"))
        return say("another backup or restore is running ({who})", who=who)


def lock_path(backup_dir: Path) -> Path:
    return Path(backup_dir) / LOCK_NAME


def _read_holder(fd: int) -> Holder:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 256).decode("utf-8", "replace").split()
    pid = int(text[0]) if text and text[0].isdigit() else None
    try:
        since = datetime.fromisoformat(text[1]) if len(text) > 1 else None
    except ValueError:
        since = None
    return Holder(pid, since, text[2] if len(text) > 2 else "")


def _open(backup_dir: Path) -> int:
    try:
        private.mkdirs(Path(backup_dir))
        return os.open(lock_path(backup_dir), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ConfigError(say("cannot use the backup folder {dir}: {why}", dir=backup_dir, why=exc.strerror)) from None


@contextmanager
def hold(backup_dir: Path, job: str = "backup") -> Iterator[None]:
    """Hold the volume's lock for the block; raise ``BusyError`` at once if it is taken.

    Inside ``lent(backup_dir)`` the block runs under the lender's hold instead; anywhere
    else a second hold is refused, in this process too (a job nested by mistake waits or
    fails like any other, as the daemon's scheduling relies on).
    """
    if str(Path(backup_dir).resolve()) in _LENT.get():
        yield
        return
    with _hold(backup_dir, job):
        yield


@contextmanager
def lent(backup_dir: Path) -> Iterator[None]:
    """Run the block as part of the job that holds ``backup_dir``'s lock and waits for it:
    a restore's safety backup, taken in a thread alongside its load.  Only that job may lend
    its hold, and only while it holds it; nothing else shares a hold implicitly."""
    token = _LENT.set(_LENT.get() | {str(Path(backup_dir).resolve())})
    try:
        yield
    finally:
        _LENT.reset(token)


@contextmanager
def _hold(backup_dir: Path, job: str) -> Iterator[None]:
    fd = _open(backup_dir)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(_read_holder(fd).sentence()) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {datetime.now().isoformat(timespec='seconds')} {job}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def holder(backup_dir: Path) -> Holder | None:
    """Who holds the lock now, or None when no job runs (a probe; it never waits)."""
    if not lock_path(backup_dir).exists():
        return None
    fd = os.open(lock_path(backup_dir), os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
