"""The intent record of a restore's critical section, and the record of the last swap.

A swap (restore or rollback) briefly refuses connections to the live database and
renames two databases; an in-place restore makes the live database read-only for the
app while it takes the safety backup and loads.  If this process dies in between
(``kill -9``, the container stopped, the machine lost power), the server alone cannot
say what to undo, so before the first step we write
``BACKUP_DIR/.citaplanner-tui/swap-journal.json`` (what, the names, the phase, pid and
time), atomically and fsynced, and remove it when the section is over.  ``recover``
(every command, and the console at start-up) finds a journal left behind, looks at the
server and finishes or undoes the step, saying which in one sentence.

``last-swap.json`` survives restarts and says which database the latest swap parked,
which is what ``restore --rollback`` brings back, whether that swap was a restore or a
rollback, and when its renames committed (the console's "roll back the rollback of HH:MM").
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.volume.durable import fsync_dir

JOURNAL = "swap-journal.json"
LAST_SWAP = "last-swap.json"


@dataclass(frozen=True)
class Intent:
    """A swap in progress (``incoming`` becomes ``live``, which becomes ``parked``), or an
    in-place restore (``kind="in-place"``: writes to ``live`` are stopped; ``previous`` is
    the database's own ``default_transaction_read_only`` to put back, None if unset)."""

    live: str
    incoming: str
    parked: str
    server: str  # host:port, to recover on the right server
    backup: str | None  # the archive restored (None for a rollback)
    phase: str = "locking"  # then "renamed" once the renames committed
    pid: int = 0
    at: str = ""
    kind: str = "swap"
    previous: str | None = None

    def writer_running(self) -> bool:
        """Whether the process that wrote this still runs (it then finishes the work itself)."""
        if self.pid == os.getpid():
            return False  # our own section, abandoned (e.g. after Ctrl-C)
        try:
            return b"citaplanner" in Path(f"/proc/{self.pid}/cmdline").read_bytes()
        except OSError:
            return False


@dataclass(frozen=True)
class LastSwap:
    """What the latest swap did: ``parked`` holds the database ``target`` had before it."""

    target: str
    parked: str
    when: str
    backup: str | None
    server: str
    # "restore" or "rollback", and when the renames committed (None in records older than these fields).
    kind: str | None = None
    swapped_at: str | None = None


_Record = TypeVar("_Record", "Intent", "LastSwap")


def _write(path: Path, data: dict[str, object]) -> None:
    """Write ``data`` as JSON atomically (temporary file, fsync, rename, fsync the folder), 0600."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _read(path: Path, cls: type[_Record]) -> _Record | None:
    """The record in ``path``, or None when there is none; ``ValueError`` when it cannot be read."""
    try:
        return cls(**json.loads(path.read_text("utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, TypeError) as exc:
        raise ValueError(str(exc)) from None


class Journal:
    """The two records, in ``state_dir`` (``BACKUP_DIR/.citaplanner-tui``)."""

    def __init__(self, state_dir: Path):
        self.dir = Path(state_dir)
        self.path = self.dir / JOURNAL
        self.last_path = self.dir / LAST_SWAP

    def begin(self, intent: Intent) -> Intent:
        """Record the intent durably; called before the first step of the critical section."""
        intent = replace(intent, pid=os.getpid(), at=datetime.now().isoformat(timespec="seconds"))
        try:
            _write(self.path, asdict(intent))
        except OSError as exc:
            raise OperatorError(
                say(
                    "cannot write the restore journal in {dir}: {why}; the live database was not touched",
                    dir=self.dir,
                    why=exc.strerror,
                )
            ) from None
        return intent

    def advance(self, intent: Intent, phase: str) -> Intent:
        intent = replace(intent, phase=phase)
        _write(self.path, asdict(intent))
        return intent

    def finish(self, intent: Intent, swapped_at: str | None = None) -> LastSwap:
        """The renames committed (now, unless ``swapped_at`` says when): remember what was parked and what
        kind of swap it was (a rollback restores no archive), then drop the intent."""
        now = datetime.now().isoformat(timespec="seconds")
        last = LastSwap(
            intent.live,
            intent.parked,
            now,
            intent.backup,
            intent.server,
            "rollback" if intent.backup is None else "restore",
            swapped_at or now,
        )
        _write(self.last_path, asdict(last))
        self.clear()
        return last

    def clear(self) -> None:
        """Nothing is half-done any more (the swap finished or was undone)."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return
        fsync_dir(self.dir)

    def pending(self) -> Intent | None:
        """The unfinished swap's intent, if any (``ValueError`` when the file cannot be read)."""
        return _read(self.path, Intent)

    def last(self) -> LastSwap | None:
        """The latest swap's record; an unreadable one counts as none (it only guides rollback)."""
        try:
            return _read(self.last_path, LastSwap)
        except ValueError:
            return None
