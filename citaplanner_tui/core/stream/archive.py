"""Read a backup archive (.sql.gz or .sql.zst) as decompressed chunks, hashing as it goes.

Deep verify, restore and drills all read an archive once: the SHA-256 of the
compressed bytes (to compare with the sidecar) and the decompressed stream (for the
dump scanner and psql) come out of the same pass.  gzip files may hold several
members (our parallel writer emits one per block, as pigz does); all are read.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path
from typing import Callable, Iterator

import zstandard

from citaplanner_tui.core.errors import OperatorError

CHUNK = 1 << 20
# Most decompressed bytes handed on at once: a highly compressible value (a long run of
# one byte) would otherwise come out of one 1 MiB read whole, however long it is.
PIECE = 4 << 20


class CorruptArchive(OperatorError):
    """The archive does not decompress to the end."""


def _gunzip(chunks: Iterator[bytes], name: str) -> Iterator[bytes]:
    d = zlib.decompressobj(31)
    members, fed = 0, False  # fed: the current member has received input
    for chunk in chunks:
        full = False  # the last piece filled PIECE: zlib may hold more output without more input
        while chunk or full:
            fed = True
            try:
                out = d.decompress(chunk, PIECE)
            except zlib.error as exc:
                raise CorruptArchive(f"{name} is corrupt: gzip data error ({exc})") from None
            if out:
                yield out
            full = len(out) == PIECE
            if d.eof:  # end of one member; the rest starts the next one
                members += 1
                chunk, fed, full = d.unused_data, False, False
                d = zlib.decompressobj(31)
            else:
                chunk = d.unconsumed_tail
    if fed or members == 0:
        raise CorruptArchive(f"{name} is truncated: the gzip stream ends early")


def _unzstd(chunks: Iterator[bytes], name: str) -> Iterator[bytes]:
    d = zstandard.ZstdDecompressor().decompressobj()
    try:
        for chunk in chunks:
            out = d.decompress(chunk)
            if out:
                yield out
    except zstandard.ZstdError as exc:
        raise CorruptArchive(f"{name} is corrupt: zstd data error ({exc})") from None
    if not d.eof:
        raise CorruptArchive(f"{name} is truncated: the zstd stream ends early")


class ArchiveReader:
    """Iterate decompressed chunks of ``path``; ``sha256`` and ``compressed_bytes`` fill in as it reads.

    ``on_read(n)`` is called with the compressed bytes consumed so far, for progress.
    ``nofollow``: refuse a symbolic link (verify reads only files that are ours).
    """

    def __init__(self, path: Path, on_read: Callable[[int], None] | None = None, *, nofollow: bool = False):
        self.path = Path(path)
        self._flags = os.O_RDONLY | os.O_CLOEXEC | (os.O_NOFOLLOW if nofollow else 0)
        self.fmt = "zstd" if self.path.name.endswith((".zst", ".zst.partial")) else "gzip"
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
            raise OperatorError(f"cannot read {self.path}: {exc.strerror}") from None
        with fh:
            while chunk := fh.read(CHUNK):
                self.hasher.update(chunk)
                self.compressed_bytes += len(chunk)
                if self._on_read:
                    self._on_read(self.compressed_bytes)
                yield chunk

    def __iter__(self) -> Iterator[bytes]:
        if self.fmt == "zstd":
            return _unzstd(self._raw(), self.path.name)
        return _gunzip(self._raw(), self.path.name)
