"""Archive reading: multi-member gzip, zstd, and every way an archive can be damaged."""

import gzip
import hashlib
import os
import re
import subprocess

import pytest
import zstandard

from citaplanner_tui.core.stream.archive import ArchiveReader, CorruptArchive

DATA = os.urandom(200_000).hex().encode()


@pytest.fixture
def gz(tmp_path):
    path = tmp_path / "a.sql.gz"
    with path.open("wb") as fh:  # several members, as the parallel writer makes
        for i in range(0, len(DATA), 70_000):
            fh.write(gzip.compress(DATA[i : i + 70_000]))
    return path


def test_multi_member_gzip_reads_whole_and_hashes_compressed_bytes(gz):
    reader = ArchiveReader(gz)
    assert b"".join(reader) == DATA
    assert reader.sha256 == hashlib.sha256(gz.read_bytes()).hexdigest()
    assert subprocess.run(["gunzip", "-t", str(gz)]).returncode == 0


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_damaged_gzip_is_reported(gz, damage):
    raw = bytearray(gz.read_bytes())
    if damage == "truncate":
        raw = raw[:-40]
    elif damage == "flip":
        raw[len(raw) // 2] ^= 0xFF
    elif damage == "empty":
        raw = bytearray()
    else:
        raw += b"not gzip"
    gz.write_bytes(raw)
    with pytest.raises(CorruptArchive, match="a.sql.gz is (truncated|corrupt)"):
        b"".join(ArchiveReader(gz))


def test_a_damaged_member_is_named_by_its_reason_not_the_library_error_number(gz):
    raw = bytearray(gz.read_bytes())
    first = len(gzip.compress(DATA[:70_000]))
    raw[first - 8] ^= 0x01  # the first member's CRC-32, in its trailer
    gz.write_bytes(raw)
    with pytest.raises(CorruptArchive) as caught:
        b"".join(ArchiveReader(gz))
    sentence = caught.value.sentence
    assert sentence.startswith("a.sql.gz is corrupt: gzip data error (") and "checksum" in sentence.lower()
    assert not re.search(r"Error -?\d", sentence), sentence


def test_zstd_round_trip_and_truncation(tmp_path):
    path = tmp_path / "b.sql.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(DATA))
    assert b"".join(ArchiveReader(path)) == DATA
    path.write_bytes(path.read_bytes()[:-25])
    with pytest.raises(CorruptArchive, match="truncated"):
        b"".join(ArchiveReader(path))
