"""Files and folders of ours on the backup volume: private (0700 / 0600) whatever the umask.

Backups hold every client's data, so nobody but their owner may read them, or even
list their names.  ``mkdir(parents=True, mode=...)`` applies the mode to the last
folder only; the parents it creates get the umask's default (usually 0755).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from citaplanner_tui.core.volume.durable import fsync_dir

DIR_MODE = 0o700
FILE_MODE = 0o600


def mkdirs(path: Path) -> None:
    """Create ``path`` and every missing parent, each 0700; existing folders are left as they are."""
    path = Path(path)
    missing = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # another process made it first
        os.chmod(folder, DIR_MODE)  # the umask may have taken bits away: 0700 exactly


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` (0600): a crash leaves the old file or the new one, never half."""
    path = Path(path)
    mkdirs(path.parent)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def read_nofollow(path: Path, limit: int = 1 << 20) -> bytes:
    """Up to ``limit`` bytes of a small file of ours, never through a symbolic link."""
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb") as fh:
        return fh.read(limit)
