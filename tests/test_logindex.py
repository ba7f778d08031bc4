"""The mmap line index: line lookup, appends, rotation, truncation, level filter, search."""

import os

from citaplanner_tui.core.logindex import BLOCK, LineIndex

OLD = ("\x1b[0;34m[2025-01-09 02:00:00]\x1b[0m ℹ️  Iniciando backup\n"
       "\x1b[1;33m[2025-01-09 02:00:06]\x1b[0m ⚠️  Espacio bajo\n"
       "pg_dump: dumping contents of table \"public.users\" WARN is not a level here\n"
       "\x1b[0;31m[2025-01-09 02:00:07]\x1b[0m ❌ Error en backup\n")


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
        assert ix.lines(start, 3) == expected[start:start + 3]
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
    assert list(ix.lines_with_level({"INFO"})) == [0]  # the pg_dump line has no timestamp


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
    import citaplanner_tui.core.logindex as logindex

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
