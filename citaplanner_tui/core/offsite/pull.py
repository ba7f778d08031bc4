"""``offsite pull``: bring a remote backup onto the volume, where it is then an ordinary backup.

The dump is written as ``<name>.partial`` (0600), hashed while it streams in, fsynced and
checked against the remote sidecar; only then renamed into its tier folder, followed by
its manifest and, last, its sidecar, as a backup run publishes one.  A wrong hash, a full
volume or an interrupt removes the partial file: nothing half-downloaded is left, and a
file already on the volume is never overwritten.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path, PurePosixPath
from typing import Any

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.i18n import N_, say
from citaplanner_tui.core.offsite import remote
from citaplanner_tui.core.offsite.client import OffsiteError, explained
from citaplanner_tui.core.offsite.targets import Target
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume import lock, private
from citaplanner_tui.core.volume.catalog import sidecar_line
from citaplanner_tui.core.volume.durable import fsync_dir
from citaplanner_tui.core.volume.naming import MANIFEST_SUFFIX, PARTIAL_SUFFIX, parse_name

CHUNK = 1 << 20


def relative_of(key: str) -> str:
    """``daily/<file>`` from what the operator typed: that, or a bare backup file name."""
    path = PurePosixPath(key.strip("/"))
    name = parse_name(path.name)
    if name is None:
        raise OperatorError(
            say("{key!r} is not the name of a backup (citaplanner_<tier>_<date>_<time>.sql.gz)", key=key)
        )
    if len(path.parts) == 1:
        return f"{name.tier}/{path.name}"
    if len(path.parts) != 2 or ".." in path.parts:
        raise OperatorError(say("{key!r} is not a backup path on a target (<tier>/<file>)", key=key))
    return str(path)


def pull(client: Any, target: Target, settings: Settings, key: str, *, reporter: Reporter | None = None) -> Path:
    """Download backup ``key`` from ``target`` into the volume; its local path."""
    settings.require_writable(N_("offsite pull"))
    reporter = reporter or Reporter()
    rel = relative_of(key)
    dest = settings.backup_dir / rel
    with lock.hold(settings.backup_dir, "offsite pull"):
        if dest.exists() or dest.is_symlink():
            raise OperatorError(
                say("{dest} is already on the volume; nothing was downloaded or overwritten", dest=dest)
            )
        expected = remote.remote_hash(client, target, rel)
        if expected is None:
            raise OffsiteError(
                say("{rel} on off-site target {name!r} has no usable sidecar to check it by", rel=rel, name=target.name)
            )
        private.mkdirs(dest.parent)
        partial = dest.with_name(dest.name + PARTIAL_SUFFIX)
        _download(client, target, rel, partial, expected, reporter)
        os.rename(partial, dest)
        fsync_dir(dest.parent)
        manifest = _optional(client, target, rel + MANIFEST_SUFFIX)
        if manifest is not None:
            private.write_atomic(dest.with_name(dest.name + MANIFEST_SUFFIX), manifest)
        private.write_atomic(dest.with_name(dest.name + ".sha256"), sidecar_line(dest.name, expected).encode())
    return dest


def _download(client: Any, target: Target, rel: str, partial: Path, expected: str, reporter: Reporter) -> None:
    digest = hashlib.sha256()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, private.FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            with explained(target, say("downloading {rel}", rel=rel)):
                answer = client.get_object(Bucket=target.bucket, Key=target.key(rel))
                total, done = int(answer.get("ContentLength") or 0), 0
                body = answer["Body"]
                try:
                    for chunk in body.iter_chunks(CHUNK):
                        reporter.check_cancel()
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        reporter("pull", done, total, rel)
                finally:
                    body.close()
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != expected:
            raise OffsiteError(
                say(
                    "{rel} downloaded from off-site target {name!r} does not match its sidecar; nothing was kept",
                    rel=rel,
                    name=target.name,
                )
            )
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            full = say(
                "the backup volume is full: {rel} did not fit in {folder}; nothing was kept",
                rel=rel,
                folder=partial.parent,
            )
            raise OperatorError(full) from None
        if isinstance(exc, OSError):
            raise OperatorError(
                say("cannot write {partial}: {why}; nothing was kept", partial=partial, why=exc.strerror)
            ) from None
        raise


def _optional(client: Any, target: Target, rel: str) -> bytes | None:
    try:
        return remote.read_small(client, target, rel)
    except OffsiteError:
        return None


def fetch(settings: Settings, spec: str, *, reporter: Reporter | None = None) -> Path:
    """The local path of remote backup ``spec`` (``TARGET:KEY``), pulled first unless already on the
    volume (then its own sidecar vouches for it, as for any backup): what restore and drill take."""
    from citaplanner_tui.core.offsite.client import connect
    from citaplanner_tui.core.offsite.targets import find

    name, sep, key = spec.partition(":")
    if not sep or not name or not key:
        raise OperatorError(say("--from-offsite takes TARGET:KEY (e.g. primary:daily/<file>), not {spec!r}", spec=spec))
    target = find(settings.offsite, name)[0]
    dest = settings.backup_dir / relative_of(key)
    if dest.exists():
        return dest
    return pull(connect(target), target, settings, key, reporter=reporter)
