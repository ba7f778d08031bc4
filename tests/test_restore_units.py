"""Pure restore decisions, without a database: names, mode, confirmation, filters, SQL."""

from __future__ import annotations

from datetime import datetime

import pytest

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.restore.compat import line_dropper, psql_knows_restrict, skipped
from citaplanner_tui.core.restore.inplace import Reset, reset_sql
from citaplanner_tui.core.restore.plan import (
    ConfirmationRequired,
    check_confirm,
    choose_mode,
    free_stamp,
    pre_restore_name,
    scratch_name,
    steps_for,
)
from citaplanner_tui.core.restore.server import SchemaFacts
from citaplanner_tui.core.restore.validate import check_block, count_query, qualified
from citaplanner_tui.core.stream.dumpscan import DumpScanner, name_key, split_key

DUMP = (
    b"--\n-- PostgreSQL database dump\n--\n\n\\restrict KEY\n\n"
    b"SET statement_timeout = 0;\nSET transaction_timeout = 0;\n"
    b'COPY public."camelCase" (a, b) FROM stdin;\n'
    b"SET transaction_timeout = 0;\n\\restrict KEY\nplain\n\\.\n"
    b"-- PostgreSQL database dump complete\n\n\\unrestrict KEY\n"
)


def test_mode_follows_the_roles_rights():
    assert choose_mode(None, can_create=True, can_rename=True) == ("swap", None)
    assert choose_mode(None, can_create=False, can_rename=True) == ("in-place", None)
    assert choose_mode("in-place", can_create=True, can_rename=True) == ("in-place", None)
    mode, problem = choose_mode("swap", can_create=True, can_rename=False)
    assert mode == "swap" and "swap mode needs" in problem


def test_confirmation_must_be_the_target_name():
    check_confirm("citaplanner", "citaplanner")
    for wrong in (None, "", "CitaPlanner", "citaplanner "):
        with pytest.raises(ConfirmationRequired) as err:
            check_confirm("citaplanner", wrong)
        assert "--confirm citaplanner" in err.value.sentence and err.value.exit_code == 2


def test_names_and_stamps():
    now = datetime(2026, 1, 2, 3, 4, 5)
    assert scratch_name("citaplanner", "20260102030405") == "citaplanner__restore_20260102030405"
    taken = {pre_restore_name("db", "20260102030405"), scratch_name("db", "20260102030406")}
    assert free_stamp("db", taken, now) == "20260102030407"
    with pytest.raises(OperatorError):
        scratch_name("x" * 50, "20260102030405")


def test_steps_name_what_changes():
    swap = [s.name for s in steps_for("swap", "db", "20260102030405", leftovers=["db__restore_1"])]
    assert swap == ["drop leftovers", "safety backup", "create scratch", "load", "validate", "swap"]
    assert [s.name for s in steps_for("in-place", "db", "1")] == [
        "stop writes",
        "safety backup",
        "load in place",
        "validate",
        "allow writes",
    ]


def _filter(dump: bytes, drop, chunk: int) -> tuple[bytes, DumpScanner]:
    scanner = DumpScanner(drop)
    out = b"".join(scanner.filter(dump[i : i + chunk]) for i in range(0, len(dump), chunk))
    return out + scanner.rest(), scanner


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_filter_drops_only_statement_lines_the_target_rejects(chunk):
    out, scanner = _filter(DUMP, line_dropper(15, (15, 10)), chunk)
    assert b"\nSET transaction_timeout = 0;\nSET" not in out
    assert out.count(b"SET transaction_timeout = 0;") == 1  # the one inside COPY data stays
    assert out.count(b"\\restrict KEY") == 1 and b"\\unrestrict" not in out  # only COPY data's copy
    assert b"SET statement_timeout = 0;" in out
    assert scanner.info.rows == {"public.camelCase": 3} and scanner.info.complete


def test_filter_keeps_everything_when_target_and_psql_are_new_enough():
    assert line_dropper(17, (17, 6)) is None
    assert line_dropper(18, (18, 0)) is None
    out, _ = _filter(DUMP, line_dropper(16, (16, 10)), 5)
    assert out.count(b"SET transaction_timeout") == 1 and out.count(b"restrict KEY") == 3
    assert skipped(16, (16, 10)).startswith("SET transaction_timeout")
    assert psql_knows_restrict((15, 18)) and not psql_knows_restrict((15, 13))


def test_validation_sql():
    assert qualified('public."camel""Case"') == '"public"."camel""Case"'
    assert qualified('"s.p"."a.b"') == '"s.p"."a.b"'
    assert name_key(["s.p", 'we"ird']) == '"s.p"."we""ird"' and split_key('"s.p"."we""ird"') == ["s.p", 'we"ird']
    assert count_query(["public.a", "public.b"]).count("UNION ALL") == 1
    assert 'FROM ONLY "public"."a"' in count_query(["public.a"])
    block = check_block({"public.users": 3})
    assert """('public.users', '"public"."users"', 3::bigint)""" in block and "ONLY" in block
    assert check_block({}) == ""


def test_reset_drops_everything_the_dump_creates_and_puts_public_back():
    reset = Reset({"public": 12, 'odd"name': 1}, large_objects=2, publications=("pub",), event_triggers=("evt",))
    public = SchemaFacts("pg_database_owner", (("PUBLIC", "USAGE"), ("app", "CREATE")), "it's public")
    sql = reset_sql(reset, public)
    assert sql.splitlines() == [
        'DROP EVENT TRIGGER IF EXISTS "evt";',
        'DROP PUBLICATION IF EXISTS "pub";',
        "SELECT count(lo_unlink(oid)) FROM pg_largeobject_metadata;",
        'DROP SCHEMA IF EXISTS "public" CASCADE;',
        'DROP SCHEMA IF EXISTS "odd""name" CASCADE;',
        "CREATE SCHEMA public;",
        'ALTER SCHEMA public OWNER TO "pg_database_owner";',
        "GRANT USAGE ON SCHEMA public TO PUBLIC;",
        'GRANT CREATE ON SCHEMA public TO "app";',
        "COMMENT ON SCHEMA public IS 'it''s public';",
    ]
    assert reset.summary() == (
        'schema public (12 objects), schema odd"name (1 objects) with everything that '
        "depends on them; 2 large object(s); publication(s) pub; event trigger(s) evt"
    )
