"""What we learned about each backup file: the last verify, deep check and restore drill.

Hashing a whole volume takes minutes, so results are kept in a small JSON file in
``settings.state_dir`` (``BACKUP_DIR/.citaplanner-tui/state.json``) and the catalog can
say "verified 3 h ago" without hashing again.  Facts are keyed by the file's path
relative to ``BACKUP_DIR`` (``daily/citaplanner_daily_....sql.gz``), so a volume moved
or mounted elsewhere keeps its history; files outside it keep their absolute path, and
files written by older versions (absolute keys) are read as the tier folder and name
they point at.  Facts are trusted only while the file's size and ``mtime_ns`` are
unchanged: a file that was rewritten or replaced has no facts until checked again.

The file is bookkeeping, never a source of truth about the backups themselves:

- a missing or corrupt file means "nothing known yet" (said once in the log), never a
  failure;
- writes are atomic (temporary file, fsync, rename), so a crash leaves the old file;
- writers take an ``flock`` and re-read before merging, so a cron ``verify`` and a
  drill started from the console never lose each other's results;
- a run records all its results in one write (``record_many``): a verify of 5,000
  backups rewrote and fsynced the file 5,000 times;
- in read-only mode nothing is written and nothing is logged; results stay in memory;
- a volume where the file cannot be written still gets its verification; the reason
  is logged once and kept in ``Records.last_error``.
- a result's ``detail`` is its English sentence; beside it ``said`` keeps how it was made
  (``core.i18n.kept``), so a screen reading it later still says it in the operator's
  language (a ``said`` that no longer gives the same English is ignored).

Times are naive local time, like the timestamps in backup names, so ages compare
directly with ``datetime.now()``.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Union

from citaplanner_tui.core.i18n import Message, kept, recalled
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.volume import private
from citaplanner_tui.core.volume.naming import TIERS

KINDS = ("verify", "deep", "drill")
STATE_FILE = "state.json"
LOCK_FILE = "state.lock"
_VERSION = 2  # 2: keys relative to BACKUP_DIR
_warned: set[str] = set()  # sentences already logged by this process

if TYPE_CHECKING:
    from citaplanner_tui.core.settings import Settings

# A volume named by its settings (state folder, log, read-only mode) or by its backup folder.
VolumeRef = Union["Settings", str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Record:
    """One recorded check result: what kind of check, when, whether it passed, and why not.

    ``extra`` holds kind-specific facts, e.g. ``{"problem": "mismatch", "sha256": ...}``
    for verify, or per-table row counts for a drill.
    """

    kind: str
    at: datetime
    ok: bool
    detail: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Facts:
    """Everything known about one unchanged backup file.  ``drills``/``drills_ok`` count runs."""

    path: str
    size: int
    mtime_ns: int
    verify: Record | None = None
    deep: Record | None = None
    drill: Record | None = None
    drills: int = 0
    drills_ok: int = 0

    def matches(self, size: int, mtime_ns: int) -> bool:
        return self.size == size and self.mtime_ns == mtime_ns


def records_path(where: VolumeRef) -> Path:
    """The state file for a ``Settings`` object or a backup folder."""
    if isinstance(where, (str, os.PathLike)):
        return Path(where) / ".citaplanner-tui" / STATE_FILE
    return where.state_dir / STATE_FILE


def backup_folder(where: VolumeRef) -> Path:
    """The absolute backup folder of a ``Settings`` object or a backup folder path."""
    return Path(os.path.abspath(where if isinstance(where, (str, os.PathLike)) else where.backup_dir))


@dataclass(frozen=True)
class Finding:
    """What one check found about one file, to be recorded: ``record_many`` takes a list of these."""

    path: Path
    kind: str
    ok: bool
    detail: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    size: int | None = None
    mtime_ns: int | None = None
    at: datetime | None = None


def _record_from_json(kind: str, raw: Mapping[str, Any]) -> Record:
    return Record(
        kind,
        datetime.fromisoformat(raw["at"]),
        bool(raw["ok"]),
        recalled(raw["said"], str(raw.get("detail", ""))) if "said" in raw else str(raw.get("detail", "")),
        dict(raw.get("extra") or {}),
    )


def _facts_from_json(path: str, raw: Mapping[str, Any]) -> Facts:
    records = {kind: _record_from_json(kind, raw[kind]) for kind in KINDS if raw.get(kind)}
    return Facts(
        path,
        int(raw["size"]),
        int(raw["mtime_ns"]),
        drills=int(raw.get("drills", 0)),
        drills_ok=int(raw.get("drills_ok", 0)),
        **records,
    )


class Records:
    """Read and record check results for backup files.

    ``Records(settings)`` (or a backup folder path); ``log`` is a ``core.logs.writer.Log``
    (default: the settings' log) used only to say, once, that the file was unreadable
    or unwritable.
    """

    def __init__(self, where: VolumeRef, log: Log | None = None):
        self.path = records_path(where)
        self.backup_dir = backup_folder(where)
        self.read_only = bool(getattr(where, "read_only", False))
        if log is None and not isinstance(where, (str, os.PathLike)) and not self.read_only:
            log = Log(where.logs)
        self.log = log
        self.last_error: str | None = None

    def _key(self, path: str | os.PathLike[str]) -> str:
        """``tier/name`` for a file inside BACKUP_DIR, the absolute path otherwise."""
        absolute = os.path.abspath(os.fspath(path))
        root = os.fspath(self.backup_dir) + os.sep
        return absolute[len(root) :] if absolute.startswith(root) else absolute

    def _absolute(self, key: str) -> str:
        """The file a stored key names on this volume; old absolute keys by tier folder and name."""
        if not os.path.isabs(key):
            return os.path.join(self.backup_dir, key)
        if key.startswith(os.fspath(self.backup_dir) + os.sep) or os.path.lexists(key):
            return key
        folder, name = os.path.split(key)
        tier = os.path.basename(folder)
        return os.path.join(self.backup_dir, tier, name) if tier in TIERS else key

    # -- reading ---------------------------------------------------------------
    def load(self) -> dict[str, Facts]:
        """All recorded facts by absolute path on this volume (empty when the file is missing or corrupt)."""
        raw = self._read_raw()
        facts = {}
        for key, item in raw.get("backups", {}).items():
            path = self._absolute(key)
            try:
                facts[path] = _facts_from_json(path, item)
            except (KeyError, TypeError, ValueError):
                continue  # one damaged record costs only that record
        return facts

    def lookup(
        self, path: str | os.PathLike[str], size: int | None = None, mtime_ns: int | None = None
    ) -> Facts | None:
        """Facts for ``path`` if the file is unchanged (stat it when size/mtime are not given)."""
        if size is None or mtime_ns is None:
            try:
                st = os.stat(path, follow_symlinks=False)
            except OSError:
                return None
            size, mtime_ns = st.st_size, st.st_mtime_ns
        facts = self.load().get(os.path.abspath(os.fspath(path)))
        return facts if facts is not None and facts.matches(size, mtime_ns) else None

    def _read_raw(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            self._say(f"cannot read the check results in {self.path} ({exc.strerror}); starting without them")
            return {}
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict) or not isinstance(raw.get("backups", {}), dict):
                raise ValueError("not a state object")
        except ValueError:
            self._say(
                f"the check results in {self.path} are corrupt; starting without them "
                "(the file is replaced on the next check)"
            )
            return {}
        return raw

    # -- writing ---------------------------------------------------------------
    def record(
        self,
        path: str | os.PathLike[str],
        kind: str,
        ok: bool,
        detail: str = "",
        extra: Mapping[str, Any] | None = None,
        *,
        size: int | None = None,
        mtime_ns: int | None = None,
        at: datetime | None = None,
    ) -> Record:
        """Record one result for the file at ``path`` and return it.

        ``size``/``mtime_ns`` identify the version of the file that was checked; give
        the values read before checking (so a file replaced during a long check is not
        credited), or leave them out to stat the file now.  A drill also bumps the
        ``drills``/``drills_ok`` counters.
        """
        return self.record_many([Finding(Path(path), kind, ok, detail, dict(extra or {}), size, mtime_ns, at)])[0]

    def record_many(self, findings: list[Finding]) -> list[Record]:
        """Record several results in one locked read-merge-write; return their records.

        Read-only mode returns the records and writes nothing.
        """
        made, items = [], []
        for r in findings:
            if r.kind not in KINDS:
                raise ValueError(f"unknown check kind {r.kind!r}")
            size, mtime_ns = r.size, r.mtime_ns
            if size is None or mtime_ns is None:
                st = os.stat(r.path, follow_symlinks=False)
                size, mtime_ns = st.st_size, st.st_mtime_ns
            record = Record(
                r.kind, (r.at or datetime.now()).replace(microsecond=0), bool(r.ok), r.detail, dict(r.extra)
            )
            made.append(record)
            items.append((self._key(r.path), size, mtime_ns, record))
        if self.read_only or not items:
            return made
        try:
            with self._locked():
                raw = self._read_raw()
                backups = {self._key(self._absolute(k)): v for k, v in raw.get("backups", {}).items()}
                for key, size, mtime_ns, record in items:
                    item = backups.get(key)
                    if not item or item.get("size") != size or item.get("mtime_ns") != mtime_ns:
                        item = {"size": size, "mtime_ns": mtime_ns}  # another version: old facts are void
                    item[record.kind] = {
                        "at": record.at.isoformat(),
                        "ok": record.ok,
                        "detail": record.detail,
                        "extra": record.extra,
                    }
                    if isinstance(record.detail, Message):  # so a screen can say it in the operator's language
                        item[record.kind]["said"] = kept(record.detail)
                    if record.kind == "drill":
                        item["drills"] = int(item.get("drills", 0)) + 1
                        item["drills_ok"] = int(item.get("drills_ok", 0)) + int(record.ok)
                    backups[key] = item
                raw["version"] = _VERSION
                raw["backups"] = {k: v for k, v in backups.items() if os.path.lexists(self._absolute(k))}
                self._write_atomic(raw)
        except OSError as exc:
            self._say(
                f"cannot save check results in {self.path.parent} ({exc.strerror}); "
                "the checks ran but will not be remembered"
            )
        return made

    @contextmanager
    def _locked(self) -> Iterator[None]:
        private.mkdirs(self.path.parent)
        fd = os.open(self.path.parent / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _write_atomic(self, raw: Mapping[str, Any]) -> None:
        private.write_atomic(self.path, json.dumps(raw, indent=1, sort_keys=True).encode("utf-8"))
        self.last_error = None

    def _say(self, sentence: str) -> None:
        self.last_error = sentence
        if sentence in _warned:
            return
        _warned.add(sentence)
        if self.log is not None:
            try:
                self.log.warn(sentence)
            except OSError:
                pass  # the log volume is the backup volume: nothing more to do
