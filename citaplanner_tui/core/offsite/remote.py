"""What a target holds: its objects, read as the same catalog entries the volume gives.

A remote backup is laid out as on the volume (``<tier>/<dump>``, its sidecar and
manifest beside it), so ``Entry`` objects built from a listing feed the same retention
rules (``core/volume/retention.py``) and the same health rules as local files.  An entry's
``path`` is the object's path relative to the target's prefix.  A dump counts as a good
remote backup once its sidecar is there: the sidecar is uploaded last, after the dump's
checksum was confirmed by the server.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.offsite.client import explained
from citaplanner_tui.core.offsite.targets import Target
from citaplanner_tui.core.volume.catalog import Entry, State, parse_sidecar
from citaplanner_tui.core.volume.naming import COMPANION_SUFFIXES, SIDECAR_SUFFIX, TIERS, parse_name

# The object metadata key holding the SHA-256 (hex) of the whole object, set by every upload of ours.
SHA_META = "sha256"
# The object tag holding S3's composite checksum of a multipart upload, as confirmed at upload.
PARTS_TAG = "citaplanner-parts-sha256"


@dataclass(frozen=True)
class RemoteObject:
    """One object of a target: its path relative to the prefix, size and upload time (UTC)."""

    relative: str
    size: int
    modified: datetime


def listing(client: Any, target: Target) -> dict[str, RemoteObject]:
    """Every object under the target's prefix, by relative path (one paginated listing)."""
    found: dict[str, RemoteObject] = {}
    prefix = target.key("")
    with explained(target, "listing its objects"):
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                rel = target.relative(obj["Key"])
                found[rel] = RemoteObject(rel, int(obj["Size"]), obj["LastModified"])
    return found


def entries(objects: dict[str, RemoteObject]) -> list[Entry]:
    """The backups among ``objects`` as catalog entries, newest first (dumps only; their
    sidecars and companions ride along as ``sidecar``/``companions``)."""
    out = []
    for rel, obj in objects.items():
        path = PurePosixPath(rel)
        name = parse_name(path.name)
        if name is None or len(path.parts) != 2 or path.parts[0] not in TIERS:
            continue
        sidecar = rel + SIDECAR_SUFFIX
        companions = tuple(PurePosixPath(rel + s) for s in COMPANION_SUFFIXES if rel + s in objects)
        state, reason = (
            (State.OK, "") if sidecar in objects else (State.NO_SIDECAR, say("its sidecar was never uploaded"))
        )
        out.append(
            Entry(
                path,  # type: ignore[arg-type]  # a relative object path, not a local file
                name,
                path.parts[0],
                name.taken_at,
                obj.size,
                int(obj.modified.timestamp() * 1e9),
                state,
                sidecar=PurePosixPath(sidecar) if sidecar in objects else None,  # type: ignore[arg-type]
                reason=reason,
                folder=path.parts[0],
                companions=companions,  # type: ignore[arg-type]
            )
        )
    out.sort(key=lambda e: (e.when, e.path.name), reverse=True)
    return out


def read_small(client: Any, target: Target, relative: str, limit: int = 1 << 20) -> bytes:
    """The bytes of a small object (a sidecar, a manifest)."""
    with explained(target, say("reading {relative}", relative=relative)):
        body = client.get_object(Bucket=target.bucket, Key=target.key(relative))["Body"]
        try:
            return bytes(body.read(limit))
        finally:
            body.close()


def remote_hash(client: Any, target: Target, dump_relative: str) -> str | None:
    """The SHA-256 that the dump's remote sidecar records, or None if it holds none."""
    parsed = parse_sidecar(read_small(client, target, dump_relative + SIDECAR_SUFFIX).decode("utf-8", "replace"))
    return parsed[0] if parsed else None


def b64(digest: bytes) -> str:
    """A digest as S3 writes checksums: base64."""
    return base64.b64encode(digest).decode("ascii")


def hex_of(checksum: str) -> str | None:
    """A whole-object S3 SHA-256 checksum as hex; None for a multipart (composite, ``...-N``) one."""
    if "-" in checksum:
        return None
    return base64.b64decode(checksum).hex()


def composite(part_digests: list[bytes]) -> str:
    """S3's checksum of a multipart upload: SHA-256 over the parts' SHA-256s, then ``-<parts>``."""
    return f"{b64(hashlib.sha256(b''.join(part_digests)).digest())}-{len(part_digests)}"
