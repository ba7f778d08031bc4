"""The backup catalog: every file on the backup volume, what it is, and what state it is in.

``scan()`` lists ``BACKUP_DIR/{daily,weekly,monthly,manual,safety}`` (and any other
folder, or the volume's top level, holding files named like ours), pairs each dump with
its ``.sha256`` sidecar by file name, and names a state for every file, so the status
command, retention and the console all see the same picture.

Scanning never hashes and never follows a symbolic link: it costs one ``scandir`` per
folder and one ``lstat`` per file (10,000 backups scan in a fraction of the 200 ms
budget; see ``bench/scan.py``).  The console rescans every few seconds, and most
folders have not changed since: a folder whose own stat and whose files' stats are
all unchanged gives back the entries of its last listing (``_Listing``) instead of
being listed, parsed and classified again, which is exact because an entry depends on
nothing else (its name, its stats and its facts).  Sidecars are read only when their content is asked for
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
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from functools import cached_property, lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any, Iterator, Mapping, NamedTuple

from citaplanner_tui.core.i18n import N_, say
from citaplanner_tui.core.volume.naming import (
    COMPANION_SUFFIXES,
    PARTIAL_SUFFIX,
    SIDECAR_SUFFIX,
    TIERS,
    BackupName,
    parse_name,
)
from citaplanner_tui.core.volume.records import Facts, Records, VolumeRef, backup_folder


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
    @property
    def last_verified_at(self) -> datetime | None:
        return self.checks.verify.at if self.checks and self.checks.verify else None

    @property
    def verify_ok(self) -> bool | None:
        return self.checks.verify.ok if self.checks and self.checks.verify else None

    @property
    def verify_detail(self) -> str:
        return self.checks.verify.detail if self.checks and self.checks.verify else ""

    @property
    def last_deep_at(self) -> datetime | None:
        return self.checks.deep.at if self.checks and self.checks.deep else None

    @property
    def deep_ok(self) -> bool | None:
        return self.checks.deep.ok if self.checks and self.checks.deep else None

    @property
    def deep_detail(self) -> str:
        return self.checks.deep.detail if self.checks and self.checks.deep else ""

    @property
    def last_drill_at(self) -> datetime | None:
        return self.checks.drill.at if self.checks and self.checks.drill else None

    @property
    def drill_ok(self) -> bool | None:
        return self.checks.drill.ok if self.checks and self.checks.drill else None

    @property
    def drill_detail(self) -> str:
        return self.checks.drill.detail if self.checks and self.checks.drill else ""

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
        return say(
            "the sidecar records {recorded}, not this file's path; it is paired with {name} by file name",
            recorded=recorded,
            name=self.path.name,
        )


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

    def find(self, path: str | os.PathLike[str]) -> Entry | None:
        target = os.path.abspath(os.fspath(path))
        return next((e for e in self.entries if str(e.path) == target), None)


def scan(where: VolumeRef, *, store: Records | None = None, now: datetime | None = None, reuse: bool = True) -> Catalog:
    """Scan the backup volume of ``where`` (a ``Settings`` or a backup folder path).

    Never raises for the volume's condition: a missing or unlistable folder becomes a
    note or an ``UNREADABLE`` entry, so status can still report.  ``reuse=False``
    lists every folder afresh (and leaves the listings kept for the next scan alone).
    """
    backup_dir = backup_folder(where)
    facts = (store or Records(where)).load()
    scanned_at = now or datetime.now()
    kept = _kept(backup_dir) if reuse else {}
    seen: dict[str, _Listing | None] = {}
    try:
        top = _folder(backup_dir, "", False, facts, kept, seen)
    except FileNotFoundError:
        return Catalog(backup_dir, (), scanned_at, (say("the backup folder {dir} does not exist", dir=backup_dir),))
    except OSError as exc:
        return Catalog(
            backup_dir,
            (),
            scanned_at,
            (say("cannot list the backup folder {dir}: {why}", dir=backup_dir, why=exc.strerror),),
        )
    entries: list[Entry] = list(top.entries)
    for name in top.folders:
        is_tier = name in TIERS
        path = _child(backup_dir, name)
        try:
            entries += _folder(path, name, is_tier, facts, kept, seen).entries
        except OSError as exc:
            if is_tier:
                entries.append(
                    Entry(
                        path,
                        None,
                        name,
                        None,
                        0,
                        0,
                        State.UNREADABLE,
                        reason=say("cannot list this folder: {why}", why=exc.strerror),
                        folder=name,
                    )
                )
    entries += top.linked_tiers
    if reuse:
        _keep(backup_dir, seen)
    # Newest first; at the same moment daily before weekly before monthly; then by name
    # (folders were listed in name order and the sort is stable, even reversed).
    rank = {tier: -i for i, tier in enumerate(TIERS)}
    entries.sort(key=lambda e: (e.taken_at or e.mtime, rank.get(e.tier, -9)), reverse=True)
    return Catalog(backup_dir, tuple(entries), scanned_at)


# -- listings kept between scans --------------------------------------------------------
# A listing is kept only once every time stamp it saw is this much older than the
# listing itself: a file created in the same tick of a coarse clock (1 s on ext3, 2 s on
# FAT) as a folder was listed leaves the folder's mtime unchanged, so a listing taken
# that close to a change may already be stale and is taken again next time.
TRUST_AFTER_NS = 2_000_000_000
KEPT_VOLUMES = 8  # volumes whose listings are kept (a process rarely looks at more than one)


class _Listing(NamedTuple):
    """What one folder's listing gave, and everything it depended on."""

    signature: tuple[int, ...] | None  # the folder's own stat
    files: tuple[tuple[str, tuple[int, ...] | None], ...]  # (path, stat signature) of every name listed
    facts: tuple[tuple[str, Facts | None], ...]  # the recorded facts looked up, by path
    entries: tuple[Entry, ...]
    folders: tuple[str, ...] = ()  # subfolders to scan (the top level only), in scan order
    linked_tiers: tuple[Entry, ...] = ()  # symlinked tier folders (the top level only)


_KEPT: dict[Path, dict[str, _Listing]] = {}
_KEPT_LOCK = threading.Lock()


def _kept(backup_dir: Path) -> dict[str, _Listing]:
    with _KEPT_LOCK:
        return _KEPT.get(backup_dir, {})


def _keep(backup_dir: Path, listings: dict[str, _Listing | None]) -> None:
    """Keep the trusted listings of this scan only (a folder gone is forgotten)."""
    with _KEPT_LOCK:
        _KEPT.pop(backup_dir, None)
        _KEPT[backup_dir] = {path: listing for path, listing in listings.items() if listing is not None}
        while len(_KEPT) > KEPT_VOLUMES:
            del _KEPT[next(iter(_KEPT))]


def _signature(st: os.stat_result | None) -> tuple[int, ...] | None:
    """Everything of a stat an entry can depend on; any change to a file changes its ctime."""
    if st is None:
        return None
    return (st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _unchanged(listing: _Listing, signature: tuple[int, ...] | None, facts: dict[str, Facts]) -> bool:
    """The folder, every file it held and their facts are as when ``listing`` was taken.

    One ``lstat`` per file: a dump rewritten in place (same name, so the folder's own
    mtime stays) changes its own signature.
    """
    if listing.signature != signature:
        return False
    for path, before in listing.files:
        try:
            now = _signature(os.lstat(path))
        except OSError:
            now = None
        if now != before:
            return False
    return all(facts.get(path) == before for path, before in listing.facts)


def _folder(
    path: Path,
    label: str,
    is_tier: bool,
    facts: dict[str, Facts],
    kept: dict[str, _Listing],
    seen: dict[str, _Listing | None],
) -> _Listing:
    """The entries of one folder: the kept listing while nothing in it changed, else listed now.

    Raises ``OSError`` when the folder cannot be listed.
    """
    key = str(path)
    own = os.stat(path)  # before the listing: a change while it is taken shows up next time
    signature = _signature(own)
    before = kept.get(key)
    if before is not None and _unchanged(before, signature, facts):
        seen[key] = before
        return before
    listed_at = time.time_ns()
    listing = list(os.scandir(path))
    stats = {e.path: _lstat(e) for e in listing}  # DirEntry caches it: the classifying below reuses it
    out: list[Entry] = []
    _scan_folder(path, label, listing, is_tier, facts, out)
    folders: tuple[str, ...] = ()
    linked: tuple[Entry, ...] = ()
    if label == "" and not is_tier:  # the top level: its subfolders, and tier folders that are symlinks
        subfolders = [e.name for e in listing if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
        folders = tuple(sorted(subfolders, key=lambda name: (name not in TIERS, name)))
        linked = tuple(
            _foreign(path, e, e.name, "a symbolic link to a folder (never followed)")
            for e in listing
            if e.name in TIERS and e.is_symlink()
        )
    if folders:  # a subfolder's own stat feeds no entry of the top level: its listing is checked on its own
        shown = {str(e.path) for e in out}
        stats = {p: st for p, st in stats.items() if os.path.basename(p) not in folders or p in shown}
    result = _Listing(
        signature,
        tuple((p, _signature(st)) for p, st in stats.items()),
        tuple((p, facts.get(p)) for p in stats),  # facts are looked up by the listed path
        tuple(out),
        folders,
        linked,
    )
    newest = max([_changed_at(st) for st in stats.values() if st is not None], default=0)
    seen[key] = result if max(newest, _changed_at(own)) < listed_at - TRUST_AFTER_NS else None
    return result


def _changed_at(st: os.stat_result) -> int:
    return max(st.st_mtime_ns, st.st_ctime_ns)


def entry_for(
    path: str | os.PathLike[str],
    where: VolumeRef | None = None,
    *,
    store: Records | None = None,
    facts: dict[str, Facts] | None = None,
) -> Entry | None:
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
    folder: Path, label: str, listing: list[os.DirEntry[str]], is_tier: bool, facts: dict[str, Facts], out: list[Entry]
) -> None:
    """Classify one folder's files; outside tier folders only files named like ours count."""
    dumps: dict[str, tuple[os.DirEntry[str], BackupName]] = {}
    sidecars: dict[str, os.DirEntry[str]] = {}
    companions: dict[str, list[os.DirEntry[str]]] = {}
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
            out.append(_foreign(folder, e, label, _SYMLINK, parsed))
            shielded.add(name)
        elif not e.is_file(follow_symlinks=False):
            out.append(_foreign(folder, e, label, _NOT_REGULAR, parsed))
            shielded.add(name)
        elif partial:
            out.append(
                _plain(
                    folder,
                    e,
                    label,
                    parsed,
                    State.PARTIAL,
                    say("unfinished: a backup is being written, or one was cut short"),
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
                out.append(_foreign(folder, e, label, _NOT_OURS))
            continue
        if parsed.filename in shielded:
            out.append(
                _foreign(
                    folder,
                    e,
                    label,
                    say("the sidecar of a file that is not a plain backup (a symbolic link or folder); left alone"),
                    parsed,
                )
            )
            continue
        out.append(
            _plain(
                folder,
                e,
                label,
                parsed,
                State.ORPHAN_SIDECAR,
                say("there is no dump file {name} beside it", name=parsed.filename),
            )
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


# Reasons said for many entries of one scan: made once.
_SYMLINK = say("a symbolic link (never followed)")
_NOT_REGULAR = say("not a regular file")
_NOT_OURS = say("the name is not one of ours")
_NO_SIDECAR = say("no .sha256 sidecar: its checksum cannot be checked")


def _tier(label: str, parsed: BackupName | None) -> str:
    return label if label in TIERS or parsed is None else parsed.tier


def _foreign_reason(e: os.DirEntry[str]) -> str:
    if e.is_symlink():
        return _SYMLINK
    if e.is_dir(follow_symlinks=False):
        return say("a folder")
    if not e.is_file(follow_symlinks=False):
        return _NOT_REGULAR
    return _NOT_OURS


def _lstat(e: os.DirEntry[str]) -> os.stat_result | None:
    try:
        return e.stat(follow_symlinks=False)
    except OSError:
        return None


def _foreign(folder: Path, e: os.DirEntry[str], label: str, reason: str, parsed: BackupName | None = None) -> Entry:
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


def _plain(folder: Path, e: os.DirEntry[str], label: str, parsed: BackupName, state: State, reason: str) -> Entry:
    st = _lstat(e)
    if st is None:
        state, reason = State.UNREADABLE, say("cannot read its details (it may have just been removed)")
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
    folder: Path, e: os.DirEntry[str], label: str, parsed: BackupName, sidecar: Path | None, facts: dict[str, Facts]
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
            say("permission denied") if st else say("cannot read its details"),
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
            say("{size} bytes: too small to hold a dump (a run that failed before writing one)", size=st.st_size),
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


def _sidecar_unchanged(extra: Mapping[str, Any], sidecar: Path | None) -> bool:
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
        return State.CORRUPT, deep.detail or say("the deep check failed")
    if verify is not None and not verify.ok:
        problem = verify.extra.get("problem")
        if problem == "mismatch":
            return State.MISMATCH, verify.detail or say("the checksum does not match its sidecar")
        if problem == "bad_sidecar":
            return State.BAD_SIDECAR, verify.detail or say("the sidecar holds no SHA-256")
    if verify is not None and verify.extra.get("structure"):
        return State.CORRUPT, verify.extra.get("structure_detail") or say("not a whole compressed file")
    if sidecar is None:
        return State.NO_SIDECAR, _NO_SIDECAR
    return State.OK, ""
