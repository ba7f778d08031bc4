"""The footer every screen shows, rebuilt only when the keys it shows changed.

Textual's ``Footer`` recomposes itself (a new ``FooterKey`` widget per key, each styled
again) whenever the screen's bindings may have changed: a focus move, a screen
pushed, every ``refresh_bindings``.  Opening the backups screen did it eleven times, a
dashboard refresh three, at 10-25 ms on the event loop each.  This one asks the same
question (which keys, which words, which enabled) and recomposes only when the answer
differs from what it shows; the keys it draws are Textual's own.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    def __init__(self, *, show_command_palette: bool = True) -> None:
        super().__init__(show_command_palette=show_command_palette)
        self._shown: tuple[object, ...] | None = None  # what the keys were made from

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached:
            return
        shown = tuple(  # every binding, shown or not: the palette's key is drawn whatever its ``show``
            (key, b.key_display, b.description, b.action, b.show, b.group, enabled, tooltip)
            for key, (_node, b, enabled, tooltip) in self.screen.active_bindings.items()
        )
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
