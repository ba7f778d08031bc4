"""The mmap line index: line lookup, appends, rotation, truncation, level filter, search."""

import os
from datetime import date

import pytest

from citaplanner_tui.core.logs.index import BLOCK, LevelFilter, LineIndex, Superseded

OLD = (
    "\x1b[0;34m[2025-01-09 02:00:00]\x1b[0m ℹ️  Iniciando backup\n"
    "\x1b[1;33m[2025-01-09 02:00:06]\x1b[0m ⚠️  Espacio bajo\n"
    'pg_dump: dumping contents of table "public.users" WARN is not a level here\n'
    "\x1b[0;31m[2025-01-09 02:00:07]\x1b[0m ❌ Error en backup\n"
)


def write_lines(path, n, start=0, mode="w"):
    with open(path, mode) as fh:
        for i in range(start, start + n):
            level = "ERROR" if i % 997 == 0 else "INFO"
            fh.write(f"[2026-11-27 02:00:00] {level} line {i} {'x' * (i % 50)}\n")


def test_lines_across_many_blocks_match_a_plain_read(tmp_path):
    path = tmp_path / "big.log"
    write_lines(path, 20000)
    assert path.stat().st_size > 10 * BLOCK
    expected = path.read_text().splitlines()
    ix = LineIndex(path)
    assert ix.refresh() is True
    assert len(ix) == len(expected) == 20000
    for start in (0, 1, 4321, 19998):
        assert ix.lines(start, 3) == expected[start : start + 3]
    assert ix.lines(19999, 10) == [expected[-1]]
    assert ix.lines(20000, 1) == []
    for n in (0, 1, 777, 12345, 19999):
        assert ix.line_of_offset(ix.offset(n)) == n


def test_appends_are_indexed_and_a_last_line_without_newline_counts(tmp_path):
    path = tmp_path / "b.log"
    write_lines(path, 100)
    ix = LineIndex(path)
    ix.refresh()
    assert ix.refresh() is False  # nothing changed
    with open(path, "a") as fh:
        fh.write("[2026-11-27 03:00:00] OK half")
    assert ix.refresh() is True and len(ix) == 101
    assert ix.lines(100, 1) == ["[2026-11-27 03:00:00] OK half"]
    with open(path, "a") as fh:
        fh.write(" done\n")
    ix.refresh()
    assert len(ix) == 101 and ix.lines(100, 5) == ["[2026-11-27 03:00:00] OK half done"]


def test_rotation_and_truncation_start_over(tmp_path):
    path = tmp_path / "r.log"
    write_lines(path, 5000)
    ix = LineIndex(path)
    ix.refresh()
    generation = ix.generation
    os.rename(path, tmp_path / "r.log.1")  # logrotate: new file, new inode
    write_lines(path, 3, start=9000)
    assert ix.refresh() is True
    assert ix.generation > generation and len(ix) == 3
    assert ix.lines(0, 1)[0].startswith("[2026-11-27 02:00:00] INFO line 9000")
    with open(path, "r+") as fh:  # copytruncate: same inode, smaller
        fh.truncate(0)
    fh = open(path, "a")
    fh.write("[2026-11-27 04:00:00] WARN after truncate\n")
    fh.close()
    ix.refresh()
    assert len(ix) == 1 and ix.lines(0, 1) == ["[2026-11-27 04:00:00] WARN after truncate"]
    path.unlink()
    assert ix.refresh() is True and len(ix) == 0 and ix.lines(0, 5) == []


def test_level_filter_reads_ours_and_the_old_emoji_lines(tmp_path):
    path = tmp_path / "old.log"
    path.write_text(OLD + "[2026-11-27 02:00:00] WARN ours\n[2026-11-27 02:00:01] ERROR ours too\n")
    ix = LineIndex(path)
    ix.refresh()
    assert list(ix.lines_with_level({"WARN"})) == [1, 4]
    assert list(ix.lines_with_level({"ERROR"})) == [3, 5]
    assert list(ix.lines_with_level({"WARN", "ERROR"})) == [1, 3, 4, 5]
    assert list(ix.lines_with_level({"WARN"})) == [1, 4]  # pg_dump's own line does not continue the WARN


def test_level_filter_over_many_blocks(tmp_path):
    path = tmp_path / "big.log"
    write_lines(path, 20000)
    ix = LineIndex(path)
    ix.refresh()
    assert list(ix.lines_with_level({"ERROR"})) == list(range(0, 20000, 997))


def test_search_forwards_and_backwards(tmp_path):
    path = tmp_path / "s.log"
    write_lines(path, 20000)
    ix = LineIndex(path)
    ix.refresh()
    assert ix.find("line 15000 ", 0) == 15000
    assert ix.find("line 15000 ", 15000) is None  # strictly after
    assert ix.find("line 10 ", 19999, backwards=True) == 10
    assert ix.find("no such text", 0) is None
    assert ix.find("Line 10 ", 0) is None  # case-sensitive by design
    assert ix.find("line 19999", len(ix), backwards=True) == 19999  # from past the end
    with open(path, "a") as fh:
        fh.write("no newline at the end")
    ix.refresh()
    assert ix.find("newline", len(ix), backwards=True) == 20000


def test_searches_across_scan_windows_find_needles_on_the_seams(tmp_path, monkeypatch):
    import citaplanner_tui.core.logs.index as logindex

    monkeypatch.setattr(logindex, "SCAN", 1000)  # many small windows
    path = tmp_path / "seams.log"
    write_lines(path, 3000)
    ix = LineIndex(path)
    ix.refresh()
    text = path.read_text().splitlines()
    for n in (1, 17, 999, 2500, 2999):
        needle = text[n][20:40]
        assert ix.find(needle, n - 1) == n
        assert ix.find(needle, n + 1, backwards=True) == n
    assert list(ix.lines_with_level({"ERROR"})) == list(range(0, 3000, 997))


@pytest.mark.parametrize("probe", [True, False], ids=["by-the-rarest-byte", "whole"])
def test_needles_found_by_a_rare_byte_or_whole_are_every_occurrence_on_every_seam(tmp_path, monkeypatch, probe):
    """Whether a needle is searched whole or by its rarest byte (checked around each hit),
    every occurrence is found once, also across the windows' seams and at the range's ends."""
    import citaplanner_tui.core.logs.index as logindex

    monkeypatch.setattr(logindex, "SCAN", 1000)
    if probe:
        monkeypatch.setattr(logindex, "RARE_PROBE", 0)  # however common the byte
    else:
        monkeypatch.setattr(logindex.LineIndex, "_probe", lambda self, needle, lo, hi: None)
    path = tmp_path / "mixed.log"
    with open(path, "w") as fh:
        for i in range(4000):
            level = ("WARN", "ERROR", "INFO", "INFO", "INFO")[i % 5 if i % 7 else 2]
            fh.write(f"[2026-11-27 02:00:00] {level} {'⚠' if i % 11 == 0 else ''}item {i} {'y' * (i % 37)}\n")
    ix = LineIndex(path)
    ix.refresh()
    data = path.read_bytes()
    for needle in (b"WARN", b"ERROR", "⚠".encode(), b"item 39", b"yy\n["):
        for lo, hi in ((0, len(data)), (1000, len(data) - 999), (1, 2)):
            expected, at = [], data.find(needle, lo, hi)
            while at >= 0:
                expected.append(at)
                at = data.find(needle, at + 1, hi)
            assert list(ix._occurrences(needle, lo, hi)) == expected, (needle, lo, hi)
    ix.close()


FAILED_BACKUP = [
    "[2026-11-27 02:00:00] INFO backup started",  # 0
    "pg_dump: last built-in OID is 16383",  # 1 pg_dump's own INFO
    'pg_dump: error: connection to server at "db" (10.0.0.5), port 5432 failed: '
    'FATAL:  password authentication failed for user "citaplanner"',  # 2 an error itself
    "pg_dump: detail: the password was rejected",  # 3 continues 2
    "[2026-11-27 02:00:01] ERROR backup failed: pg_dump exited with 1",  # 4
    "  the partial file was removed",  # 5 continues 4
    "════════════════════",  # 6 continues 4
    "[2026-11-27 02:00:02] INFO next",  # 7
    "  plain continuation of an INFO",  # 8
    'psql:/tmp/restore.sql:12: ERROR:  relation "Client" already exists',  # 9
    "psql:/tmp/restore.sql:12: DETAIL:  Key (id)=(1) exists",  # 10 continues 9
    "pg_restore: warning: errors ignored on restore: 1",  # 11
    "[2026-11-27 02:00:03] OK done",  # 12
]


def test_untimed_lines_take_the_level_of_the_entry_they_continue(tmp_path):
    path = tmp_path / "failed.log"
    path.write_text("\n".join(FAILED_BACKUP) + "\n")
    ix = LineIndex(path)
    ix.refresh()
    assert list(ix.lines_with_level({"ERROR"})) == [2, 3, 4, 5, 6, 9, 10]
    assert list(ix.lines_with_level({"WARN", "ERROR"})) == [2, 3, 4, 5, 6, 9, 10, 11]
    assert list(ix.lines_with_level({"WARN"})) == [11]
    assert [ix.own_level(ix.offset(n)) for n in (0, 1, 2, 3, 5, 11)] == ["INFO", "INFO", "ERROR", None, None, "WARN"]


def test_a_level_filter_goes_on_from_where_it_stopped_as_the_file_grows(tmp_path):
    path = tmp_path / "growing.log"
    path.write_text("\n".join(FAILED_BACKUP[:5]) + "\n")
    ix = LineIndex(path)
    ix.refresh()
    errors = LevelFilter(ix, {"ERROR"})
    errors.update()
    rows = errors.rows
    assert list(rows) == [2, 3, 4]
    with open(path, "a") as fh:  # the ERROR entry's continuation arrives later, then half a line
        fh.write(FAILED_BACKUP[5] + "\n" + FAILED_BACKUP[6] + "\n[2026-11-27 02:00:02] ERROR half")
    ix.refresh()
    errors.update()
    assert errors.rows is rows and list(rows) == [2, 3, 4, 5, 6]  # grown in place; the half line waits
    with open(path, "a") as fh:
        fh.write(" a line\n  its continuation\n")
    ix.refresh()
    errors.update()
    assert list(errors.rows) == [2, 3, 4, 5, 6, 7, 8] == list(ix.lines_with_level({"ERROR"}))
    os.rename(path, tmp_path / "growing.log.1")  # rotated: starts over
    path.write_text(FAILED_BACKUP[0] + "\n" + FAILED_BACKUP[2] + "\n")
    ix.refresh()
    errors.update()
    assert list(errors.rows) == [1]


def test_a_level_filter_reports_progress_and_stops_when_superseded(tmp_path, monkeypatch):
    import citaplanner_tui.core.logs.index as logindex

    monkeypatch.setattr(logindex, "SCAN", 4096)
    path = tmp_path / "p.log"
    write_lines(path, 5000)
    ix = LineIndex(path)
    ix.refresh()
    seen = []
    assert list(ix.lines_with_level({"ERROR"}, progress=lambda done, total: seen.append((done, total)))) == list(
        range(0, 5000, 997)
    )
    assert len(seen) > 10 and seen == sorted(seen) and seen[-1][0] == seen[-1][1]

    def stop(done, total):
        raise Superseded

    with pytest.raises(Superseded):
        ix.lines_with_level({"ERROR"}, progress=stop)


def test_days_of_the_first_and_last_timed_lines(tmp_path):
    path = tmp_path / "d.log"
    path.write_text(
        "pg_dump: untimed first\n[2026-11-26 23:59:00] INFO a\n[2026-11-27 00:01:00] INFO b\n  untimed last\n"
    )
    ix = LineIndex(path)
    ix.refresh()
    assert ix.days() == (date(2026, 11, 26), date(2026, 11, 27))
    path.write_text("no timestamps at all\n")
    ix.refresh()
    assert ix.days() == (None, None)


# Lines a level filter must tell apart: markers inside message text, a tool's word inside a
# timed line, tool lines and their continuations, CRLF endings, emoji, colour codes, a bracket
# that is not a timestamp, blank lines, and a tool line longer than a block (its "error:" far in).
TRICKY = [
    "[2026-11-27 02:00:00] INFO all good",
    "[2026-11-27 02:00:00] INFO the word WARN and ERROR inside a message",
    "[2026-11-27 02:00:00] INFO pg_dump: error: quoted inside a timed line",
    "[2026-11-27 02:00:01] WARN low space",
    "[2026-11-27 02:00:01] WARNING is a WARN too",
    "[2026-11-27 02:00:02] ERROR backup failed\r",
    "[2026-11-27 02:00:02] OK done\r",
    "\x1b[1;33m[2025-01-09 02:00:06]\x1b[0m ⚠️  Espacio bajo",
    "\x1b[0;31m[2025-01-09 02:00:07]\x1b[0m ❌ Error en backup",
    "\x1b[0;34m[2025-01-09 02:00:00]\x1b[0m ℹ️  Iniciando backup",
    "pg_dump: dumping contents of table public.users WARN is not a level here",
    "pg_dump: error: connection to server failed",
    "pg_dump: detail: the password was rejected",
    "pg_restore: warning: errors ignored on restore: 1",
    'psql:/tmp/restore.sql:12: ERROR:  relation "Client" already exists',
    "  continuation of whatever came before, with error: and WARN in it",
    "[not a timestamp] ERROR looks like one",
    "",
    "gzip: " + "x" * 700 + " error: far into a long line",
]


@pytest.mark.parametrize("seed", range(6))
def test_the_level_filter_is_a_plain_line_by_line_filter(tmp_path, monkeypatch, seed):
    """Whatever blocks and marks the index uses, a filter returns exactly the lines a plain reading
    gives: each line's own level (``own_level``), an untimed one taking the level of the entry it
    continues, a last line without its newline left out until it has one."""
    import random

    import citaplanner_tui.core.logs.index as logindex

    monkeypatch.setattr(logindex, "BLOCK", 256)  # many blocks, lines and needles across their seams
    monkeypatch.setattr(logindex, "SCAN", 300)
    rng = random.Random(seed)
    lines = [rng.choice(TRICKY) for _ in range(3000)]
    text = "\n".join(lines) + ("\n" if seed % 2 else "")  # odd seeds: the last line has no newline
    path = tmp_path / "tricky.log"
    path.write_bytes(text.encode())
    ix = LineIndex(path)
    ix.refresh()

    def plain(wanted):
        data, rows, offset, current = path.read_bytes(), [], 0, None
        for n, line in enumerate(data.split(b"\n")[:-1]):  # whole lines only
            current = ix.own_level(offset) or current
            if current in wanted:
                rows.append(n)
            offset += len(line) + 1
        return rows

    for wanted in ({"WARN", "ERROR"}, {"ERROR"}, {"WARN"}, {"INFO"}, {"OK"}, {"INFO", "OK", "WARN", "ERROR"}):
        expected = plain(wanted)
        assert expected, wanted  # every level is there: the check compares something
        assert list(ix.lines_with_level(wanted)) == expected, wanted
    ix.close()
