"""The typed confirmation dialog for destructive actions (delete, restore, seed apply).

It shows exactly what will happen, and Confirm stays disabled until the operator has
typed the expected word (the database name or the file name) exactly.  Focus starts
on Cancel, so a stray Enter cancels; Esc always cancels.  Returns True only when
confirmed.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """``ConfirmScreen(title, steps, expected, action_label)`` -> True if confirmed."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]
    AUTO_FOCUS = "#cancel"

    def __init__(self, title: str, steps: list[str], expected: str, action_label: str = "Confirm"):
        super().__init__()
        self.title_text, self.steps, self.expected, self.action_label = title, steps, expected, action_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(self.title_text, id="confirm-title")
            yield Static("\n".join(f"{n}. {step}" for n, step in enumerate(self.steps, 1)),
                         id="confirm-steps", markup=False)
            yield Label(f"Type {self.expected!r} to confirm:", id="confirm-prompt", markup=False)
            yield Input(placeholder=self.expected, id="confirm-input")
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(self.action_label, id="confirm", variant="error", disabled=True)

    @on(Input.Changed, "#confirm-input")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value != self.expected

    @on(Input.Submitted, "#confirm-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value == self.expected:
            self.dismiss(True)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        if self.query_one("#confirm-input", Input).value == self.expected:
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
