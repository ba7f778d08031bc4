"""Compress a byte stream to a file on every core, hashing the compressed bytes as they go.

A single Python loop that reads ``pg_dump`` and deflates in turn is slower than the shell
pipeline (``pg_dump | gzip``): one core does all the work.  zlib releases the GIL, so the
gzip writer cuts the stream into blocks, deflates them in a small thread pool (with
zlib-ng: same format, half the CPU at the same level), and
writes the results *in order* as concatenated gzip members, as pigz does; ``gunzip``,
``gzip -t`` and ``core/stream/archive.py`` read such files whole.  A bounded queue of pending
blocks keeps memory flat (a few blocks per worker) and makes the producer wait when the
disk or the pool falls behind.  The zstd writer (opt-in ``.sql.zst``) uses zstd's own
worker threads, one per core, at level 1 (see ``ZSTD_LEVEL``).

Both writers compute the SHA-256 of exactly the bytes they write, so the sidecar needs
no second pass over the file.  A write error (a full disk) stops the writer; the error
is raised to the producer at its next ``write`` or at ``close``.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, BinaryIO, Generic, TypeVar, cast

import zstandard

# zlib-ng (a dependency): the same gzip format and zlib's API, about twice as fast as zlib at
# level 6, and no larger.  It inflates a third faster too, so ``archive.py`` reads with it.
from zlib_ng import zlib_ng

BLOCK = 2 << 20
GZIP_WBITS = 31  # deflate with a gzip header and trailer
# On two cores pg_dump and its server backend already keep both busy, so what slows a
# backup down is the CPU the compressor takes, not how many threads it has: level 1
# costs half of level 3's CPU for a file of about the same size (and smaller than
# gzip -6's on a CitaPlanner dump), which brings ``backup --format zstd`` to the
# ``pg_dump > /dev/null`` floor (bench/backup.py).  The frames are standard zstd.
ZSTD_LEVEL = 1


def _workers() -> int:
    """Threads to compress on: one per core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


class HashingSink:
    """Writes to the file and hashes/counts what was written."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.hasher = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:  # raw files may write short
            n = self.out.write(view)
            if n is None:  # a buffered file wrote it all
                n = len(view)
            self.hasher.update(view[:n])
            self.bytes += n
            view = view[n:]
        return len(data)


_Item = TypeVar("_Item")


class _QueuedWriter(Generic[_Item]):
    """A bounded queue drained by one background thread, so ``write`` returns at once.

    The producer (the thread reading pg_dump) waits only when the queue is full, that
    is when compression or the disk truly falls behind; memory stays bounded by the
    queue's depth.  After a failure the thread keeps draining (and discarding), so the
    producer never blocks on it, and the error is raised at the next ``write``/``close``.
    """

    def __init__(self, out: BinaryIO, depth: int, name: str):
        self._sink = HashingSink(out)
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._drain, name=name, daemon=True)
        self._thread.start()

    @property
    def sha256(self) -> str:
        return self._sink.hasher.hexdigest()

    @property
    def compressed_bytes(self) -> int:
        return self._sink.bytes

    def abort(self) -> None:
        """Stop without writing what is still queued (the caller removes the file)."""
        self._stop = True
        self._finish()

    def _consume(self, item: _Item) -> None:
        raise NotImplementedError

    def _discard(self, item: _Item) -> None:
        """Drop a queued item after a failure or an abort."""

    def _put(self, item: _Item) -> None:
        while True:  # never wait forever on a drain thread that has failed
            self._raise_if_failed()
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _drain(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None or self._stop:
                self._discard(item)
                continue
            try:
                self._consume(item)
            except BaseException as exc:  # noqa: BLE001 - handed to the producer
                self._error = exc

    def _finish(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error


class GzipWriter(_QueuedWriter["Future[bytes]"]):
    """Parallel gzip: blocks deflated in threads, written in order as gzip members.

    The queue holds the blocks' futures in stream order; its thread writes each result
    when it is ready, so the members land in order whichever worker finishes first.
    """

    def __init__(self, out: BinaryIO, level: int = 6, *, block: int = BLOCK, workers: int | None = None):
        self.level, self.block = level, block
        self._buf = bytearray()
        self._members = 0
        workers = workers or _workers()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="gzip")
        super().__init__(out, depth=workers * 2, name="gzip-writer")  # ~2 blocks per worker

    def write(self, data: bytes) -> None:
        self._raise_if_failed()
        self._buf += data
        while len(self._buf) >= self.block:
            self._submit(bytes(self._buf[: self.block]))
            del self._buf[: self.block]

    def close(self) -> None:
        """Flush the last block, wait for every member to be written, raise any write error."""
        if self._buf or self._members == 0:  # an empty stream still needs one valid member
            self._submit(bytes(self._buf))
            self._buf.clear()
        self._finish()
        self._raise_if_failed()

    def _submit(self, block: bytes) -> None:
        self._members += 1
        self._put(self._pool.submit(zlib_ng.compress, block, self.level, GZIP_WBITS))

    def _consume(self, future: Future[bytes]) -> None:
        self._sink.write(future.result())

    def _discard(self, future: Future[bytes]) -> None:
        future.cancel()

    def _finish(self) -> None:
        super()._finish()
        self._pool.shutdown(wait=True, cancel_futures=True)


class ZstdWriter(_QueuedWriter[bytes]):
    """zstd (the opt-in ``.sql.zst`` format), fed from a queue by its own thread.

    zstd compresses on its own worker threads (``threads=-1``: one per core), which
    release the GIL, but its ``write`` blocks while they catch up; the queue lets the
    reader keep draining pg_dump's pipe meanwhile.  The output is one ordinary zstd
    frame, as ``zstd -d`` reads it.
    """

    def __init__(self, out: BinaryIO, level: int = ZSTD_LEVEL, *, workers: int | None = None, depth: int = 16):
        compressor = zstandard.ZstdCompressor(level=level, threads=workers or -1)
        super().__init__(out, depth=depth, name="zstd-writer")
        # zstandard's stub asks for IO[bytes]; it only calls write() (and flush() if there is one)
        self._stream = compressor.stream_writer(cast(IO[bytes], self._sink), closefd=False)

    def write(self, data: bytes) -> None:
        self._put(bytes(data))

    def close(self) -> None:
        """Wait for the queue to drain, then end the zstd frame; raise any write error."""
        self._finish()
        self._raise_if_failed()
        self._stream.close()  # type: ignore[no-untyped-call]  # zstandard's stub leaves close() unannotated

    def _consume(self, chunk: bytes) -> None:
        self._stream.write(chunk)


Writer = GzipWriter | ZstdWriter


def open_writer(fmt: str, out: BinaryIO, *, gzip_level: int = 6) -> Writer:
    """The compressing writer for ``fmt`` ("gzip" or "zstd") writing into ``out``."""
    if fmt == "gzip":
        return GzipWriter(out, gzip_level)
    if fmt == "zstd":
        return ZstdWriter(out)
    raise ValueError(f"unknown compression format {fmt!r}")
