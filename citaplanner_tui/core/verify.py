"""Verify backups: the checksum of every file against its sidecar, and optionally a deep check.

The old script's ``--verify-only`` needed a database connection, ignored the sidecars and
stopped at the first bad file.  Here:

- no database is involved, so a verify runs even while the server is down;
- every backup is checked, whatever the earlier ones gave;
- the checksum is SHA-256 over the compressed bytes, streamed in 1 MiB reads, compared
  with the sidecar (either sidecar format, see ``core.volume.catalog``);
- ``deep`` also decompresses the archive to its end in the same pass and runs the dump
  scanner over it: the header must be pg_dump's and the completion trailer present, which
  catches a dump cut short before it was compressed (its checksum matches fine) and any
  damage inside the compressed data;
- without ``deep`` the compressed container is still checked cheaply: the magic bytes
  always, and the whole container (every gzip member to its CRC, or the zstd frame)
  for files up to ``SMALL``, so a 20-byte ``.sql.gz`` left by a failed run, or a file
  cut short after compression, is FAIL without a deep verify;
- a dump without its sidecar (a run killed between publishing the two) is checked to
  its end; a complete one gets its sidecar (``reseal``), an incomplete one is recorded
  as damaged;
- symbolic links are never opened (``O_NOFOLLOW``) nor hashed: the catalog lists them
  as not ours;
- hard links (weekly/monthly share the daily's dump) are read once;
- an age-encrypted backup (``.sql.gz.age``) is checked like the others against its
  sidecar, which hashes the encrypted file, so a plain verify needs no key (its cheap
  check is the age magic line only); ``deep`` decrypts it in the same pass with the
  process's identity (``core/stream/archive.py``) and refuses in one sentence, before
  reading anything, when there is none; a file the identity does not open is a failure
  of this run (``identity``) but never recorded as damage;
- the results are kept in the state file (``core.volume.records``) in one write per run, tied
  to each file's size and mtime, so later views say "verified 3 h ago" without hashing
  again; in read-only mode nothing is written (no state, no log, no sidecar).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, TypedDict

from citaplanner_tui.core.errors import BusyError, Cancelled, ConfigError, OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.i18n import say, say_n
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.report import units
from citaplanner_tui.core.stream.age import MAGIC as AGE_MAGIC
from citaplanner_tui.core.stream.archive import CHUNK, ArchiveReader, CorruptArchive, IdentityProblem, identities
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.stream.dumpscan import DumpInfo, DumpScanner
from citaplanner_tui.core.volume import catalog, lock, private
from citaplanner_tui.core.volume.catalog import Entry, State
from citaplanner_tui.core.volume.naming import SIDECAR_SUFFIX, TIERS
from citaplanner_tui.core.volume.records import Finding, Records

# Up to this size a plain verify also decompresses the container (cheap: a few ms).
SMALL = 4 << 20
_MAGIC = {
    ".sql.gz": b"\x1f\x8b\x08",
    ".sql.zst": b"\x28\xb5\x2f\xfd",
    ".sql.gz.age": AGE_MAGIC,
    ".sql.zst.age": AGE_MAGIC,
}
# Results that say nothing about the file's health, so they are never recorded.
_UNRECORDED = ("changed", "unreadable", "identity")
_MATCHES = say("checksum matches its sidecar")


@dataclass(frozen=True)
class VerifyResult:
    """The verdict on one backup file.

    ``checksum_ok`` is None when there was nothing to compare with (no or bad sidecar);
    ``deep_ok`` is None when no deep check was asked for.  ``problem`` is a short key
    (``mismatch``, ``no_sidecar``, ``bad_sidecar``, ``unreadable``, ``changed``,
    ``truncated``, ``corrupt``, ``empty``, ``not_compressed``, ``not_a_dump``,
    ``incomplete``, ``identity``: an encrypted file the given age identity does not open) and ``detail`` the
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
    resealed: bool = False  # the missing sidecar was written by this verify

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": str(self.path),
            "tier": self.tier,
            "size": self.size,
            "ok": self.ok,
            "checksum_ok": self.checksum_ok,
            "deep_ok": self.deep_ok,
            "problem": self.problem,
            "detail": self.detail,
            "sha256": self.sha256,
            "expected": self.expected,
            "deep_problem": self.deep_problem,
            "deep_detail": self.deep_detail,
            "resealed": self.resealed,
            "seconds": round(self.seconds, 3),
        }
        if self.dump is not None:
            data["dump"] = {
                "header": self.dump.header,
                "complete": self.dump.complete,
                "bytes": self.dump.bytes,
                "server_version": _version(self.dump.server_version),
                "pg_dump_version": _version(self.dump.pg_dump_version),
                "tables": len(self.dump.rows),
                "rows": sum(self.dump.rows.values()),
            }
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
    structure: str | None = None  # the cheap container check's problem key, if any
    structure_detail: str = ""


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


def targets(settings: Settings, paths: Iterable[str | os.PathLike[str]] | None = None) -> list[Entry]:
    """The dump files to verify: every finished backup, or the named files (checked first).

    Named files must exist and be regular dump files; one sentence otherwise, before
    anything is read.
    """
    if paths is None:
        scanned = catalog.scan(settings)
        if scanned.notes:
            raise ConfigError(scanned.notes[0])
        return [e for e in scanned.backups() if e.state is not State.FOREIGN]  # never a symlink
    facts = Records(settings).load()  # once, however many files are named
    chosen = []
    for raw in paths:
        path = Path(os.path.abspath(os.fspath(raw)))
        if path.name.endswith(SIDECAR_SUFFIX):
            raise ConfigError(say("{path} is a checksum sidecar; name the backup file beside it", path=path))
        entry = catalog.entry_for(path, settings, facts=facts)
        if entry is None:
            raise ConfigError(say("no such backup file: {path}", path=path))
        if entry.state is State.FOREIGN:
            raise ConfigError(say("{path} is not a backup file of ours ({why})", path=path, why=entry.reason))
        if not entry.is_dump:
            raise ConfigError(
                say(
                    "{path} is not a dump file ({state}); name the .sql.gz or .sql.zst file",
                    path=path,
                    state=say(entry.state.word),
                )
            )
        chosen.append(entry)
    return chosen


def verify(
    settings: Settings,
    paths: Iterable[str | os.PathLike[str]] | None = None,
    deep: bool = False,
    reporter: Reporter | None = None,
) -> list[VerifyResult]:
    """Check every backup (or the named ones) and record the results; never stops early.

    Raises only for bad arguments (before any work) or when the operator cancels.
    """
    reporter = reporter or Reporter()
    entries = targets(settings, paths)
    if deep and any(e.name is not None and e.name.encrypted for e in entries):
        identities()  # no identity, or one that cannot be read: one sentence before any file is read
    store = Records(settings)
    unique = {_inode(e): e.size for e in entries if e.state is not State.UNREADABLE}
    progress = _Progress(reporter, sum(unique.values()))
    cache: _Cache = {}
    results, findings = [], []
    for entry in entries:
        if needs_reseal(entry):
            result = _reseal_locked(settings, entry, progress, cache)
        else:
            result = _verify_one(entry, deep, progress, cache)
        results.append(result)
        findings += _findings(entry, result, deep)
    store.record_many(findings)  # one write for the whole run
    reporter("done", progress.total, progress.total, say_n("{n} checked", "{n} checked", len(results)), force=True)
    if not settings.read_only:
        _log_summary(Log(settings.logs, "backup"), results, deep)
    return results


def reseal(
    entry: Entry, store: Records, log: Callable[[str, str], None], progress: _Progress | None = None
) -> VerifyResult:
    """A dump without a sidecar: check it to its end, then write its sidecar or record it damaged.

    The caller holds the volume's lock (a backup run, or ``verify``).  ``log(level,
    message)`` says what was done.
    """
    result = _verify_one(entry, True, progress or _Progress(Reporter(), entry.size), {}, seal=True)
    store.record_many(_findings(entry, result, True))
    if result.resealed:
        log("INFO", f"wrote the missing sidecar of {entry.path.name}: the dump is complete")
    elif result.problem not in _UNRECORDED:
        log("WARN", f"{entry.path.name} has no sidecar and is damaged: {result.detail}")
    return result


def needs_reseal(entry: Entry) -> bool:
    """A dump of ours, in its folder, that lost its sidecar, and is not already known to be damaged
    (so a broken multi-GB dump is read to its end once, not every night)."""
    return (
        entry.sidecar is None
        and entry.is_dump
        and entry.folder in TIERS
        and entry.deep_ok is not False
        and entry.state in (State.NO_SIDECAR, State.CORRUPT)
    )


def _reseal_locked(settings: Settings, entry: Entry, progress: _Progress, cache: _Cache) -> VerifyResult:
    """``reseal`` under the volume's lock; read-only or a running backup: check only, write nothing."""
    if settings.read_only:
        return _verify_one(entry, True, progress, cache)
    try:
        with lock.hold(settings.backup_dir, "verify"):
            return _verify_one(entry, True, progress, cache, seal=True)
    except BusyError:
        return _verify_one(entry, True, progress, cache)


# One read per file, shared by its hard links: keyed by _inode().
_Cache = dict[tuple[object, ...], "_Read | OperatorError"]


class _Common(TypedDict):
    """What every result of one entry starts with."""

    path: Path
    tier: str
    size: int


def _inode(e: Entry) -> tuple[object, ...]:
    return (e.dev, e.inode, e.size, e.mtime_ns) if e.inode else (str(e.path),)


def _verify_one(entry: Entry, deep: bool, progress: _Progress, cache: _Cache, *, seal: bool = False) -> VerifyResult:
    """The verdict on one file; ``seal``: write the sidecar of a complete dump that has none."""
    base = _Common(path=entry.path, tier=entry.tier, size=entry.size)
    if entry.state is State.UNREADABLE:
        return VerifyResult(
            **base,
            ok=False,
            checksum_ok=None,
            deep_ok=None,
            problem="unreadable",
            detail=say("{name} cannot be read: {why}", name=entry.path.name, why=entry.reason),
        )
    key = _inode(entry)
    cached = cache.get(key)
    if cached is None or (deep and isinstance(cached, _Read) and cached.dump is None):
        progress.start(entry.path.name)
        try:
            cache[key] = _read(entry, deep, progress)
        except Cancelled:
            raise
        except OperatorError as exc:
            cache[key] = exc
    read = cache[key]
    if isinstance(read, OperatorError):
        if not os.path.lexists(entry.path):  # removed since the listing (a prune): gone, not damaged
            return _changed(base, entry)
        why = "identity" if isinstance(read, IdentityProblem) else "unreadable"
        return VerifyResult(**base, ok=False, checksum_ok=None, deep_ok=None, problem=why, detail=read.sentence)
    try:
        st = os.stat(entry.path, follow_symlinks=False)
        changed = (st.st_size, st.st_mtime_ns) != (entry.size, entry.mtime_ns)
    except OSError:
        changed = True
    if changed:
        return _changed(base, entry, read)
    checksum_ok, problem, detail, expected = _compare(entry, read.sha256)
    deep_ok = read.deep_problem is None if deep else None
    resealed = False
    if entry.sidecar is None and deep_ok and seal:
        resealed = _write_sidecar(entry.path, read.sha256)
        if resealed:
            checksum_ok, problem, expected = True, None, read.sha256
    if problem == "no_sidecar" and deep_ok and entry.folder in TIERS:
        detail = say(
            "{problem}; the dump is complete, and its sidecar is written by the next verify or backup "
            "outside read-only mode, when no backup is running",
            problem=detail,
        )
    elif problem == "no_sidecar" and deep_ok:  # see needs_reseal: nothing writes beside a stranger's folder
        detail = say(
            "{problem}; the dump is complete, but it lies outside the tier folders of BACKUP_DIR, where no "
            "verify writes a sidecar: copy it into one and verify it there",
            problem=detail,
        )
    if read.structure is not None and checksum_ok is not False:  # a mismatch is the first thing to say
        problem, detail = read.structure, read.structure_detail
    if deep_ok is False and checksum_ok is not False:
        problem, detail = read.deep_problem, read.deep_detail
    ok = checksum_ok is True and deep_ok is not False and read.structure is None
    if resealed:
        problem, detail = (
            None,
            say(
                "it had no sidecar (a run was stopped before writing it); the dump is "
                "complete, so its sidecar was written; {deep}",
                deep=read.deep_detail,
            ),
        )
    elif ok:
        detail = say("checksum matches its sidecar; {deep}", deep=read.deep_detail) if deep else _MATCHES
        problem = None
    return VerifyResult(
        **base,
        ok=ok,
        checksum_ok=checksum_ok,
        deep_ok=deep_ok,
        problem=problem,
        detail=detail,
        sha256=read.sha256,
        expected=expected,
        dump=read.dump,
        deep_problem=read.deep_problem,
        deep_detail=read.deep_detail,
        seconds=read.seconds,
        resealed=resealed,
    )


def _changed(base: _Common, entry: Entry, read: _Read | None = None) -> VerifyResult:
    """The file is not what was listed any more (rewritten, or removed by a prune meanwhile): no verdict."""
    return VerifyResult(
        **base,
        ok=False,
        checksum_ok=None,
        deep_ok=None,
        problem="changed",
        detail=say("{name} changed or vanished while it was being checked; check it again", name=entry.path.name),
        sha256=read.sha256 if read else None,
        seconds=read.seconds if read else 0.0,
    )


def _write_sidecar(dump: Path, sha256: str) -> bool:
    """The sidecar a backup would have written; False if one appeared meanwhile or it cannot be written."""
    final = dump.with_name(dump.name + SIDECAR_SUFFIX)
    if os.path.lexists(final):
        return False
    try:
        private.write_atomic(final, catalog.sidecar_line(dump.name, sha256).encode())
    except OSError:
        return False
    return True


def _compare(entry: Entry, sha256: str) -> tuple[bool | None, str | None, str, str | None]:
    """``(checksum_ok, problem, detail, expected)`` against the entry's sidecar."""
    name = entry.path.name
    if entry.sidecar is None:
        return (
            None,
            "no_sidecar",
            say("{name} has no .sha256 sidecar, so its checksum cannot be checked", name=name),
            None,
        )
    recorded = entry.read_sidecar()
    if recorded is None:
        return None, "bad_sidecar", say("the sidecar of {name} holds no SHA-256 checksum", name=name), None
    expected = recorded[0]
    if expected != sha256:
        return (
            False,
            "mismatch",
            say(
                "{name} does not match its sidecar: the file's SHA-256 is {actual}..., the sidecar says {expected}...",
                name=name,
                actual=sha256[:12],
                expected=expected[:12],
            ),
            expected,
        )
    return True, None, "", expected


def _read(entry: Entry, deep: bool, progress: _Progress) -> _Read:
    started = time.monotonic()
    if not deep:
        read = _read_container(entry, progress)
        read.seconds = time.monotonic() - started
        return read
    reader = ArchiveReader(entry.path, on_read=progress.at, nofollow=True)
    scanner = DumpScanner()
    problem, detail = None, ""
    try:
        for chunk in reader:
            scanner.feed(chunk)
    except CorruptArchive as exc:
        problem, detail = _archive_problem(exc), exc.sentence
        # The checksum still covers the whole file: hash what the decompressor did not read.
        _hash_from(entry.path, reader.compressed_bytes, reader.hasher, progress)
    info = scanner.info
    if problem is None and not info.header:
        problem, detail = "not_a_dump", say("{name} does not start like a PostgreSQL plain dump", name=entry.path.name)
    elif problem is None and not info.complete:
        problem, detail = (
            "incomplete",
            say(
                "{name} ends before pg_dump's completion line: the dump was cut short before it was compressed",
                name=entry.path.name,
            ),
        )
    elif problem is None:
        detail = say(
            "a complete dump of {tables} tables, {rows} rows", tables=len(info.rows), rows=sum(info.rows.values())
        )
    return _Read(reader.sha256, info, problem, detail, time.monotonic() - started)


def _read_container(entry: Entry, progress: _Progress) -> _Read:
    """The checksum, plus the cheap container check: magic bytes, and the whole container if small."""
    name = entry.path.name
    if entry.size <= SMALL and not (entry.name and entry.name.encrypted):  # decrypting needs the key
        reader = ArchiveReader(entry.path, on_read=progress.at, nofollow=True)
        raw = 0
        try:
            for chunk in reader:
                raw += len(chunk)
        except CorruptArchive as exc:
            _hash_from(entry.path, reader.compressed_bytes, reader.hasher, progress)
            return _Read(reader.sha256, structure=_archive_problem(exc), structure_detail=exc.sentence)
        if raw == 0:
            return _Read(
                reader.sha256,
                structure="empty",
                structure_detail=say("{name} decompresses to nothing: it holds no dump", name=name),
            )
        return _Read(reader.sha256)
    hasher = hashlib.sha256()
    head = _hash_from(entry.path, 0, hasher, progress)
    magic = _MAGIC.get(entry.name.ext if entry.name else "", b"")
    if not head.startswith(magic):
        return _Read(
            hasher.hexdigest(),
            structure="not_compressed",
            structure_detail=say(
                "{name} does not start like a {kind} file",
                name=name,
                kind=entry.name.ext if entry.name else say("compressed"),
            ),
        )
    return _Read(hasher.hexdigest())


def _archive_problem(exc: CorruptArchive) -> str:
    return "truncated" if " is truncated" in exc.sentence else "corrupt"


def _hash_from(path: Path, offset: int, hasher: hashlib._Hash, progress: _Progress) -> bytes:
    """Hash ``path`` from ``offset`` to its end (never through a symlink); return its first bytes read."""
    head = b""
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb") as fh:
            fh.seek(offset)
            done = offset
            while chunk := fh.read(CHUNK):
                head = head or chunk[:32]  # the longest magic: age's line, 22 bytes
                hasher.update(chunk)
                done += len(chunk)
                progress.at(done)
    except OSError as exc:
        raise OperatorError(say("cannot read {path}: {why}", path=path, why=exc.strerror)) from None
    return head


def _findings(entry: Entry, result: VerifyResult, deep: bool) -> list[Finding]:
    """What to remember of one result (nothing when the file changed or could not be read)."""
    if result.problem in _UNRECORDED:
        return []
    sidecar = entry.sidecar or (entry.path.with_name(entry.path.name + SIDECAR_SUFFIX) if result.resealed else None)
    sidecar_mtime = None
    if sidecar is not None:
        try:
            sidecar_mtime = os.stat(sidecar, follow_symlinks=False).st_mtime_ns
        except OSError:
            pass
    checksum_problem = None if result.checksum_ok else _checksum_problem(result, entry)
    structure = (
        result.problem
        if result.problem in ("empty", "not_compressed", "truncated", "corrupt") and result.deep_ok is None
        else None
    )
    extra = {"problem": checksum_problem, "sha256": result.sha256, "sidecar_mtime_ns": sidecar_mtime}
    if structure:
        extra.update(structure=structure, structure_detail=result.detail)
    findings = [
        Finding(
            entry.path,
            "verify",
            result.checksum_ok is True,
            _MATCHES if result.checksum_ok else result.detail,
            extra,
            size=entry.size,
            mtime_ns=entry.mtime_ns,
        )
    ]
    if deep or result.deep_ok is not None:
        findings.append(
            Finding(
                entry.path,
                "deep",
                bool(result.deep_ok),
                result.deep_detail,
                {"problem": result.deep_problem, **result.to_json().get("dump", {})},
                size=entry.size,
                mtime_ns=entry.mtime_ns,
            )
        )
    return findings


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
            log.ok(f"{what}: {units.every(len(results), 'passed')}")
    except OSError:
        pass  # a read-only log volume must not hide the verdicts, which the caller prints
