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
