"""Upload one file so that what arrived is proven to be what we hold, in bounded memory.

Small files go in one PUT carrying ``x-amz-checksum-sha256``: the server hashes what it
received and refuses a mismatch (``BadDigest``).  Larger ones go in parts of
``PART_SIZE`` bytes, read in order and sent by at most ``IN_FLIGHT`` threads, so memory
stays near ``PART_SIZE * (IN_FLIGHT + 1)`` whatever the file's size; every part carries
its own SHA-256, checked by the server.  On the way the whole file is hashed and must
equal ``expected`` (its sidecar's hash: a file that rotted since it was written is never
shipped as good), and the checksum the server reports for the finished object must equal
the one we computed.  Any failure aborts the multipart upload, so no half object is left;
a finished object whose checksum disagrees is deleted where the lock allows, and its
sidecar is never uploaded, so it never counts as a good remote backup.

Every object carries the whole file's SHA-256 in its metadata (``remote.SHA_META``); a
multipart one also a tag with the composite checksum the server confirmed, which is what
``offsite verify`` compares later without downloading.  Requests are retried by botocore
(standard mode: exponential backoff with jitter, ``max_attempts`` per target).
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Callable

from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.offsite import remote
from citaplanner_tui.core.offsite.client import FAILURES, OffsiteError, explained, sentence
from citaplanner_tui.core.offsite.targets import Target

PART_SIZE = 8 * 1024 * 1024
IN_FLIGHT = 6

Progress = Callable[[int], None]  # bytes sent so far


@dataclass(frozen=True)
class Uploaded:
    """One object as the server confirmed it: its key, size, version and checksum."""

    relative: str
    size: int
    version_id: str | None
    checksum: str


def upload(
    client: Any,
    target: Target,
    path: Path,
    relative: str,
    expected: str | None = None,
    *,
    lock_until: datetime | None = None,
    progress: Progress | None = None,
    part_size: int | None = None,
) -> Uploaded:
    """Upload ``path`` as ``relative`` on ``target``; ``expected``: the SHA-256 (hex) the file must have."""
    part_size = part_size or PART_SIZE
    extra = _lock(lock_until)
    with open(path, "rb", buffering=0) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size <= part_size:
            return _single(client, target, fh.read(), relative, expected, extra, progress)
        return _multipart(client, target, fh, size, relative, expected, extra, progress, part_size)


def copy(
    client: Any, target: Target, source: str, relative: str, expected: str, *, lock_until: datetime | None = None
) -> Uploaded | None:
    """Copy ``source`` to ``relative`` on the server (the weekly and monthly hard links of a daily
    dump are the same bytes); None when ``source`` is not proven to hold them (then upload).

    The copy must report the source's checksum, which was confirmed when the source was uploaded.
    """
    with explained(target, say("copying {source} to {relative}", source=source, relative=relative)):
        src = client.head_object(Bucket=target.bucket, Key=target.key(source), ChecksumMode="ENABLED")
        checksum = src.get("ChecksumSHA256")
        if not checksum or src.get("Metadata", {}).get(remote.SHA_META) != expected:
            return None
        answer = client.copy_object(
            Bucket=target.bucket,
            Key=target.key(relative),
            CopySource={"Bucket": target.bucket, "Key": target.key(source)},
            ChecksumAlgorithm="SHA256",
            **_lock(lock_until),
        )
        version = {"VersionId": answer["VersionId"]} if answer.get("VersionId") else {}
        head = client.head_object(Bucket=target.bucket, Key=target.key(relative), ChecksumMode="ENABLED", **version)
    done = Uploaded(relative, int(head["ContentLength"]), answer.get("VersionId"), head.get("ChecksumSHA256") or "")
    _confirm(client, target, done, checksum)
    if remote.hex_of(checksum) is None:
        _tag(client, target, done)
    return done


def _lock(until: datetime | None) -> dict[str, Any]:
    return {} if until is None else {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}


def _tag(client: Any, target: Target, done: Uploaded) -> None:
    """Record the composite checksum the server confirmed, for ``offsite verify``."""
    with explained(target, say("tagging {relative} with its checksum", relative=done.relative)):
        version = {"VersionId": done.version_id} if done.version_id else {}
        tags = {"TagSet": [{"Key": remote.PARTS_TAG, "Value": done.checksum}]}
        client.put_object_tagging(Bucket=target.bucket, Key=target.key(done.relative), Tagging=tags, **version)


def _refuse_rotten(target: Target, relative: str, actual: str, expected: str | None) -> None:
    if expected is not None and actual != expected:
        raise OffsiteError(
            say(
                "{relative} no longer matches its sidecar (SHA-256 {actual}..., sidecar {expected}...), "
                "so it was not uploaded to off-site target {name!r}; run 'citaplanner-tui verify'",
                relative=relative,
                actual=actual[:12],
                expected=expected[:12],
                name=target.name,
            )
        )


def _single(
    client: Any,
    target: Target,
    data: bytes,
    relative: str,
    expected: str | None,
    extra: dict[str, Any],
    progress: Progress | None,
) -> Uploaded:
    digest = hashlib.sha256(data).digest()
    _refuse_rotten(target, relative, digest.hex(), expected)
    ours = remote.b64(digest)
    with explained(target, say("uploading {relative}", relative=relative)):
        answer = client.put_object(
            Bucket=target.bucket,
            Key=target.key(relative),
            Body=data,
            ChecksumSHA256=ours,
            Metadata={remote.SHA_META: digest.hex()},
            **extra,
        )
    done = Uploaded(relative, len(data), answer.get("VersionId"), answer.get("ChecksumSHA256") or "")
    _confirm(client, target, done, ours)
    if progress:
        progress(len(data))
    return done


def _multipart(
    client: Any,
    target: Target,
    fh: BinaryIO,
    size: int,
    relative: str,
    expected: str | None,
    extra: dict[str, Any],
    progress: Progress | None,
    part_size: int,
) -> Uploaded:
    key = target.key(relative)
    whole = hashlib.sha256()
    meta = {remote.SHA_META: expected} if expected else {}
    with explained(target, say("starting the upload of {relative}", relative=relative)):
        upload_id = client.create_multipart_upload(
            Bucket=target.bucket, Key=key, ChecksumAlgorithm="SHA256", Metadata=meta, **extra
        )["UploadId"]
    slots = threading.BoundedSemaphore(IN_FLIGHT)
    sent = [0]
    sent_lock = threading.Lock()

    def send(number: int, data: bytes) -> dict[str, Any]:
        try:
            digest = hashlib.sha256(data).digest()  # releases the GIL: hashing runs beside the reader
            answer = client.upload_part(
                Bucket=target.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
                ChecksumSHA256=remote.b64(digest),
            )
            with sent_lock:
                sent[0] += len(data)
                if progress:
                    progress(sent[0])
            checksum = remote.b64(digest)
            return {"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": checksum, "digest": digest}
        finally:
            slots.release()

    futures: list[Future[dict[str, Any]]] = []
    try:
        with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="offsite-part") as pool:
            number = 0
            while True:
                slots.acquire()
                data = fh.read(part_size)
                if not data:
                    slots.release()
                    break
                whole.update(data)
                number += 1
                futures.append(pool.submit(send, number, data))
                del data
                if any(f.done() and f.exception() for f in futures):
                    break
        parts = [f.result() for f in futures]  # the first failed part raises here
        _refuse_rotten(target, relative, whole.hexdigest(), expected)
        ours = remote.composite([p.pop("digest") for p in parts])
        with explained(target, say("finishing the upload of {relative}", relative=relative)):
            answer = client.complete_multipart_upload(
                Bucket=target.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
    except BaseException as exc:
        try:
            client.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload_id)
        except FAILURES:
            pass  # the server drops an abandoned upload itself; nothing of it is visible as an object
        if isinstance(exc, FAILURES):
            raise OffsiteError(sentence(exc, target, say("uploading {relative}", relative=relative))) from None
        raise
    done = Uploaded(relative, size, answer.get("VersionId"), answer.get("ChecksumSHA256") or "")
    _confirm(client, target, done, ours)
    _tag(client, target, done)
    return done


def _confirm(client: Any, target: Target, done: Uploaded, ours: str) -> None:
    """The server's checksum of the finished object must be ours; else the object goes (if it may)."""
    if done.checksum == ours:
        return
    try:
        version = {"VersionId": done.version_id} if done.version_id else {}
        client.delete_object(Bucket=target.bucket, Key=target.key(done.relative), **version)
        left = say("it was deleted")
    except FAILURES:
        left = say("it could not be deleted (object lock?) but has no sidecar, so it never counts as a backup")
    raise OffsiteError(
        say(
            "off-site target {name!r} reports checksum {checksum} for {relative}, not ours ({ours}); {left}",
            name=target.name,
            checksum=done.checksum or say("none"),
            relative=done.relative,
            ours=ours,
            left=left,
        )
    )
