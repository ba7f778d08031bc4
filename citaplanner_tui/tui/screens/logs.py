"""The log files (ours and the old script's) and a viewer for any of them, of any size.

The list holds every file in ``LOG_DIR`` ending in ``.log`` (``backup_*``,
``restore_*``, ``cron.log`` ...), newest first.  The viewer is ``LogView``: a mmap
line index built in a thread (a 1 GB log opens at once and fills in), lines read for
the visible window only, follow mode, a level filter, and literal search; it starts
over by itself when the file is rotated or truncated.

Built for 80 columns: below ``WIDE`` columns the file list is hidden until asked for
(``l``; picking a file hides it again), so the log gets the whole width, and messages
wrap under their time and level (``W`` switches to one row per line, panned with
left/right).
"""

from __future__ import annotations

import os
from pathlib import Path

from rich.table import Table
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from citaplanner_tui.core.i18n import N_, _, ngettext
from citaplanner_tui.core.report import units
from citaplanner_tui.tui import actions, gate
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.actions import ActionSpec
from citaplanner_tui.tui.widgets.keys_footer import KeysFooter
from citaplanner_tui.tui.widgets.log_view import LogView
from citaplanner_tui.tui.widgets.status_bar import StatusBar

actions.register(
    ActionSpec("search", N_("Search"), N_("Find text in the log (exact case)"), "slash", "LogsScreen", key_display="/"),
    ActionSpec(
        "next_match", N_("Next match"), N_("Jump to the next line with the search text"), "n", "LogsScreen", show=False
    ),
    ActionSpec(
        "previous_match",
        N_("Previous match"),
        N_("Jump to the previous line with the search text"),
        "N",
        "LogsScreen",
        show=False,
    ),
    ActionSpec("toggle_follow", N_("Follow"), N_("Keep the end of the log in view as it grows"), "f", "LogsScreen"),
    ActionSpec(
        "cycle_levels", N_("Levels"), N_("Show all lines, then WARN and ERROR, then ERROR only"), "w", "LogsScreen"
    ),
    ActionSpec("toggle_files", N_("Files"), N_("Show or hide the list of log files"), "l", "LogsScreen"),
    ActionSpec(
        "toggle_wrap", N_("Wrap"), N_("Wrap long lines, or one row per line (left/right pan)"), "W", "LogsScreen"
    ),
)
SHOWN_QUERY = 40  # characters of a search quoted back in its notice
WIDE = 100  # columns from which the file list is shown beside the log by default


def log_files(log_dir: Path) -> list[tuple[Path, int, float]]:
    """``(path, size, mtime)`` of every ``*.log`` in ``log_dir``, newest first."""
    try:
        found = [e for e in os.scandir(log_dir) if e.name.endswith(".log") and e.is_file()]
    except OSError:
        return []
    stats = [(Path(e.path), e.stat()) for e in found]
    return [
        (p, st.st_size, st.st_mtime) for p, st in sorted(stats, key=lambda x: (x[1].st_mtime, x[0].name), reverse=True)
    ]


def _file_row(name: str, size: str) -> Table:
    """One row of the file list: the size kept whole at the right, the name cut short (…) when
    both do not fit, where a plain prompt would wrap the size onto a row of its own."""
    row = Table.grid(padding=(0, 1, 0, 0), expand=True)
    row.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
    row.add_column(no_wrap=True, justify="right")
    row.add_row(name, size)
    return row


class LogsScreen(gate.GatedScreen):
    TITLE = N_("Logs")
    DEFAULT_CSS = """
    #log-files { width: 34; height: 100%; }  /* "restore_YYYYMMDD.log 999 Bytes" whole */
    #log-state { color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "back", N_("Back"), id="logs.back"), *actions.bindings_for("LogsScreen")]

    def __init__(self) -> None:
        super().__init__()
        self._files_chosen: bool | None = None  # the operator's l; None: by the width

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="logs-body"):
            yield OptionList(id="log-files")
            with Vertical(id="log-side"):
                view = LogView(poll=self.app.log_poll, wrap=True, id="log-viewer")
                view.border_title = _("no log selected")
                yield view
                yield Label(id="log-state")
                yield Input(placeholder=_("search (exact text), Enter finds, Esc closes"), id="log-search")
        yield KeysFooter(show_command_palette=False)  # its room goes to the screen's keys (^p still opens it)

    def on_mount(self) -> None:
        self.query_one("#log-search").display = False
        self._place_files()
        files = log_files(self.app.settings.logs)
        listing = self.query_one("#log-files", OptionList)
        listing.border_title = _("Log files")
        for path, size, _mtime in files:
            listing.add_option(Option(_file_row(path.name, fmt.size(size)), id=str(path)))
        if files:
            listing.highlighted = 0
            self.open(files[0][0])
        else:
            listing.add_option(Option(_("no logs in {dir}").format(dir=self.app.settings.logs), disabled=True))
        view = self.query_one(LogView)
        view.focus()
        for changes in ("follow", "levels", "wrap", "pan"):  # however they change (End resumes following)
            self.watch(view, changes, lambda _: self.show_state(), init=False)
        self.show_state()

    def open(self, path: Path) -> None:
        view = self.query_one(LogView)
        view.border_title = path.name
        view.open(path)

    @on(OptionList.OptionSelected, "#log-files")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open(Path(event.option.id))
            if self.app.size.width < WIDE:
                self._files_chosen = None  # back to the whole width for the log
                self._place_files()
            self.query_one(LogView).focus()

    # -- the file list: beside the log when there is room ---------------------------------
    def _place_files(self) -> None:
        shown = self.app.size.width >= WIDE if self._files_chosen is None else self._files_chosen
        self.query_one("#log-files").display = shown

    def on_resize(self) -> None:
        self._place_files()

    def action_toggle_files(self) -> None:
        listing = self.query_one("#log-files", OptionList)
        self._files_chosen = not listing.display
        self._place_files()
        (listing if listing.display else self.query_one(LogView)).focus()

    def action_toggle_wrap(self) -> None:
        view = self.query_one(LogView)
        view.wrap = not view.wrap

    # -- state line --------------------------------------------------------------------
    @on(LogView.Indexed)
    @on(LogView.Filtering)
    def show_state(self) -> None:
        view = self.query_one(LogView)
        levels = _("all levels") if not view.levels else _("only {levels}").format(levels=_(" and ").join(view.levels))
        if view.filtering is not None:
            count = _("filtering {percent}%").format(percent=view.filtering)
        else:
            rows = view.row_count()
            count = ngettext("{n} line", "{n} lines", rows).format(n=f"{rows:,}")
        follow = _("following") if view.follow else _("paused")
        layout = _("wrapped") if view.wrap else (_("panned {n}").format(n=view.pan) if view.pan else _("cut (←→ pan)"))
        self.query_one("#log-state", Label).update(f"{count} · {levels} · {follow} · {layout}")

    def action_toggle_follow(self) -> None:
        view = self.query_one(LogView)
        view.follow = not view.follow

    def action_cycle_levels(self) -> None:
        self.query_one(LogView).cycle_levels()

    # -- search ------------------------------------------------------------------------
    def action_search(self) -> None:
        box = self.query_one("#log-search", Input)
        box.display = True
        self.set_focus(box)  # now, not after the queued keys: they are the text (App._on_key)

    @on(Input.Submitted, "#log-search")
    def _search(self) -> None:
        self.action_next_match()

    def _find(self, backwards: bool) -> None:
        text = self.query_one("#log-search", Input).value
        if not text:
            self.action_search()
            return
        self.query_one(LogView).search(text, backwards=backwards)

    @on(LogView.Found)
    def _found(self, event: LogView.Found) -> None:
        if event.line is None:  # the text cut short: a notice is a few words, not the query again
            text = repr(units.clipped(event.text, SHOWN_QUERY))
            self.notify(_("{text} not found").format(text=text), severity="warning", markup=False)
        self.show_state()

    def action_next_match(self) -> None:
        self._find(backwards=False)

    def action_previous_match(self) -> None:
        self._find(backwards=True)

    def action_back(self) -> None:
        box = self.query_one("#log-search", Input)
        if box.has_focus:
            box.display = False
            self.query_one(LogView).focus()
            return
        self.app.pop_screen()
