"""The typed confirmation for every destructive action: delete, restore, rollback, seed apply.

It shows exactly what will happen, and the typed name (the database's, or the
file's) is the safety, not the focus: focus starts in the empty name box, so the
first key the operator types lands there, even one typed while the dialog opens
(``on_key`` takes those too).  ``Enter`` with a wrong or empty name says so, in
the prompt's place, and stays; ``Esc`` always cancels.  The box has no placeholder: a name shown in grey
looks already typed.  (Focus used to start on Cancel, and ``Enter`` cancelled
silently.)  Returns True only when confirmed.
"""

from __future__ import annotations

from rich.markup import escape
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from citaplanner_tui.core.i18n import N_, _, shown


def refusal(typed: str, expected: str) -> str:
    """Why ``typed`` does not confirm: one sentence, shown under the box."""
    if not typed:
        return _("Nothing typed yet: type {expected}, then Enter. Esc cancels.").format(expected=repr(expected))
    if typed.strip() == expected:
        return _("Almost: {typed} has spaces around it; type {expected} exactly. Esc cancels.").format(
            typed=repr(typed), expected=repr(expected)
        )
    return _("{typed} is not {expected}: type the name exactly (case matters). Esc cancels.").format(
        typed=repr(typed), expected=repr(expected)
    )


class NameBox(Input):
    """The name box: Backspace is handled with the characters, in the order typed.

    Textual runs an Input's Backspace as a binding once the key has bubbled up to
    the app, while a character is inserted as soon as the box gets it: typed fast
    (a paste, a quick correction over ssh), ``x Backspace y`` became ``y`` then the
    deletion, and the name was wrong for no visible reason.
    """

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "backspace":
            event.stop()
            event.prevent_default()
            self.action_delete_left()
            return
        await super()._on_key(event)


class ConfirmScreen(ModalScreen[bool]):
    """``ConfirmScreen(title, steps, expected, action_label)`` -> True if confirmed."""

    DEFAULT_CSS = """
    #confirm-box { border: thick $error; }
    #confirm-title { text-style: bold; color: $error; }
    #confirm-steps-box { height: auto; max-height: 12; margin: 1 0; }  /* until _fit_steps sizes it */
    """
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel"), id="confirm.cancel"),
        Binding("pageup", "steps(-1)", N_("Earlier steps"), id="confirm.steps_up"),
        Binding("pagedown", "steps(1)", N_("Later steps"), id="confirm.steps_down"),
    ]
    AUTO_FOCUS = "#confirm-input"

    def __init__(self, title: str, steps: list[str], expected: str, action_label: str = N_("Confirm")):
        super().__init__()
        self.title_text, self.steps, self.expected, self.action_label = title, steps, expected, action_label
        self.prompt = _("Type {expected}, then Enter, to {action}. Esc cancels.").format(
            expected=repr(expected), action=_(action_label).lower()
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(shown(self.title_text), id="confirm-title", markup=False)
            with VerticalScroll(id="confirm-steps-box"):
                yield Static(
                    "\n".join(f"{n}. {shown(step)}" for n, step in enumerate(self.steps, 1)),
                    id="confirm-steps",
                    markup=False,
                )
            yield Static(escape(self.prompt), id="confirm-prompt")
            # No placeholder (a grey name looks typed); no select-all on focus (a key would replace it).
            yield NameBox(id="confirm-input", select_on_focus=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(_("Cancel"), id="cancel", compact=True)
                yield Button(_(self.action_label), id="confirm", variant="error", disabled=True, compact=True)

    def on_mount(self) -> None:
        self.call_after_refresh(self._fit_steps)

    def on_resize(self) -> None:
        self._fit_steps()

    def _fit_steps(self) -> None:
        """Give the steps every row the screen has beyond the dialog's other parts: on a tall
        terminal the whole plan shows, its last step (a restore's swap) included; on 24 rows
        they scroll, with PgUp/PgDn while the name box keeps the focus.  The other parts are
        added up one by one (the box itself may be cut at the screen's edge), and again when
        the prompt changes (a refusal takes two rows or more), so the buttons always show: the
        prompt's rows are measured from its new text, before the layout catches up with it."""
        steps, box = self.query_one("#confirm-steps-box"), self.query_one("#confirm-box")
        prompt = self.query_one("#confirm-prompt", Static)
        frame = box.outer_size.height - box.size.height  # its border and padding
        fixed = sum(w.outer_size.height + w.styles.margin.height for w in box.children if w not in (steps, prompt))
        said = prompt.get_content_height(box.size, self.size, prompt.size.width)
        steps.styles.max_height = max(3, self.size.height - frame - fixed - said - steps.styles.margin.height)

    def action_steps(self, pages: int) -> None:
        """PgUp/PgDn: scroll the steps; the name box keeps the focus and what was typed."""
        steps = self.query_one("#confirm-steps-box", VerticalScroll)
        if pages > 0:
            steps.scroll_page_down(animate=False)
        else:
            steps.scroll_page_up(animate=False)

    def on_key(self, event: events.Key) -> None:
        """A key typed before the box had focus (while the dialog opened) still goes into it."""
        box = self.query_one("#confirm-input", Input)
        if event.is_printable and event.character and not box.has_focus:
            event.stop()
            box.focus()
            box.insert_text_at_cursor(event.character)

    def _say(self, markup: str) -> None:
        """Put ``markup`` in the prompt's place and size the steps to the rows left."""
        self.query_one("#confirm-prompt", Static).update(markup)
        self._fit_steps()

    @on(Input.Changed, "#confirm-input")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value != self.expected
        self._say(escape(self.prompt))

    @on(Input.Submitted, "#confirm-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self._confirm()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        typed = self.query_one("#confirm-input", Input).value
        if typed == self.expected:
            self.dismiss(True)
        else:
            # In the prompt's place, so the dialog does not grow past 24 lines.
            self._say(f"[b $error]{escape(refusal(typed, self.expected))}[/]")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
