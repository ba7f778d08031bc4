"""Read a backup archive (.sql.gz or .sql.zst) as decompressed chunks, hashing as it goes.

Deep verify, restore and drills all read an archive once: the SHA-256 of the
compressed bytes (to compare with the sidecar) and the decompressed stream (for the
dump scanner and psql) come out of the same pass.  gzip files may hold several
members (our parallel writer emits one per block, as pigz does); all are read.

An age-encrypted archive (``.sql.gz.age``, ``core/stream/age.py``) is decrypted in the
same pass, between the file and the decompressor, so every reader of archives (restore,
drill, deep verify) reads encrypted backups without knowing it.  The SHA-256 is still of
the file's bytes (the sidecar's).  The identity is the process's: ``CITAPLANNER_TUI_AGE_IDENTITY`` names
the identity file (``--age-identity FILE`` sets it for the run), read only when an
encrypted archive is opened, never shown or logged.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Callable, Iterator, cast

import zstandard
from isal import isal_zlib

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.settings import AGE_IDENTITY_ENV
from citaplanner_tui.core.stream import age
from citaplanner_tui.core.stream.heap import keep_freed_memory
from citaplanner_tui.core.volume.naming import AGE_SUFFIX, PARTIAL_SUFFIX

CHUNK = 1 << 20
# Most decompressed bytes handed on at once: a highly compressible value (a long run of
# one byte) would otherwise come out of one 1 MiB read whole, however long it is.
PIECE = 4 << 20
# ISA-L inflates gzip faster than zlib-ng, which writes our backups (ISA-L cannot deflate at
# levels 4-9): 500 MB of SQL in 0.74-0.75 s of CPU instead of 1.09-1.13 s, a restore's and
# deep verify's biggest cost in this process.  Its API is zlib's; its stub declares ``error`` as
# an instance, but it is the exception class, as in zlib.
_GZIP_ERROR = cast("type[Exception]", isal_zlib.error)
# What the library puts before its reason ("Error -3 while decompressing data: ").
_LIBRARY_PREFIX = re.compile(r"^Error -?\d+ (?:while decompressing data: )?")


def _gzip_reason(exc: Exception) -> str:
    """The library's reason, without its error number: "Incorrect checksum found"."""
    return _LIBRARY_PREFIX.sub("", str(exc))


class CorruptArchive(OperatorError):
    """The archive does not decompress to the end."""


class IdentityProblem(OperatorError):
    """An encrypted archive cannot be opened with the identity given (none, unreadable, not the right one).

    Says nothing about the archive's health, so it is never recorded as damage.
    """


def identity_file() -> str | None:
    """The identity file this process decrypts with, or None."""
    return os.environ.get(AGE_IDENTITY_ENV) or None


def identities() -> list[age.Identity]:
    """The identities of ``identity_file()``; one sentence when there is none or it cannot serve."""
    path = identity_file()
    if path is None:
        raise IdentityProblem(
            say(
                "the backup is encrypted with age: give the identity file that decrypts it with "
                "--age-identity FILE or {env}",
                env=AGE_IDENTITY_ENV,
            )
        )
    try:
        return age.read_identities(Path(path))
    except OSError as exc:
        raise IdentityProblem(
            say("cannot read the age identity file {path}: {why}", path=path, why=exc.strerror)
        ) from None
    except age.AgeError as exc:
        raise IdentityProblem(say("the age identity file {path} {why}", path=path, why=exc.args[0])) from None


def is_encrypted(path: Path) -> bool:
    return Path(path).name.removesuffix(PARTIAL_SUFFIX).endswith(AGE_SUFFIX)


def _wrong_identity(name: str, exc: age.NoMatch) -> IdentityProblem:
    return IdentityProblem(
        say(
            "{name} cannot be decrypted with the age identity file {path}: {why}",
            name=name,
            path=identity_file(),
            why=exc.args[0],
        )
    )


def require_identity(path: Path) -> None:
    """Before a restore or drill touches anything: an encrypted ``path`` must open with this
    process's identity (only its header is read).  Damage is left for the full read to report."""
    if not is_encrypted(path):
        return
    keys = identities()
    try:
        with open(path, "rb") as fh:
            age.open_header(fh.read, keys)
    except OSError as exc:
        raise OperatorError(say("cannot read {path}: {why}", path=path, why=exc.strerror)) from None
    except age.NoMatch as exc:
        raise _wrong_identity(Path(path).name, exc) from None
    except age.AgeError:
        pass


def _gunzip(chunks: Iterator[bytes], name: str) -> Iterator[bytes]:
    d = isal_zlib.decompressobj(31)
    members, fed = 0, False  # fed: the current member has received input
    for chunk in chunks:
        full = False  # the last piece filled PIECE: zlib may hold more output without more input
        while chunk or full:
            fed = True
            try:
                out = d.decompress(chunk, PIECE)
            except _GZIP_ERROR as exc:
                raise CorruptArchive(
                    say("{name} is corrupt: gzip data error ({why})", name=name, why=_gzip_reason(exc))
                ) from None
            if out:
                yield out
            full = len(out) == PIECE
            if d.eof:  # end of one member; the rest starts the next one
                members += 1
                chunk, fed, full = d.unused_data, False, False
                d = isal_zlib.decompressobj(31)
            else:
                chunk = d.unconsumed_tail
    if fed or members == 0:
        raise CorruptArchive(say("{name} is truncated: the gzip stream ends early", name=name))


def _unzstd(chunks: Iterator[bytes], name: str) -> Iterator[bytes]:
    d = zstandard.ZstdDecompressor().decompressobj()
    try:
        for chunk in chunks:
            out = d.decompress(chunk)
            if out:
                yield out
    except zstandard.ZstdError as exc:
        raise CorruptArchive(say("{name} is corrupt: zstd data error ({why})", name=name, why=str(exc))) from None
    if not d.eof:
        raise CorruptArchive(say("{name} is truncated: the zstd stream ends early", name=name))


class ArchiveReader:
    """Iterate decompressed chunks of ``path``; ``sha256`` and ``compressed_bytes`` fill in as it reads.

    ``on_read(n)`` is called with the file's bytes consumed so far, for progress.
    ``nofollow``: refuse a symbolic link (verify reads only files that are ours).
    ``sealed``: the SHA-256 the file was checked with; a file that no longer has it is
    refused at its end, before the reader's last chunk, so a load never commits it.
    An encrypted archive is decrypted with ``identities()`` (read when iteration starts).
    """

    def __init__(
        self,
        path: Path,
        on_read: Callable[[int], None] | None = None,
        *,
        nofollow: bool = False,
        sealed: str | None = None,
    ):
        self.path = Path(path)
        self.sealed = sealed
        self._flags = os.O_RDONLY | os.O_CLOEXEC | (os.O_NOFOLLOW if nofollow else 0)
        self.encrypted = is_encrypted(self.path)
        inner = self.path.name.removesuffix(PARTIAL_SUFFIX).removesuffix(AGE_SUFFIX)
        self.fmt = "zstd" if inner.endswith(".zst") else "gzip"
        self.hasher = hashlib.sha256()
        self.compressed_bytes = 0
        self._on_read = on_read

    @property
    def sha256(self) -> str:
        return self.hasher.hexdigest()

    def _raw(self) -> Iterator[bytes]:
        try:
            fh = os.fdopen(os.open(self.path, self._flags), "rb")
        except OSError as exc:
            raise OperatorError(say("cannot read {path}: {why}", path=self.path, why=exc.strerror)) from None
        with fh:
            while chunk := fh.read(CHUNK):
                self.hasher.update(chunk)
                self.compressed_bytes += len(chunk)
                if self._on_read:
                    self._on_read(self.compressed_bytes)
                yield chunk
        if self.sealed is not None and self.sha256 != self.sealed:
            raise CorruptArchive(
                say(
                    "{name} changed since it was checked: its SHA-256 no longer matches {expected}",
                    name=self.path.name,
                    expected=self.sealed[:16],
                )
            )

    def _decrypted(self) -> Iterator[bytes]:
        keys = identities()
        name = self.path.name
        try:
            yield from age.decrypt(self._raw(), keys)
        except age.NoMatch as exc:
            raise _wrong_identity(name, exc) from None
        except age.Truncated as exc:
            raise CorruptArchive(say("{name} is truncated: {why}", name=name, why=exc.args[0])) from None
        except age.AgeError as exc:
            raise CorruptArchive(say("{name} is corrupt: {why}", name=name, why=exc.args[0])) from None

    def __iter__(self) -> Iterator[bytes]:
        keep_freed_memory()
        compressed = self._decrypted() if self.encrypted else self._raw()
        if self.fmt == "zstd":
            return _unzstd(compressed, self.path.name)
        return _gunzip(compressed, self.path.name)
