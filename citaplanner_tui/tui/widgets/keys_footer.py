"""The footer every screen shows, with its keys from the first frame, rebuilt only when they change.

Textual's ``Footer`` is composed empty, then recomposes itself (a new ``FooterKey`` widget
per key, each styled again, and the whole screen laid out again) whenever the screen's
bindings may have changed: a focus move, a screen pushed, every ``refresh_bindings``.
That was a third of the dashboard's first paint, eleven rebuilds on opening the
backups screen and three per dashboard refresh, at 10-25 ms on the event loop each.
This one composes the keys at once (the screen's bindings are known when it mounts)
and recomposes only when the keys it would show differ from the ones it shows; the
keys it draws are Textual's own.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # not exported: the keys Footer.compose makes


class KeysFooter(Footer):
    def __init__(self, *, show_command_palette: bool = True) -> None:
        super().__init__(show_command_palette=show_command_palette)
        self._shown: tuple[object, ...] | None = None  # what the keys on show were made from

    def compose(self) -> ComposeResult:
        self._bindings_ready = True
        self._shown = self._keys()
        for widget in super().compose():
            # A key is born compact and then bound to the footer's compact (restyled twice at mount):
            # bound ones start with its value.  The palette's key is not bound, so it stays as it is.
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if self.is_attached and self._keys() != self._shown:
            await self.recompose()

    def _keys(self) -> tuple[object, ...]:
        """What ``Footer.compose`` makes its keys from: the shown bindings, and the palette's key."""
        palette = self.app.COMMAND_PALETTE_BINDING  # drawn whatever its ``show``
        return tuple(
            (key, b.key_display, b.description, b.action, b.group, enabled, tooltip)
            for key, (_node, b, enabled, tooltip) in self.screen.active_bindings.items()
            if b.show or key == palette
        )
