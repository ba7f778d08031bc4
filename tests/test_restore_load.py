"""The load is one transaction even when pg_dump's script brings its own BEGIN/COMMIT."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from citaplanner_tui.core.pg import tools as pgtools
from citaplanner_tui.core.restore.load import LoadFailed, LoadSpec, load_archive
from tests.support.db import APP_ROLE, drop_app_db, make_app_db
from tests.support.restore import take_backup


def test_large_objects_commit_does_not_end_our_transaction(pg, backup_dir):
    """pg_dump wraps large-object data in BEGIN/COMMIT: that COMMIT must not commit a partial load."""
    source = make_app_db(pg, schema=False)
    target = make_app_db(pg, schema=False)
    try:
        source.sql(
            "CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2); "
            f"SELECT lo_from_bytea(777001, 'blob'); ALTER LARGE OBJECT 777001 OWNER TO {APP_ROLE}"
        )
        source.sql(f"ALTER TABLE t OWNER TO {APP_ROLE}")
        archive = take_backup(source, backup_dir)
        dump = gzip.decompress(archive.read_bytes())
        assert b"\nBEGIN;\n" in dump and b"\nCOMMIT;\n" in dump  # pg_dump's own, around the blob
        cut = dump.index(b"-- PostgreSQL database dump complete")  # after the blob's COMMIT
        broken = gzip.compress(dump[:cut] + b"SELECT * FROM no_such_table;\n" + dump[cut:])
        archive.write_bytes(broken)
        archive.with_name(archive.name + ".sha256").write_text(f"{hashlib.sha256(broken).hexdigest()}  x\n")

        spec = LoadSpec(target.info, pgtools.choose(18), 18)
        with pytest.raises(LoadFailed, match="no_such_table"):
            load_archive(archive, spec)
        assert target.sql("SELECT count(*) FROM pg_class WHERE relname = 't'") == [(0,)]
        assert target.sql("SELECT count(*) FROM pg_largeobject_metadata") == [(0,)]
    finally:
        drop_app_db(pg, source.name)
        drop_app_db(pg, target.name)


def test_a_compressible_value_comes_out_of_the_archive_in_bounded_pieces(tmp_path):
    """20 MiB of one byte compress to ~20 KiB: one read must not hand all of it on at once."""
    import citaplanner_tui.core.stream.archive as archive_module

    value = b"x" * (20 << 20)
    path = tmp_path / "x.sql.gz"
    path.write_bytes(gzip.compress(b"COPY public.t (v) FROM stdin;\n" + value + b"\n\\.\n"))
    pieces = list(archive_module.ArchiveReader(path))
    assert max(map(len, pieces)) <= 8 << 20  # a few MiB at most, not the whole value
    assert b"".join(pieces) == b"COPY public.t (v) FROM stdin;\n" + value + b"\n\\.\n"


def test_the_error_sentence_is_read_in_the_dump_encoding(app_db, tmp_path):
    """A LATIN1 dump's session speaks LATIN1: the server's error names its table as the operator wrote it."""
    dump = (
        b"--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'LATIN1';\n"
        b'SELECT * FROM public."caf\xe9";\n\n-- PostgreSQL database dump complete\n\n'
    )
    path = tmp_path / "latin1.sql.gz"
    path.write_bytes(gzip.compress(dump))
    with pytest.raises(LoadFailed) as err:
        load_archive(path, LoadSpec(app_db.info, pgtools.choose(18), 18))
    assert 'relation "public.café" does not exist' in err.value.sentence


# Records the maintenance_work_mem of main (a pre-data statement) and of the session that checks
# t's constraint (post-data: a worker in a parallel load), by a volatile CHECK run on t's one row.
_MEMORY_DUMP = b"""--
-- PostgreSQL database dump
--

SET client_encoding = 'UTF8';

--
-- Name: t; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.seen (who text, mem text);
CREATE FUNCTION public.note() RETURNS boolean LANGUAGE sql VOLATILE
    AS $$INSERT INTO public.seen SELECT 'checker', current_setting('maintenance_work_mem') RETURNING true$$;
CREATE TABLE public.t (a int);
INSERT INTO public.seen SELECT 'main', current_setting('maintenance_work_mem');

--
-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.t (a) FROM stdin;
1
\\.

--
-- Name: t t_noted; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.t
    ADD CONSTRAINT t_noted CHECK (public.note());

--
-- PostgreSQL database dump complete
--

"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_loading_session_sorts_and_hashes_in_the_memory_it_is_given(pg, tmp_path, jobs):
    """Index builds and key checks get ``work_mem_mb`` of maintenance_work_mem, on main and on the
    workers; a server (or database) set higher keeps its own, and 0 leaves the server's."""
    from citaplanner_tui.core.restore.parallel import load_scratch

    path = tmp_path / "memory.sql.gz"
    path.write_bytes(gzip.compress(_MEMORY_DUMP))
    (server_default,) = pg.sql("SHOW maintenance_work_mem")[0]
    for work_mem_mb, database_setting, expected in ((300, None, "300MB"), (300, "1GB", "1GB"), (0, None, None)):
        target = make_app_db(pg, schema=False)
        try:
            if database_setting:
                pg.sql(f"ALTER DATABASE {target.name} SET maintenance_work_mem = '{database_setting}'")
            load_scratch(path, LoadSpec(target.info, pgtools.choose(18), 18, work_mem_mb=work_mem_mb), jobs)
            seen = sorted(target.sql("SELECT who, mem FROM public.seen"))
        finally:
            drop_app_db(pg, target.name)
        wanted = expected or server_default
        assert seen == [("checker", wanted), ("main", wanted)], (work_mem_mb, database_setting)
