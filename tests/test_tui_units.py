"""Pure pieces of the console: formatting, pane packing, theme choice, the delete rule, the table."""

from __future__ import annotations

from datetime import timedelta

from citaplanner_tui.core.volume.catalog import scan
from citaplanner_tui.core.volume.delete import refusal
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.app import default_theme
from citaplanner_tui.tui.widgets.backup_table import BackupTable
from citaplanner_tui.tui.widgets.panes import pack
from tests.support.tui import NOW, make_console, settle, sync


def test_ages_sizes_bars_and_health_words():
    assert fmt.short_age(NOW - timedelta(minutes=5), NOW) == "5m"
    assert fmt.short_age(NOW - timedelta(days=3, hours=2), NOW) == "3d"
    assert fmt.short_age(NOW + timedelta(seconds=5), NOW) == "0s"  # a clock a little behind
    assert fmt.age(None, NOW) == "never" and fmt.age(NOW - timedelta(hours=10), NOW) == "10 hours ago"
    assert fmt.size(1536) == "1.5 KiB" and fmt.size(None) == "unknown"
    assert fmt.bar(0.5, 10) == "█████░░░░░" and fmt.bar(2, 4) == "████"
    assert fmt.seconds(3725) == "1:02:05" and fmt.seconds(65) == "1:05"
    for word in ("OK", "WARN", "FAIL"):  # the word is always there, whatever the colours
        assert f"]{word:<4}[/]" in fmt.health(word)


def test_pack_never_splits_a_cell_and_keeps_the_prefix_room():
    lines = pack(["ok 13", "checksum mismatch 1", "no sidecar 0"], 32, "[b]FAIL[/] ", "     ")
    assert lines == ["[b]FAIL[/] ok 13 · checksum mismatch 1", "     no sidecar 0"]
    assert pack(["a very long cell that does not fit"], 10) == ["a very long cell that does not fit"]


def test_sixteen_colour_terminals_get_the_ansi_theme():
    assert default_theme({"TERM": "linux"}) == "ansi-dark"
    assert default_theme({"TEXTUAL_COLOR_SYSTEM": "standard", "TERM": "xterm-256color"}) == "ansi-dark"
    assert default_theme({"TERM": "xterm-256color"}) == "textual-dark"


def test_delete_rule_protects_the_newest_good_of_each_tier_and_foreign_files(sample_volume):
    (sample_volume / "daily" / "notes.txt").write_text("not ours")
    catalog = scan(sample_volume, now=NOW)
    for tier in ("daily", "weekly", "monthly", "manual"):
        newest = catalog.newest_good(tier)
        assert "newest good" in refusal(catalog, newest)
        older = [e for e in catalog.backups(tier) if e.good and e is not newest]
        assert all(refusal(catalog, e) is None for e in older)
    foreign = next(e for e in catalog if e.path.name == "notes.txt")
    assert "not a backup dump of ours" in refusal(catalog, foreign)
    partial = next(e for e in catalog if e.path.name.endswith(".partial"))
    assert "not a backup dump of ours" in refusal(catalog, partial)
    assert "no longer" in refusal(catalog, None)


@sync
async def test_backup_table_keeps_its_row_across_refills_and_pages(sample_volume):
    app = make_console(sample_volume)
    rows = [(f"k{i}", (f"t{i}",) + ("",) * 6, "OK") for i in range(5000)]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        table = app.screen.query_one(BackupTable)
        table.set_rows(rows)
        await pilot.press("pagedown", "pagedown", "down")
        at = table.cursor_key
        assert table.cursor > 30 and table.scroll_y > 0
        table.set_rows([("new", ("x",) + ("",) * 6, "WARN")] + rows)  # a new backup arrives on top
        assert table.cursor_key == at
        await pilot.press("end")
        assert table.cursor_key == "k4999"
        assert table.render_line(table.size.height - 1).text.strip().startswith("t4999")
        await pilot.press("home")
        assert table.cursor_key == "new" and table.scroll_y == 0


def _subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct} | _subclasses(direct)}


def test_console_screens_and_widgets_keep_the_css_of_the_textual_class_they_extend():
    """Textual gives a class the CSS of the first DOMNode among its bases: a console screen that
    lost Screen's (its opaque background) made Textual render every screen below it on each repaint."""
    import importlib
    import pkgutil

    from textual.dom import DOMNode

    import citaplanner_tui.tui as tui
    from citaplanner_tui.tui.node import ConsoleNode

    for module in pkgutil.walk_packages(tui.__path__, "citaplanner_tui.tui."):
        importlib.import_module(module.name)
    classes = _subclasses(ConsoleNode)
    assert {"DashboardScreen", "StatusBar", "JobLine", "TiersPane"} <= {c.__name__ for c in classes}
    for cls in classes:
        textual = next(b for b in cls.__mro__ if b.__module__.startswith("textual.") and issubclass(b, DOMNode))
        assert textual.__name__ in cls._css_type_names, (cls, textual)
