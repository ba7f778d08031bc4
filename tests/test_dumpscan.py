"""The dump scanner on a real pg_dump stream, fed in awkward chunk sizes."""

import subprocess

import pytest

from citaplanner_tui.core.dumpscan import DumpScanner
from citaplanner_tui.core.pgtools import embedded_bindir


@pytest.fixture(scope="module")
def dump(pg):
    pg.create_database("dumpscan_src")
    pg.sql('CREATE TABLE "camelCase"(a int, b text); CREATE TABLE empty_t(a int);'
           "INSERT INTO \"camelCase\" SELECT g, E'line\\nbreak\\\\.' FROM generate_series(1, 5000) g",
           "dumpscan_src")
    out = subprocess.run([str(embedded_bindir() / "pg_dump"), "-d", pg.admin("dumpscan_src").conninfo(),
                          "--no-owner", "--no-acl"], capture_output=True, check=True).stdout
    yield out
    pg.sql("DROP DATABASE dumpscan_src")


@pytest.mark.parametrize("chunk", [1, 3, 1000, 1 << 20])
def test_counts_rows_and_sees_header_and_trailer(dump, chunk):
    scanner = DumpScanner()
    for i in range(0, len(dump), chunk):
        scanner.feed(dump[i:i + chunk])
    info = scanner.info
    assert info.header and info.complete
    assert info.rows == {"public.camelCase": 5000, "public.empty_t": 0}
    assert info.server_version[0] == 18 and info.pg_dump_version[0] == 18
    assert info.bytes == len(dump)


def test_truncated_dump_is_not_complete(dump):
    scanner = DumpScanner()
    scanner.feed(dump[: len(dump) - 200])
    assert scanner.info.header and not scanner.info.complete
