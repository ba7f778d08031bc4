"""``offsite verify``: does every backup on a target still hold what its sidecar says?

Without downloading (the default): the dump's remote sidecar must agree with the local
one (when the backup is still on the volume), the SHA-256 in the object's metadata must
be the sidecar's, and the checksum the server itself reports must be the one confirmed
at upload -- for a one-part object that is the sidecar's SHA-256, for a multipart one the
composite checksum recorded in its tag.  An object replaced or rewritten through the S3
API loses or changes those, so it FAILs by name.  ``deep`` also downloads every dump,
streamed, and hashes it: that catches damage the server's own records cannot see.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.offsite import remote
from citaplanner_tui.core.offsite.client import explained
from citaplanner_tui.core.offsite.targets import Target
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume.catalog import read_sidecar

CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteCheck:
    """One remote backup's verdict: ``detail`` says what disagreed (or what was checked)."""

    target: str
    backup: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "backup": self.backup, "ok": self.ok, "detail": self.detail}


def verify_target(
    client: Any, target: Target, settings: Settings, *, deep: bool = False, reporter: Reporter | None = None
) -> list[RemoteCheck]:
    """A verdict for every dump on ``target`` (newest first)."""
    reporter = reporter or Reporter()
    entries = remote.entries(remote.listing(client, target))
    total = sum(e.size for e in entries) if deep else len(entries)
    done = 0
    out = []
    for e in entries:
        reporter.check_cancel()
        rel = str(e.path)
        try:
            detail = _check(client, target, settings, rel, e.size, deep, e.sidecar is not None)
            out.append(RemoteCheck(target.name, rel, True, detail))
        except _Bad as bad:
            out.append(RemoteCheck(target.name, rel, False, bad.args[0]))
        except OperatorError as exc:
            out.append(RemoteCheck(target.name, rel, False, exc.sentence))
        done += e.size if deep else 1
        reporter("verify", done, total, f"{target.name}: {e.path.name}")
    return out


class _Bad(Exception):
    """What disagreed, as the rest of a sentence."""


def _check(client: Any, target: Target, settings: Settings, rel: str, size: int, deep: bool, has_sidecar: bool) -> str:
    if not has_sidecar:
        raise _Bad(say("its sidecar is missing there (an upload was cut short; the next push sends it again)"))
    recorded = remote.remote_hash(client, target, rel)
    if recorded is None:
        raise _Bad(say("its sidecar there holds no SHA-256"))
    local = read_sidecar(settings.backup_dir / (rel + ".sha256"))
    if local is not None and local[0] != recorded:
        raise _Bad(say("its sidecar there differs from the one on the volume"))
    with explained(target, say("reading the checksum of {rel}", rel=rel)):
        head = client.head_object(Bucket=target.bucket, Key=target.key(rel), ChecksumMode="ENABLED")
    meta = head.get("Metadata", {}).get(remote.SHA_META)
    if meta != recorded:
        raise _Bad(say("the object's recorded SHA-256 is not its sidecar's: it was replaced after upload"))
    reported = head.get("ChecksumSHA256")
    if not reported:
        raise _Bad(say("the server reports no SHA-256 checksum for it: it was replaced after upload"))
    whole = remote.hex_of(reported)
    if whole is not None and whole != recorded:
        raise _Bad(say("the server's SHA-256 of it differs from its sidecar: it was altered after upload"))
    if whole is None:
        with explained(target, say("reading the tags of {rel}", rel=rel)):
            tags = client.get_object_tagging(Bucket=target.bucket, Key=target.key(rel))["TagSet"]
        confirmed = next((t["Value"] for t in tags if t["Key"] == remote.PARTS_TAG), None)
        if confirmed != reported:
            raise _Bad(say("the server's checksum of its parts is not the one confirmed at upload: it was altered"))
    if int(head.get("ContentLength", size)) != size:
        raise _Bad(say("its size changed since it was listed"))
    if not deep:
        return say("checksum matches its sidecar")
    if _download_hash(client, target, rel) != recorded:
        raise _Bad(say("its bytes, downloaded and hashed, do not match its sidecar"))
    return say("downloaded; SHA-256 matches its sidecar")


def _download_hash(client: Any, target: Target, rel: str) -> str:
    digest = hashlib.sha256()
    with explained(target, say("downloading {rel}", rel=rel)):
        body = client.get_object(Bucket=target.bucket, Key=target.key(rel))["Body"]
        try:
            for chunk in body.iter_chunks(CHUNK):
                digest.update(chunk)
        finally:
            body.close()
    return digest.hexdigest()
