"""The compressing writers: what gunzip reads, what the hash covers, and how they fail."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import threading

import pytest
import zstandard

from citaplanner_tui.core.stream.archive import ArchiveReader
from citaplanner_tui.core.stream.compress import GzipWriter, ZstdWriter, open_writer

# Text that deflates like a dump does, plus random bytes so blocks differ.
DATA = b"".join(
    b"%d\tcliente %d\t55%08d\t2026-01-01 10:00:00\t%s\n" % (i, i, i, os.urandom(4).hex().encode())
    for i in range(60_000)
)


def _write(writer, data: bytes, chunk: int = 65_536) -> None:
    for i in range(0, len(data), chunk):
        writer.write(data[i : i + chunk])
    writer.close()


@pytest.mark.parametrize("chunk", [1, 4096, 3 << 20])
def test_gzip_is_multi_member_in_order_and_gunzip_reads_it(tmp_path, chunk):
    path = tmp_path / "a.sql.gz"
    data = DATA[:200_000] if chunk == 1 else DATA
    with open(path, "wb") as out:
        writer = GzipWriter(out, 6, block=64 * 1024)
        _write(writer, data, chunk)
    raw = path.read_bytes()
    assert writer.sha256 == hashlib.sha256(raw).hexdigest() and writer.compressed_bytes == len(raw)
    assert raw.count(b"\x1f\x8b\x08") >= len(data) // (64 * 1024)  # one member per block
    assert subprocess.run(["gunzip", "-t", str(path)]).returncode == 0
    assert subprocess.run(["gunzip", "-c", str(path)], capture_output=True).stdout == data
    reader = ArchiveReader(path)
    assert b"".join(reader) == data and reader.sha256 == writer.sha256


def test_gzip_level_is_applied(tmp_path):
    sizes = {}
    for level in (1, 9):
        with open(tmp_path / f"l{level}.gz", "wb") as out:
            writer = GzipWriter(out, level)
            _write(writer, DATA)
        sizes[level] = writer.compressed_bytes
    assert sizes[9] < sizes[1]


def test_empty_stream_is_still_a_valid_gzip_file(tmp_path):
    path = tmp_path / "empty.gz"
    with open(path, "wb") as out:
        GzipWriter(out).close()
    assert subprocess.run(["gunzip", "-t", str(path)]).returncode == 0
    assert b"".join(ArchiveReader(path)) == b""


def test_zstd_round_trip_and_hash(tmp_path):
    path = tmp_path / "a.sql.zst"
    with open(path, "wb") as out:
        writer = open_writer("zstd", out)
        assert isinstance(writer, ZstdWriter)
        _write(writer, DATA)
    raw = path.read_bytes()
    assert writer.sha256 == hashlib.sha256(raw).hexdigest() and writer.compressed_bytes == len(raw)
    assert zstandard.ZstdDecompressor().decompressobj().decompress(raw) == DATA
    assert b"".join(ArchiveReader(path)) == DATA


def test_zstd_on_every_core_is_one_standard_frame_that_zstd_reads(tmp_path):
    """Multi-threaded zstd (several MiB, so its workers each take a job) still writes what
    the ``zstd`` tool checks and decompresses: an operator's way back without us."""
    data = DATA * 3  # ~14 MiB: more than one zstd job per worker
    path = tmp_path / "a.sql.zst"
    with open(path, "wb") as out:
        _write(open_writer("zstd", out), data, chunk=1 << 20)
    assert subprocess.run(["zstd", "-q", "-t", str(path)]).returncode == 0
    plain = subprocess.run(["zstd", "-q", "-d", "-c", str(path)], capture_output=True, check=True).stdout
    assert hashlib.sha256(plain).digest() == hashlib.sha256(data).digest()


@pytest.mark.parametrize("fmt", ["gzip", "zstd"])
def test_full_disk_error_reaches_the_producer(fmt):
    """/dev/full answers every write with ENOSPC, as a full volume does."""
    with open("/dev/full", "wb", buffering=0) as out:
        writer = open_writer(fmt, out)
        with pytest.raises(OSError) as info:
            _write(writer, DATA * 3)
        assert info.value.errno == errno.ENOSPC
        writer.abort()


def test_pending_blocks_are_bounded_when_the_disk_stalls():
    """A writer that cannot write (a pipe nobody reads) makes the producer wait, not buffer."""
    block = 256 * 1024
    rfd, wfd = os.pipe()
    accepted = 0
    with os.fdopen(wfd, "wb", buffering=0) as out:
        writer = GzipWriter(out, 1, block=block, workers=2)
        incompressible = os.urandom(block)

        def produce():
            nonlocal accepted
            for _ in range(40):
                writer.write(incompressible)
                accepted += block

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        producer.join(1.0)
        stalled_at = accepted
        assert producer.is_alive() and stalled_at <= 12 * block  # 10 MiB offered, a few blocks held
        drained = []
        reader = threading.Thread(
            target=lambda: drained.append(len(b"".join(iter(lambda: os.read(rfd, 1 << 20), b"")))), daemon=True
        )
        reader.start()
        producer.join(30)
        assert not producer.is_alive() and accepted == 40 * block
        writer.close()
    reader.join(30)
    os.close(rfd)
    assert drained and drained[0] == writer.compressed_bytes
