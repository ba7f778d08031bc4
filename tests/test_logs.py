"""Log lines: ours are plain, the old script's emoji + ANSI lines are read correctly."""

from datetime import datetime

from citaplanner_tui.core.logs.lines import parse_line, untimed_level
from citaplanner_tui.core.logs.writer import Log, log_path

OLD_LINES = [
    "\x1b[0;34m[2025-01-09 02:00:00]\x1b[0m ℹ️  Iniciando backup automático",
    "\x1b[0;32m[2025-01-09 02:00:05]\x1b[0m ✅ Backup diario completado",
    "\x1b[1;33m[2025-01-09 02:00:06]\x1b[0m ⚠️  Espacio bajo",
    "\x1b[0;31m[2025-01-09 02:00:07]\x1b[0m ❌ Error en backup",
    'pg_dump: dumping contents of table "public.users"',
]


def test_old_script_lines_are_parsed_into_levels_without_ansi():
    records = [parse_line(line) for line in OLD_LINES]
    assert [r.level for r in records] == ["INFO", "OK", "WARN", "ERROR", "INFO"]
    assert records[0].time == datetime(2025, 1, 9, 2, 0, 0)
    assert records[2].message == "Espacio bajo"
    assert records[4].time is None and records[4].message.startswith("pg_dump:")
    assert not any("\x1b" in r.message for r in records)


def test_our_lines_round_trip_and_create_the_missing_log_dir(tmp_path):
    log_dir = tmp_path / "missing" / "logs"
    seen = []
    clock = lambda: datetime(2026, 11, 27, 3, 4, 5)  # noqa: E731
    log = Log(log_dir, "backup", echo=seen.append, clock=clock)
    log.warn("dump is 40% smaller\nthan the last one")
    path = log_path(log_dir, "backup", clock())
    text = path.read_text()
    assert text == "[2026-11-27 03:04:05] WARN dump is 40% smaller than the last one\n"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert parse_line(text) == seen[0].__class__(clock(), "WARN", "dump is 40% smaller than the last one")


def test_client_tool_lines_have_their_own_level_and_others_continue():
    error = (
        'pg_dump: error: connection to server at "db" (10.0.0.5), port 5432 failed: '
        'FATAL:  password authentication failed for user "citaplanner"'
    )
    assert untimed_level(error) == "ERROR" and parse_line(error).level == "ERROR"
    assert untimed_level("psql:/tmp/r.sql:12: ERROR:  relation exists") == "ERROR"
    assert untimed_level("dropdb: error: database removal failed: ERROR:  in use") == "ERROR"
    assert untimed_level("pg_restore: warning: errors ignored on restore: 1") == "WARN"
    assert untimed_level('pg_dump: dumping contents of table "public.users"') == "INFO"
    assert untimed_level("pg_dump: detail: the password was rejected") is None
    assert untimed_level("  indented continuation") is None
    assert untimed_level("ValueError: not a client tool") is None
