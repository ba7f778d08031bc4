"""Verify backups: the checksum of every file against its sidecar, and optionally a deep check.

The old script's ``--verify-only`` needed a database connection, ignored the sidecars and
stopped at the first bad file.  Here:

- no database is involved, so a verify runs even while the server is down;
- every backup is checked, whatever the earlier ones gave;
- the checksum is SHA-256 over the compressed bytes, streamed in 1 MiB reads, compared
  with the sidecar (either sidecar format, see ``core.catalog``);
- ``deep`` also decompresses the archive to its end in the same pass and runs the dump
  scanner over it: the header must be pg_dump's and the completion trailer present, which
  catches a dump cut short before it was compressed (its checksum matches fine) and any
  damage inside the compressed data;
- hard links (weekly/monthly share the daily's dump) are read once;
- each result is kept in the state file (``core.state``), tied to the file's size and
  mtime, so later views say "verified 3 h ago" without hashing again.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from citaplanner_tui.core import catalog
from citaplanner_tui.core.archive import CHUNK, ArchiveReader, CorruptArchive
from citaplanner_tui.core.catalog import Entry, State
from citaplanner_tui.core.dumpscan import DumpInfo, DumpScanner
from citaplanner_tui.core.errors import Cancelled, ConfigError, OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.logs import Log
from citaplanner_tui.core.naming import SIDECAR_SUFFIX
from citaplanner_tui.core.state import StateStore


@dataclass(frozen=True)
class VerifyResult:
    """The verdict on one backup file.

    ``checksum_ok`` is None when there was nothing to compare with (no or bad sidecar);
    ``deep_ok`` is None when no deep check was asked for.  ``problem`` is a short key
    (``mismatch``, ``no_sidecar``, ``bad_sidecar``, ``unreadable``, ``changed``,
    ``truncated``, ``corrupt``, ``not_a_dump``, ``incomplete``) and ``detail`` the
    sentence an operator reads; a checksum problem is named before a deep one, whose
    own key and sentence stay in ``deep_problem``/``deep_detail``.
    """

    path: Path
    tier: str
    size: int
    ok: bool
    checksum_ok: bool | None
    deep_ok: bool | None
    problem: str | None = None
    detail: str = ""
    sha256: str | None = None
    expected: str | None = None
    dump: DumpInfo | None = None
    deep_problem: str | None = None
    deep_detail: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict:
        data = {"path": str(self.path), "tier": self.tier, "size": self.size, "ok": self.ok,
                "checksum_ok": self.checksum_ok, "deep_ok": self.deep_ok, "problem": self.problem,
                "detail": self.detail, "sha256": self.sha256, "expected": self.expected,
                "deep_problem": self.deep_problem, "deep_detail": self.deep_detail,
                "seconds": round(self.seconds, 3)}
        if self.dump is not None:
            data["dump"] = {"header": self.dump.header, "complete": self.dump.complete,
                            "bytes": self.dump.bytes,
                            "server_version": _version(self.dump.server_version),
                            "pg_dump_version": _version(self.dump.pg_dump_version),
                            "tables": len(self.dump.rows), "rows": sum(self.dump.rows.values())}
        return data


def _version(v: tuple[int, int] | None) -> str | None:
    return f"{v[0]}.{v[1]}" if v else None


@dataclass
class _Read:
    """What reading one file's bytes gave (shared between hard links of the same file)."""

    sha256: str
    dump: DumpInfo | None = None
    deep_problem: str | None = None
    deep_detail: str = ""
    seconds: float = 0.0


@dataclass
class _Progress:
    """Bytes read across all files, as one bar; checks for a cancel between chunks."""

    reporter: Reporter
    total: int
    done: int = 0
    name: str = ""
    _base: int = field(default=0, repr=False)

    def start(self, name: str) -> None:
        self._base, self.name = self.done, name
        self.reporter("verify", self.done, self.total, name, force=True)

    def at(self, in_file: int) -> None:
        self.done = self._base + in_file
        self.reporter("verify", self.done, self.total, self.name)
        self.reporter.check_cancel()


def targets(settings, paths: Iterable | None = None) -> list[Entry]:
    """The dump files to verify: every finished backup, or the named files (checked first).

    Named files must exist and be regular dump files; one sentence otherwise, before
    anything is read.
    """
    if paths is None:
        scanned = catalog.scan(settings)
        if scanned.notes:
            raise ConfigError(scanned.notes[0])
        return scanned.backups()
    store = StateStore(settings)
    chosen = []
    for raw in paths:
        path = Path(os.path.abspath(os.fspath(raw)))
        if path.name.endswith(SIDECAR_SUFFIX):
            raise ConfigError(f"{path} is a checksum sidecar; name the backup file beside it")
        entry = catalog.describe(path, settings, store=store)
        if entry is None:
            raise ConfigError(f"no such backup file: {path}")
        if entry.state is State.FOREIGN:
            raise ConfigError(f"{path} is not a backup file of ours ({entry.reason})")
        if not entry.is_dump:
            raise ConfigError(f"{path} is not a dump file ({entry.state.word}); name the .sql.gz or .sql.zst file")
        chosen.append(entry)
    return chosen


def verify(settings, paths: Iterable | None = None, deep: bool = False,
           reporter: Reporter | None = None) -> list[VerifyResult]:
    """Check every backup (or the named ones) and record the results; never stops early.

    Raises only for bad arguments (before any work) or when the operator cancels.
    """
    reporter = reporter or Reporter()
    entries = targets(settings, paths)
    store = StateStore(settings)
    log = Log(settings.logs, "backup")
    unique = {_inode(e): e.size for e in entries if e.state is not State.UNREADABLE}
    progress = _Progress(reporter, sum(unique.values()))
    cache: dict[tuple, _Read | OperatorError] = {}
    results = []
    for entry in entries:
        result = _verify_one(entry, deep, progress, cache)
        results.append(result)
        _record(store, entry, result, deep)
    reporter("done", progress.total, progress.total, f"{len(results)} checked", force=True)
    _log_summary(log, results, deep)
    return results


def _inode(e: Entry) -> tuple:
    return (e.dev, e.inode, e.size, e.mtime_ns) if e.inode else (str(e.path),)


def _verify_one(entry: Entry, deep: bool, progress: _Progress, cache: dict) -> VerifyResult:
    base = dict(path=entry.path, tier=entry.tier, size=entry.size)
    if entry.state is State.UNREADABLE:
        return VerifyResult(**base, ok=False, checksum_ok=None, deep_ok=None, problem="unreadable",
                            detail=f"{entry.path.name} cannot be read: {entry.reason}")
    key = _inode(entry)
    if key not in cache:
        progress.start(entry.path.name)
        try:
            cache[key] = _read(entry, deep, progress)
        except Cancelled:
            raise
        except OperatorError as exc:
            cache[key] = exc
    read = cache[key]
    if isinstance(read, OperatorError):
        return VerifyResult(**base, ok=False, checksum_ok=None, deep_ok=None, problem="unreadable",
                            detail=read.sentence)
    try:
        st = os.stat(entry.path, follow_symlinks=False)
        changed = (st.st_size, st.st_mtime_ns) != (entry.size, entry.mtime_ns)
    except OSError:
        changed = True
    if changed:
        return VerifyResult(**base, ok=False, checksum_ok=None, deep_ok=None, problem="changed",
                            detail=f"{entry.path.name} changed or vanished while it was being checked; "
                                   "check it again", sha256=read.sha256, seconds=read.seconds)
    checksum_ok, problem, detail, expected = _compare(entry, read.sha256)
    deep_ok = read.deep_problem is None if deep else None
    if deep_ok is False and checksum_ok is not False:  # a mismatch is the first thing to say
        problem, detail = read.deep_problem, read.deep_detail
    ok = checksum_ok is True and deep_ok is not False
    if ok:
        problem, detail = None, "checksum matches its sidecar" + (f"; {read.deep_detail}" if deep else "")
    return VerifyResult(**base, ok=ok, checksum_ok=checksum_ok, deep_ok=deep_ok, problem=problem, detail=detail,
                        sha256=read.sha256, expected=expected, dump=read.dump, deep_problem=read.deep_problem,
                        deep_detail=read.deep_detail, seconds=read.seconds)


def _compare(entry: Entry, sha256: str) -> tuple[bool | None, str | None, str, str | None]:
    """``(checksum_ok, problem, detail, expected)`` against the entry's sidecar."""
    name = entry.path.name
    if entry.sidecar is None:
        return None, "no_sidecar", f"{name} has no .sha256 sidecar, so its checksum cannot be checked", None
    recorded = entry.read_sidecar()
    if recorded is None:
        return None, "bad_sidecar", f"the sidecar of {name} holds no SHA-256 checksum", None
    expected = recorded[0]
    if expected != sha256:
        return False, "mismatch", (f"{name} does not match its sidecar: the file's SHA-256 is "
                                   f"{sha256[:12]}..., the sidecar says {expected[:12]}..."), expected
    return True, None, "", expected


def _read(entry: Entry, deep: bool, progress: _Progress) -> _Read:
    started = time.monotonic()
    if not deep:
        hasher = hashlib.sha256()
        _hash_from(entry.path, 0, hasher, progress)
        return _Read(hasher.hexdigest(), seconds=time.monotonic() - started)
    reader = ArchiveReader(entry.path, on_read=progress.at)
    scanner = DumpScanner()
    problem, detail = None, ""
    try:
        for chunk in reader:
            scanner.feed(chunk)
    except CorruptArchive as exc:
        problem = "truncated" if " is truncated" in exc.sentence else "corrupt"
        detail = exc.sentence
        # The checksum still covers the whole file: hash what the decompressor did not read.
        _hash_from(entry.path, reader.compressed_bytes, reader.hasher, progress)
    info = scanner.info
    if problem is None and not info.header:
        problem, detail = "not_a_dump", f"{entry.path.name} does not start like a PostgreSQL plain dump"
    elif problem is None and not info.complete:
        problem, detail = "incomplete", (f"{entry.path.name} ends before pg_dump's completion line: "
                                         "the dump was cut short before it was compressed")
    elif problem is None:
        detail = f"a complete dump of {len(info.rows)} tables, {sum(info.rows.values())} rows"
    return _Read(reader.sha256, info, problem, detail, time.monotonic() - started)


def _hash_from(path: Path, offset: int, hasher, progress: _Progress) -> None:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            done = offset
            while chunk := fh.read(CHUNK):
                hasher.update(chunk)
                done += len(chunk)
                progress.at(done)
    except OSError as exc:
        raise OperatorError(f"cannot read {path}: {exc.strerror}") from None


def _record(store: StateStore, entry: Entry, result: VerifyResult, deep: bool) -> None:
    if result.problem in ("changed", "unreadable"):
        return  # nothing true to remember about this version of the file
    sidecar_mtime = None
    if entry.sidecar is not None:
        try:
            sidecar_mtime = os.stat(entry.sidecar, follow_symlinks=False).st_mtime_ns
        except OSError:
            pass
    checksum_problem = None if result.checksum_ok else _checksum_problem(result, entry)
    store.record(entry.path, "verify", result.checksum_ok is True,
                 "checksum matches its sidecar" if result.checksum_ok else result.detail,
                 {"problem": checksum_problem, "sha256": result.sha256, "sidecar_mtime_ns": sidecar_mtime},
                 size=entry.size, mtime_ns=entry.mtime_ns)
    if deep:
        store.record(entry.path, "deep", bool(result.deep_ok), result.deep_detail,
                     {"problem": result.deep_problem, **result.to_json().get("dump", {})},
                     size=entry.size, mtime_ns=entry.mtime_ns)


def _checksum_problem(result: VerifyResult, entry: Entry) -> str:
    if result.checksum_ok is False:
        return "mismatch"
    return "no_sidecar" if entry.sidecar is None else "bad_sidecar"


def _log_summary(log: Log, results: list[VerifyResult], deep: bool) -> None:
    what = "deep verify" if deep else "verify"
    bad = [r for r in results if not r.ok]
    try:
        for r in bad:
            log.error(f"{what}: {r.detail}")
        if bad:
            log.error(f"{what}: {len(bad)} of {len(results)} backups failed")
        else:
            log.ok(f"{what}: all {len(results)} backups passed")
    except OSError:
        pass  # a read-only log volume must not hide the verdicts, which the caller prints
