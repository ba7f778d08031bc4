"""``?``: every key of the screen it was opened over, with what it does.

Built from the live bindings of that screen (its own, the app's and the built-in
ones such as ``ctrl+p``), so the list cannot go stale; descriptions come from the
action registry.  Keys disabled by read-only mode are listed and marked as such.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label

from citaplanner_tui.core.i18n import N_, _, shown
from citaplanner_tui.tui import actions, gate


def help_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(key, title, what it does) for every binding active on ``screen``."""
    rows, seen = [], set()
    scopes = (type(screen).__name__, "app")
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if (key, binding.action) in seen:
            continue
        seen.add((key, binding.action))
        spec = next(
            (actions.REGISTRY[(s, binding.action)] for s in scopes if (s, binding.action) in actions.REGISTRY), None
        )
        title = shown(spec.title) if spec else (binding.description or binding.action)
        text = shown(spec.help) if spec else ""
        if not gate.allowed(active.node, binding.action):
            text = _("{text} (disabled: read-only)").format(text=text).strip()
        rows.append((spec is None, binding.key_display or screen.app.get_key_display(binding), title, text))
    rows.sort(key=lambda row: row[0])  # the console's own keys first, then scrolling and focus
    return [row[1:] for row in rows]


class KeysTable(DataTable[str]):
    """The keys, a row each: Home and End go to the first and the last one (a DataTable's
    own Home and End move between columns, which a list read top to bottom has no use for)."""

    BINDINGS = [
        Binding("home", "scroll_top", show=False),
        Binding("end", "scroll_bottom", show=False),
    ]


HELP_TEXT_WIDTH = 40  # fits the 76-column box at 80x24 with the key and action columns


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box { width: 76; max-width: 100%; height: 90%; border: thick $primary; background: $surface; }
    #help-title { text-style: bold; padding: 0 1; }
    #help-table { height: 1fr; }
    #help-hint { color: $text-muted; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", N_("Close"), id="help.close")]

    def __init__(self, over: Screen):
        super().__init__()
        self.over = over

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label(
                _("Keys: {screen}").format(screen=_(self.over.title or type(self.over).__name__)), id="help-title"
            )
            table = KeysTable(id="help-table", cursor_type="row", zebra_stripes=True)
            table.add_column(_("Key"), width=6)
            table.add_column(_("Action"), width=18)
            table.add_column(_("What it does"), width=HELP_TEXT_WIDTH)
            for row in help_rows(self.over):
                table.add_row(*row, height=None)  # as many lines as the description needs: never cut
            yield table
            yield Label(_("Esc closes.  ctrl+p opens the command palette."), id="help-hint")
