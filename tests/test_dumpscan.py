"""The dump scanner on a real pg_dump stream, fed in awkward chunk sizes."""

import subprocess

import pytest

from citaplanner_tui.core.pg.tools import embedded_bindir
from citaplanner_tui.core.stream.dumpscan import DumpScanner


@pytest.fixture(scope="module")
def dump(pg):
    pg.create_database("dumpscan_src")
    pg.sql(
        'CREATE TABLE "camelCase"(a int, b text); CREATE TABLE empty_t(a int);'
        "INSERT INTO \"camelCase\" SELECT g, E'line\\nbreak\\\\.' FROM generate_series(1, 5000) g",
        "dumpscan_src",
    )
    out = subprocess.run(
        [str(embedded_bindir() / "pg_dump"), "-d", pg.admin("dumpscan_src").conninfo(), "--no-owner", "--no-acl"],
        capture_output=True,
        check=True,
    ).stdout
    yield out
    pg.sql("DROP DATABASE dumpscan_src")


@pytest.mark.parametrize("chunk", [1, 3, 1000, 1 << 20])
def test_counts_rows_and_sees_header_and_trailer(dump, chunk):
    scanner = DumpScanner()
    for i in range(0, len(dump), chunk):
        scanner.feed(dump[i : i + chunk])
    info = scanner.info
    assert info.header and info.complete
    assert info.rows == {"public.camelCase": 5000, "public.empty_t": 0}
    assert info.server_version[0] == 18 and info.pg_dump_version[0] == 18
    assert info.bytes == len(dump)


@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
def test_without_counting_it_names_the_same_tables_and_passes_the_same_bytes(dump, chunk):
    """What a parallel restore given pre-flight's counts runs: the tables, no counts, the stream unchanged."""
    counting, not_counting = DumpScanner(), DumpScanner(count_rows=False)
    passed = {id(s): bytearray() for s in (counting, not_counting)}
    for s in (counting, not_counting):
        for i in range(0, len(dump), chunk):
            passed[id(s)] += s.filter(dump[i : i + chunk])
        passed[id(s)] += s.rest()
    assert passed[id(counting)] == passed[id(not_counting)] == dump
    assert not_counting.info.rows == {"public.camelCase": 0, "public.empty_t": 0}
    assert counting.info.rows["public.camelCase"] == 5000 and not_counting.info.complete


def test_truncated_dump_is_not_complete(dump):
    scanner = DumpScanner()
    scanner.feed(dump[: len(dump) - 200])
    assert scanner.info.header and not scanner.info.complete


# What psql reads as SQL text, never as a data block, and the data blocks around it.
HOSTILE = (
    b"--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\n"
    b"SET standard_conforming_strings = on;\n"
    b"CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$\nBEGIN\n"
    b"COPY public.t (a) FROM stdin;\nSET transaction_timeout = 0;\n-- PostgreSQL database dump complete\n"
    b"END\n$body$;\n"
    b"COMMENT ON TABLE t IS 'it''s\nCOPY public.t (a) FROM stdin;\n';\n"
    b"COMMENT ON TABLE u IS E'\\'\nCOPY public.t (a) FROM stdin;\n';\n"
    b'CREATE VIEW v AS SELECT 1 /* nested /* comment\nCOPY public.t (a) FROM stdin;\n*/ */ AS "a;b";\n'
    b"CREATE RULE r AS ON INSERT TO t DO INSTEAD (SELECT 1;\nSELECT 2;\n);\n"
    b"SELECT a$b$, $$it's$$, $q$ $$ $q$;\n"
    b'--\n-- Data for Name: we"ird; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n'
    b'COPY public."we""ird" ("x(y)", "a.b") FROM stdin;\n1\t\\\\.\n2\t\\.x\n\\.\n'
    b'COPY "s.p"."a.b"  FROM stdin;\n\n\n\\.\n'
    b"SET transaction_timeout = 0;\n"
    b"-- PostgreSQL database dump complete\n"
)


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 13, 64, 1 << 20])
def test_only_top_level_copy_statements_start_data(chunk):
    from citaplanner_tui.core.restore.compat import line_dropper

    scanner = DumpScanner(line_dropper(15, (18, 0)))
    out = b"".join(scanner.filter(HOSTILE[i : i + chunk]) for i in range(0, len(HOSTILE), chunk)) + scanner.rest()
    assert scanner.info.rows == {'public."we""ird"': 2, '"s.p"."a.b"': 2}
    assert scanner.info.complete and scanner.info.header
    # Only the top-level SET went; the one inside the function body is text and stays.
    assert out == HOSTILE.replace(b"\\.\nSET transaction_timeout = 0;\n", b"\\.\n")


def test_latin1_names_are_decoded_from_the_dump_encoding():
    dump = b"SET client_encoding = 'LATIN1';\nCOPY public.\"caf\xe9\" (v) FROM stdin;\nx\n\\.\n"
    scanner = DumpScanner()
    scanner.feed(dump)
    assert scanner.info.rows == {"public.café": 1} and scanner.info.encoding == "LATIN1"


def test_a_long_value_streams_through_without_being_held():
    import resource

    scanner = DumpScanner()
    scanner.feed(b"COPY public.big (v) FROM stdin;\n")
    piece = b"ab" * (1 << 19)  # 1 MiB chunks of one 200 MiB line
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    passed = 0
    for _ in range(200):
        out = len(scanner.filter(piece))
        assert out >= len(piece) - 3  # handed on at once: at most a possible start of the end marker waits
        passed += out
    passed += len(scanner.filter(b"\n\\.\n"))
    assert passed == 200 * len(piece) + 4 and scanner.info.rows == {"public.big": 1}
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KiB: far below the line
