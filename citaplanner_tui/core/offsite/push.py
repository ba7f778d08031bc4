"""``offsite push``: copy every good local backup a target lacks, then apply retention there.

Per backup: the dump first (a hard link of a dump already there, the weekly or monthly
copy of a daily, is copied on the server instead of sent again), then its manifest and
globals, the sidecar last, so a push cut short leaves at most a dump without sidecar,
which never counts as a good remote backup and is uploaded again by the next push.
``RECOVERY.md`` from ``BACKUP_DIR`` goes too whenever it differs from the target's copy.
Each target is pushed on its own: one that fails is recorded (``core/offsite/state.py``)
and reported, the others go on, and nothing local is ever changed or deleted by a push.

Runs under the volume's lock, so local retention cannot remove a file while it is read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.i18n import N_, say
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core import recovery_doc
from citaplanner_tui.core.offsite import remote, state
from citaplanner_tui.core.offsite.client import FAILURES, connect as connect_target
from citaplanner_tui.core.offsite.prune import PruneOutcome, prune_target
from citaplanner_tui.core.offsite.report import pushable
from citaplanner_tui.core.offsite.targets import Target
from citaplanner_tui.core.offsite.upload import copy, upload
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume import catalog, lock
from citaplanner_tui.core.volume.naming import SIDECAR_SUFFIX


@dataclass
class PushResult:
    """What one push to one target did: objects uploaded, bytes sent, retention, or the error."""

    target: str
    uploaded: list[str] = field(default_factory=list)
    bytes: int = 0
    pruned: PruneOutcome | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "ok": self.ok,
            "uploaded": self.uploaded,
            "bytes": self.bytes,
            "pruned": self.pruned.to_json() if self.pruned else None,
            "error": self.error,
        }


def push(
    settings: Settings,
    targets: tuple[Target, ...],
    *,
    reporter: Reporter | None = None,
    connect: Callable[[Target], Any] | None = None,
    now: datetime | None = None,
) -> list[PushResult]:
    """Push to each of ``targets``; never raises for a target's failure (see ``PushResult.error``)."""
    settings.require_writable(N_("offsite push"))
    connect = connect or connect_target
    reporter = reporter or Reporter()
    now = now or datetime.now()
    log = Log(settings.logs, "backup")
    results = []
    with lock.hold(settings.backup_dir, "offsite push"):
        volume = catalog.scan(settings)
        for target in targets:
            result = PushResult(target.name)
            try:
                _push_one(settings, volume, target, connect(target), result, reporter, now)
            except OperatorError as exc:
                result.error = exc.sentence
            reporter.check_cancel()
            state.record(settings, target.name, result.ok, result.error, len(result.uploaded), now)
            if result.ok:
                log.write("INFO", f"offsite push to {target.name}: {len(result.uploaded)} objects uploaded")
            else:
                log.write("ERROR", f"offsite push to {target.name} failed: {result.error}")
            results.append(result)
    return results


def _push_one(
    settings: Settings,
    volume: catalog.Catalog,
    target: Target,
    client: Any,
    result: PushResult,
    reporter: Reporter,
    now: datetime,
) -> None:
    there = remote.listing(client, target)
    todo = [e for e in pushable(volume) if f"{e.folder}/{e.path.name}{SIDECAR_SUFFIX}" not in there]
    total = sum(e.size for e in todo)
    lock_until = _lock_until(target, now)
    # The weekly and monthly copies of a dump are hard links of the daily: sent once, copied on the server.
    copies = {(e.dev, e.inode): f"{e.folder}/{e.path.name}" for e in pushable(volume) if e not in todo}
    for entry in todo:
        reporter.check_cancel()
        rel = f"{entry.folder}/{entry.path.name}"
        expected = entry.recorded_hash
        if expected is None:
            continue  # its sidecar went since the scan: the next push takes it

        def sent(n: int, base: int = result.bytes) -> None:
            reporter("push", base + n, total, f"{target.name}: {entry.path.name}")

        twin = copies.get((entry.dev, entry.inode))
        if twin is None or copy(client, target, twin, rel, expected, lock_until=lock_until) is None:
            result.bytes += upload(client, target, entry.path, rel, expected, lock_until=lock_until, progress=sent).size
        copies[(entry.dev, entry.inode)] = rel
        result.uploaded.append(rel)
        for companion in entry.companions:
            upload(client, target, companion, f"{entry.folder}/{companion.name}", lock_until=lock_until)
            result.uploaded.append(f"{entry.folder}/{companion.name}")
        if entry.sidecar is not None:  # always: a good backup has one
            upload(client, target, entry.sidecar, rel + SIDECAR_SUFFIX, lock_until=lock_until)
        result.uploaded.append(rel + SIDECAR_SUFFIX)
    _push_recovery_doc(settings.backup_dir / recovery_doc.FILENAME, client, target, result)
    result.pruned = prune_target(client, target, settings, now=now)


def _push_recovery_doc(path: Path, client: Any, target: Target, result: PushResult) -> None:
    """RECOVERY.md (written by core/recovery_doc.py when encryption or off-site is set up), when it changed."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OperatorError(say("cannot read {path}: {why}", path=path, why=exc.strerror)) from None
    ours = hashlib.sha256(data).hexdigest()
    try:
        head = client.head_object(Bucket=target.bucket, Key=target.key(recovery_doc.FILENAME))
        if head.get("Metadata", {}).get(remote.SHA_META) == ours:
            return
    except FAILURES:
        pass  # not there yet (or unreadable): upload it
    upload(client, target, path, recovery_doc.FILENAME)
    result.uploaded.append(recovery_doc.FILENAME)


def _lock_until(target: Target, now: datetime) -> datetime | None:
    if target.object_lock_days is None:
        return None
    return datetime.now(timezone.utc) + timedelta(days=target.object_lock_days)
