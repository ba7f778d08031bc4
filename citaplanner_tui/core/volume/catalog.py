"""The backup catalog: every file on the backup volume, what it is, and what state it is in.

``scan()`` lists ``BACKUP_DIR/{daily,weekly,monthly,manual,safety}`` (and any other
folder, or the volume's top level, holding files named like ours), pairs each dump with
its ``.sha256`` sidecar by file name, and names a state for every file, so the status
command, retention and the console all see the same picture.

Scanning never hashes and never follows a symbolic link: it costs one ``scandir`` per
folder and one ``lstat`` per file (10,000 backups scan in a fraction of the 200 ms
budget; see ``bench/scan.py``).  Sidecars are read only when their content is asked for
(``Entry.recorded_hash``).  What earlier checks found (verify, deep verify, restore
drills) comes from the state file (``core.volume.records``) and is merged in while the file's
size and mtime are unchanged.

Files that are not ours (unknown names, symlinks, folders, devices) in a tier folder are
listed as ``State.FOREIGN`` so an operator sees them; nothing in this project deletes
or rewrites them.
"""

from __future__ import annotations

import os
import re
import stat as statmod
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from functools import cached_property, lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Iterator, NamedTuple

from citaplanner_tui.core.i18n import N_
from citaplanner_tui.core.volume.naming import (
    COMPANION_SUFFIXES,
    PARTIAL_SUFFIX,
    SIDECAR_SUFFIX,
    TIERS,
    BackupName,
    parse_name,
)
from citaplanner_tui.core.volume.records import Facts, Records


# The smallest compressed pg_dump is far larger (its header comments alone deflate to
# ~250 bytes); anything smaller is left by a run that failed (gzip of nothing is 20 bytes).
MIN_DUMP_BYTES = 64


class State(str, Enum):
    """The state of one catalog entry; ``word`` is what an operator reads (English; screens show ``_(word)``)."""

    OK = "ok"
    MISMATCH = "mismatch"
    CORRUPT = "corrupt"
    BAD_SIDECAR = "bad_sidecar"
    NO_SIDECAR = "no_sidecar"
    ORPHAN_SIDECAR = "orphan_sidecar"
    PARTIAL = "partial"
    UNREADABLE = "unreadable"
    FOREIGN = "foreign"

    @property
    def word(self) -> str:
        return _WORDS[self]


_WORDS = {
    State.OK: N_("ok"),
    State.MISMATCH: N_("checksum mismatch"),
    State.CORRUPT: N_("damaged"),
    State.BAD_SIDECAR: N_("bad sidecar"),
    State.NO_SIDECAR: N_("no sidecar"),
    State.ORPHAN_SIDECAR: N_("sidecar without dump"),
    State.PARTIAL: N_("unfinished"),
    State.UNREADABLE: N_("unreadable"),
    State.FOREIGN: N_("not ours"),
}

# ``HASH  name`` (text mode), ``HASH *name`` (binary mode), or BSD ``SHA256 (name) = HASH``.
_GNU_LINE = re.compile(r"^\\?([0-9a-fA-F]{64}) [ *](.+)$")
_BSD_LINE = re.compile(r"^SHA256 \((.+)\) = ([0-9a-fA-F]{64})$")


def parse_sidecar(text: str) -> tuple[str, str] | None:
    """``(hash, recorded name or path)`` from a sidecar's first line, or None if it holds no SHA-256.

    The old script wrote ``HASH  /absolute/path`` (``sha256sum "$path"``); we write
    ``HASH  basename`` so ``sha256sum -c`` works inside the folder.  Both are accepted;
    pairing is always by the sidecar's own file name, never by the recorded path.
    """
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    if match := _GNU_LINE.match(first):
        return match[1].lower(), match[2]
    if match := _BSD_LINE.match(first):
        return match[2].lower(), match[1]
    return None


def sidecar_line(name: str, sha256: str) -> str:
    """What we write in a sidecar: ``HASH  basename``, so ``sha256sum -c`` works inside the folder."""
    return f"{sha256}  {name}\n"


def read_sidecar(path: Path) -> tuple[str, str] | None:
    """Parse the sidecar at ``path``; None when it cannot be read or holds no SHA-256."""
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb") as fh:
            text = fh.read(8192).decode("utf-8", "replace")
    except OSError:
        return None
    return parse_sidecar(text)


def _fact(kind: str, attr: str, default=None) -> property:
    """A read-only view of one field of the entry's last ``kind`` check."""

    def get(entry: Entry):
        check = getattr(entry.checks, kind, None) if entry.checks is not None else None
        return getattr(check, attr) if check is not None else default

    return property(get, doc=f"``{attr}`` of the last {kind} check, or {default!r} if never checked")


class Entry(NamedTuple):
    """One file (or unreadable folder) on the backup volume; immutable.

    A NamedTuple rather than a frozen dataclass: building one is 5x cheaper, which is a
    quarter of a 10,000-file scan.  Use ``entry._replace(...)`` to derive a changed copy.

    ``tier`` is the tier folder the file sits in (or, outside the tier folders, the tier
    its name says).  ``taken_at`` comes from the name (naive local time, as the old
    script wrote it); ``mtime`` is the file's own.  ``reason`` says why the state is not
    plain ok.  ``checks`` holds what the state file knows about this very version of the
    file; the ``last_*``/``*_ok`` properties read it (None = never checked).
    """

    path: Path
    name: BackupName | None
    tier: str
    taken_at: datetime | None
    size: int
    mtime_ns: int
    state: State
    sidecar: Path | None = None
    reason: str = ""
    folder: str = ""
    dev: int = 0
    inode: int = 0
    checks: Facts | None = None
    companions: tuple[Path, ...] = ()  # the dump's manifest and globals files, when present

    # What earlier checks found, for this very version of the file (None = never checked).
    last_verified_at = _fact("verify", "at")
    verify_ok = _fact("verify", "ok")
    verify_detail = _fact("verify", "detail", "")
    last_deep_at = _fact("deep", "at")
    deep_ok = _fact("deep", "ok")
    deep_detail = _fact("deep", "detail", "")
    last_drill_at = _fact("drill", "at")
    drill_ok = _fact("drill", "ok")
    drill_detail = _fact("drill", "detail", "")

    @property
    def drills(self) -> int:
        return self.checks.drills if self.checks else 0

    @property
    def drills_ok(self) -> int:
        return self.checks.drills_ok if self.checks else 0

    @property
    def mtime(self) -> datetime:
        return datetime.fromtimestamp(self.mtime_ns / 1e9)

    @property
    def when(self) -> datetime:
        """The time to sort and age by: the name's timestamp, else the file's mtime."""
        return self.taken_at or self.mtime

    @property
    def is_dump(self) -> bool:
        """A finished dump file named like ours (whatever its state), not a sidecar or partial."""
        return self.name is not None and self.path.name == self.name.filename

    @property
    def good(self) -> bool:
        """Usable for a restore as far as we know: a dump with a sidecar and no failed check."""
        return self.state is State.OK

    def read_sidecar(self) -> tuple[str, str] | None:
        """``(hash, recorded name or path)`` from the sidecar, read now; None without one."""
        return read_sidecar(self.sidecar) if self.sidecar is not None else None

    @property
    def recorded_hash(self) -> str | None:
        """The SHA-256 the sidecar records (reads the sidecar), or None."""
        content = self.read_sidecar()
        return content[0] if content else None

    @property
    def recorded_path(self) -> str | None:
        """The name or path written in the sidecar, as written (reads the sidecar)."""
        content = self.read_sidecar()
        return content[1] if content else None

    @property
    def sidecar_elsewhere(self) -> str | None:
        """A sentence when the sidecar records another path (old script, moved folder), else None.

        Such a sidecar still pairs with this dump by file name; only ``sha256sum -c``
        run by hand would look in the wrong place.
        """
        recorded = self.recorded_path
        if not recorded or recorded.lstrip("*") in (self.path.name, str(self.path)):
            return None
        return f"the sidecar records {recorded}, not this file's path; it is paired with {self.path.name} by file name"


@dataclass(frozen=True)
class Catalog:
    """All entries of one scan, newest first, with the look-ups every view needs."""

    backup_dir: Path
    entries: tuple[Entry, ...]
    scanned_at: datetime
    notes: tuple[str, ...] = ()  # sentences about the volume itself (missing, unreadable)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def by_tier(self, tier: str) -> list[Entry]:
        return [e for e in self.entries if e.tier == tier]

    @cached_property
    def _dumps(self) -> tuple[Entry, ...]:
        # Worked out once per scan: status and the console ask for it a dozen times.
        return tuple(e for e in self.entries if e.is_dump)

    def backups(self, tier: str | None = None) -> list[Entry]:
        """Finished dump files (any state), newest first."""
        return [e for e in self._dumps if tier is None or e.tier == tier]

    def newest(self, tier: str) -> Entry | None:
        return next(iter(self.backups(tier)), None)

    def newest_good(self, tier: str | None = None) -> Entry | None:
        return next((e for e in self.backups(tier) if e.good), None)

    def tiers(self) -> list[str]:
        """Our tiers in their usual order, then any other tier that has entries."""
        seen = {e.tier for e in self.entries if e.tier}
        return [t for t in TIERS if t in seen] + sorted(seen - set(TIERS))

    def counts(self, tier: str | None = None) -> dict[State, int]:
        """Entries per state (every state present, zero when none)."""
        counts = dict.fromkeys(State, 0)
        for e in self.entries:
            if tier is None or e.tier == tier:
                counts[e.state] += 1
        return counts

    def find(self, path) -> Entry | None:
        target = os.path.abspath(os.fspath(path))
        return next((e for e in self.entries if str(e.path) == target), None)


def scan(where, *, store: Records | None = None, now: datetime | None = None) -> Catalog:
    """Scan the backup volume of ``where`` (a ``Settings`` or a backup folder path).

    Never raises for the volume's condition: a missing or unlistable folder becomes a
    note or an ``UNREADABLE`` entry, so status can still report.
    """
    backup_dir = Path(os.path.abspath(os.fspath(getattr(where, "backup_dir", where))))
    facts = (store or Records(where)).load()
    scanned_at = now or datetime.now()
    try:
        top = list(os.scandir(backup_dir))
    except FileNotFoundError:
        return Catalog(backup_dir, (), scanned_at, (f"the backup folder {backup_dir} does not exist",))
    except OSError as exc:
        return Catalog(backup_dir, (), scanned_at, (f"cannot list the backup folder {backup_dir}: {exc.strerror}",))
    entries: list[Entry] = []
    _scan_folder(backup_dir, "", top, False, facts, entries)
    folders = [e for e in top if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
    folders.sort(key=lambda e: (e.name not in TIERS, e.name))
    for folder in folders:
        is_tier = folder.name in TIERS
        try:
            listing = list(os.scandir(folder.path))
        except OSError as exc:
            if is_tier:
                entries.append(
                    Entry(
                        Path(folder.path),
                        None,
                        folder.name,
                        None,
                        0,
                        0,
                        State.UNREADABLE,
                        reason=f"cannot list this folder: {exc.strerror}",
                        folder=folder.name,
                    )
                )
            continue
        _scan_folder(Path(folder.path), folder.name, listing, is_tier, facts, entries)
    for e in top:  # a symlinked tier folder is shown, not followed
        if e.name in TIERS and e.is_symlink():
            entries.append(_foreign(backup_dir, e, e.name, "a symbolic link to a folder (never followed)"))
    # Newest first; at the same moment daily before weekly before monthly; then by name
    # (folders were listed in name order and the sort is stable, even reversed).
    rank = {tier: -i for i, tier in enumerate(TIERS)}
    entries.sort(key=lambda e: (e.taken_at or e.mtime, rank.get(e.tier, -9)), reverse=True)
    return Catalog(backup_dir, tuple(entries), scanned_at)


def entry_for(path, where=None, *, store: Records | None = None, facts: dict[str, Facts] | None = None) -> Entry | None:
    """The entry for one file, exactly as a scan of its folder would give it; None if absent.

    For files named on a command line, which may lie outside ``BACKUP_DIR``; facts come
    from ``where``'s state file (a ``Settings`` or backup folder; default: the folder's
    parent, the usual ``BACKUP_DIR``), or from ``facts`` already loaded (many files).
    """
    path = Path(os.path.abspath(os.fspath(path)))
    folder = path.parent
    if facts is None:
        facts = (store or Records(where if where is not None else folder.parent)).load()
    wanted = {path.name + suffix for suffix in ("", SIDECAR_SUFFIX) + COMPANION_SUFFIXES}
    try:
        listing = [e for e in os.scandir(folder) if e.name in wanted]
    except OSError:
        return None
    out: list[Entry] = []
    _scan_folder(folder, folder.name, listing, True, facts, out)
    return next((e for e in out if e.path == path), None)


def _scan_folder(
    folder: Path, label: str, listing: list[os.DirEntry], is_tier: bool, facts: dict[str, Facts], out: list[Entry]
) -> None:
    """Classify one folder's files; outside tier folders only files named like ours count."""
    dumps: dict[str, tuple[os.DirEntry, BackupName]] = {}
    sidecars: dict[str, os.DirEntry] = {}
    companions: dict[str, list[os.DirEntry]] = {}
    shielded: set[str] = set()  # dump names that are symlinks or not files: their sidecars are not orphans
    for e in sorted(listing, key=attrgetter("name")):
        name = e.name
        partial = name.endswith(PARTIAL_SUFFIX)
        base = name[: -len(PARTIAL_SUFFIX)] if partial else name
        suffix = _companion_suffix(base)
        if suffix:
            if not partial and e.is_file(follow_symlinks=False):
                owner = base[: -len(suffix)]  # parsed later, only if it has no dump
                if suffix == SIDECAR_SUFFIX:
                    sidecars[owner] = e
                else:
                    companions.setdefault(owner, []).append(e)
                continue
            base = base[: -len(suffix)]
        parsed = _parse(base)
        if parsed is None:
            if is_tier:
                out.append(_foreign(folder, e, label, _foreign_reason(e)))
        elif e.is_symlink():
            out.append(_foreign(folder, e, label, "a symbolic link (never followed)", parsed))
            shielded.add(name)
        elif not e.is_file(follow_symlinks=False):
            out.append(_foreign(folder, e, label, "not a regular file", parsed))
            shielded.add(name)
        elif partial:
            out.append(
                _plain(
                    folder,
                    e,
                    label,
                    parsed,
                    State.PARTIAL,
                    "unfinished: a backup is being written, or one was cut short",
                )
            )
        else:
            dumps[name] = (e, parsed)
    for name, (e, parsed) in dumps.items():
        side = sidecars.pop(name, None)
        extra = tuple(_child(folder, c.name) for c in companions.pop(name, ()))
        out.append(
            _dump(folder, e, label, parsed, _child(folder, side.name) if side else None, facts)._replace(
                companions=extra
            )
        )
    for e in [*sidecars.values(), *(c for group in companions.values() for c in group)]:
        parsed = _parse(e.name[: -len(_companion_suffix(e.name))])
        if parsed is None:
            if is_tier:
                out.append(_foreign(folder, e, label, "the name is not one of ours"))
            continue
        if parsed.filename in shielded:
            out.append(
                _foreign(
                    folder,
                    e,
                    label,
                    "the sidecar of a file that is not a plain backup (a symbolic link or folder); left alone",
                    parsed,
                )
            )
            continue
        out.append(
            _plain(folder, e, label, parsed, State.ORPHAN_SIDECAR, f"there is no dump file {parsed.filename} beside it")
        )


def _companion_suffix(name: str) -> str:
    """The sidecar or companion suffix ``name`` ends with, or ''."""
    if name.endswith(SIDECAR_SUFFIX):
        return SIDECAR_SUFFIX
    return next((s for s in COMPANION_SUFFIXES if name.endswith(s)), "")


# The console rescans every few seconds and names never change meaning: parse each once.
_parse = lru_cache(maxsize=1 << 16)(parse_name)
_MAKE_CHILD = getattr(Path, "_make_child_relpath", None)


def _child(folder: Path, name: str) -> Path:
    """``folder / name`` without re-parsing the folder: half the scan time otherwise.

    ``_make_child_relpath`` is what ``Path.iterdir`` itself uses for the same reason;
    a Python without it gets the plain join.
    """
    return _MAKE_CHILD(folder, name) if _MAKE_CHILD is not None else folder / name


def _tier(label: str, parsed: BackupName | None) -> str:
    return label if label in TIERS or parsed is None else parsed.tier


def _foreign_reason(e: os.DirEntry) -> str:
    if e.is_symlink():
        return "a symbolic link (never followed)"
    if e.is_dir(follow_symlinks=False):
        return "a folder"
    if not e.is_file(follow_symlinks=False):
        return "not a regular file"
    return "the name is not one of ours"


def _lstat(e: os.DirEntry):
    try:
        return e.stat(follow_symlinks=False)
    except OSError:
        return None


def _foreign(folder: Path, e: os.DirEntry, label: str, reason: str, parsed: BackupName | None = None) -> Entry:
    st = _lstat(e)
    return Entry(
        _child(folder, e.name),
        parsed,
        _tier(label, parsed),
        parsed.taken_at if parsed else None,
        st.st_size if st else 0,
        st.st_mtime_ns if st else 0,
        State.FOREIGN,
        reason=reason,
        folder=label,
    )


def _plain(folder: Path, e: os.DirEntry, label: str, parsed: BackupName, state: State, reason: str) -> Entry:
    st = _lstat(e)
    if st is None:
        state, reason = State.UNREADABLE, "cannot read its details (it may have just been removed)"
    return Entry(
        _child(folder, e.name),
        parsed,
        _tier(label, parsed),
        parsed.taken_at,
        st.st_size if st else 0,
        st.st_mtime_ns if st else 0,
        state,
        reason=reason,
        folder=label,
    )


_EUID = os.geteuid()
_GROUPS = frozenset(os.getgroups()) | {os.getegid()}


def _readable(st: os.stat_result) -> bool:
    """Whether we may open the file, from its mode bits (no extra system call)."""
    if _EUID == 0:
        return True
    if st.st_uid == _EUID:
        return bool(st.st_mode & statmod.S_IRUSR)
    if st.st_gid in _GROUPS:
        return bool(st.st_mode & statmod.S_IRGRP)
    return bool(st.st_mode & statmod.S_IROTH)


def _dump(
    folder: Path, e: os.DirEntry, label: str, parsed: BackupName, sidecar: Path | None, facts: dict[str, Facts]
) -> Entry:
    st = _lstat(e)
    path = _child(folder, e.name)
    tier = _tier(label, parsed)
    if st is None or not _readable(st):
        return Entry(
            path,
            parsed,
            tier,
            parsed.taken_at,
            st.st_size if st else 0,
            st.st_mtime_ns if st else 0,
            State.UNREADABLE,
            sidecar,
            "permission denied" if st else "cannot read its details",
            label,
        )
    known = facts.get(e.path)
    if known is not None and not known.matches(st.st_size, st.st_mtime_ns):
        known = None
    if known is not None and known.verify is not None and not _sidecar_unchanged(known.verify.extra, sidecar):
        known = replace(known, verify=None)  # the sidecar was written or replaced after that check
    state, reason = _judge(sidecar, known)
    if st.st_size < MIN_DUMP_BYTES:
        state, reason = (
            State.CORRUPT,
            (f"{st.st_size} bytes: too small to hold a dump (a run that failed before writing one)"),
        )
    return Entry(
        path,
        parsed,
        tier,
        parsed.taken_at,
        st.st_size,
        st.st_mtime_ns,
        state,
        sidecar,
        reason,
        label,
        st.st_dev,
        st.st_ino,
        known,
    )


def _sidecar_unchanged(extra, sidecar: Path | None) -> bool:
    recorded = extra.get("sidecar_mtime_ns")
    if sidecar is None:
        return recorded is None
    try:
        return recorded == os.stat(sidecar, follow_symlinks=False).st_mtime_ns
    except OSError:
        return False


def _judge(sidecar: Path | None, known: Facts | None) -> tuple[State, str]:
    """A dump's state from its sidecar and the last checks (worst finding wins)."""
    verify, deep = (known.verify, known.deep) if known else (None, None)
    if deep is not None and not deep.ok:
        return State.CORRUPT, deep.detail or "the deep check failed"
    if verify is not None and not verify.ok:
        problem = verify.extra.get("problem")
        if problem == "mismatch":
            return State.MISMATCH, verify.detail or "the checksum does not match its sidecar"
        if problem == "bad_sidecar":
            return State.BAD_SIDECAR, verify.detail or "the sidecar holds no SHA-256"
    if verify is not None and verify.extra.get("structure"):
        return State.CORRUPT, verify.extra.get("structure_detail") or "not a whole compressed file"
    if sidecar is None:
        return State.NO_SIDECAR, "no .sha256 sidecar: its checksum cannot be checked"
    return State.OK, ""
