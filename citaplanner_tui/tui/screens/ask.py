"""A yes/no question (e.g. "a backup is running: quit anyway?"); focus starts on No."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from citaplanner_tui.core.i18n import N_, _


class AskScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    #ask-box { border: thick $warning; }
    #ask-question { width: 100%; }  /* a long question (what a push will do) wraps instead of being cut */
    """
    BINDINGS = [Binding("escape", "no", N_("No"), id="ask.no")]
    AUTO_FOCUS = "#no"

    def __init__(self, question: str, yes: str = N_("Yes"), no: str = N_("No")):
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="ask-box"):
            yield Label(self.question, id="ask-question", markup=False)
            with Horizontal(id="ask-buttons"):
                yield Button(_(self.no), id="no", variant="primary")
                yield Button(_(self.yes), id="yes", variant="warning")

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)
