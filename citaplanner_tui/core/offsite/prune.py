"""Retention on a target: the volume's period rules (``core/volume/retention.py``), applied remotely.

The remote listing is read as catalog entries (``core/offsite/remote.py``) and handed to
the same ``retention.decide`` the volume uses, so a target keeps the newest good backup
of each of the last N days, weeks and months.  Removing a backup removes every version of
its objects (dump first, sidecar last, as locally); a version under object lock (its
retention date not yet passed, or a legal hold) is left, and the outcome says until when.
If the server still refuses a delete, the sentence says so and nothing else of that
backup is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.offsite import remote
from citaplanner_tui.core.offsite.client import FAILURES, OffsiteError, code, explained
from citaplanner_tui.core.offsite.targets import Target
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume import retention


@dataclass
class PruneOutcome:
    """What retention did on one target: backups removed, kept (with why), and left under lock."""

    removed: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    locked: list[tuple[str, datetime | None]] = field(default_factory=list)  # (backup, locked until; None: legal hold)
    plan: list[tuple[str, str]] = field(default_factory=list)  # (backup, why it goes)

    def to_json(self) -> dict[str, Any]:
        return {
            "removed": self.removed,
            "kept": [{"backup": b, "reason": r} for b, r in self.kept],
            "locked": [{"backup": b, "until": u.isoformat() if u else "legal hold"} for b, u in self.locked],
            "plan": [{"backup": b, "reason": r} for b, r in self.plan],
        }


def prune_target(
    client: Any, target: Target, settings: Settings, *, dry_run: bool = False, now: datetime | None = None
) -> PruneOutcome:
    """Apply (or with ``dry_run`` only plan) retention on ``target``.  ``now``: for the lock dates (UTC)."""
    when = now.astimezone(timezone.utc) if now and now.tzinfo else datetime.now(timezone.utc)
    entries = remote.entries(remote.listing(client, target))
    kept, removals = retention.decide(entries, settings.retention, shrink_ratio=settings.thresholds.shrink_warn_ratio)
    outcome = PruneOutcome(kept=[(str(k.entry.path), k.reason) for k in kept])
    outcome.plan = [(str(r.entry.path), r.reason) for r in removals]
    if dry_run:
        return outcome
    for removal in removals:
        backup = str(removal.entry.path)
        versions = [v for p in removal.paths for v in _versions(client, target, str(p))]
        locked, until = _lock(client, target, versions, when)
        if locked:
            outcome.locked.append((backup, until))
            continue
        for key, version in versions:
            try:
                client.delete_object(Bucket=target.bucket, Key=key, VersionId=version)
            except FAILURES as exc:
                if code(exc) in ("AccessDenied", "InvalidRequest", "ObjectLocked"):
                    raise OffsiteError(
                        say(
                            "off-site target {name!r} refused to delete {relative} "
                            "(object lock or missing rights), so {backup} stays there",
                            name=target.name,
                            relative=target.relative(key),
                            backup=backup,
                        )
                    ) from None
                raise OffsiteError(
                    say(
                        "off-site target {name!r} failed to delete {relative}",
                        name=target.name,
                        relative=target.relative(key),
                    )
                ) from None
        outcome.removed.append(backup)
    return outcome


def _versions(client: Any, target: Target, relative: str) -> list[tuple[str, str]]:
    """Every version (and delete marker) of exactly this object, as ``(key, version id)``."""
    key = target.key(relative)
    found = []
    with explained(target, say("listing the versions of {relative}", relative=relative)):
        for page in client.get_paginator("list_object_versions").paginate(Bucket=target.bucket, Prefix=key):
            for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                if v["Key"] == key:
                    found.append((key, v["VersionId"]))
    return found


def _lock(client: Any, target: Target, versions: list[tuple[str, str]], now: datetime) -> tuple[bool, datetime | None]:
    """Whether any version is locked, and until when (the latest date; None for a legal hold)."""
    latest: datetime | None = None
    for key, version in versions:
        try:
            head = client.head_object(Bucket=target.bucket, Key=key, VersionId=version)
        except FAILURES:
            continue  # a delete marker has no head: nothing to keep
        if head.get("ObjectLockLegalHoldStatus") == "ON":
            return True, None
        until = head.get("ObjectLockRetainUntilDate")
        if until is not None and until > now and (latest is None or until > latest):
            latest = until
    return latest is not None, latest
