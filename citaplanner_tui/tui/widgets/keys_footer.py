"""The footer every screen shows: its keys drawn as one line by one widget, from the first frame.

Textual's ``Footer`` is a container of one ``FooterKey`` widget per key, composed empty and
then again whenever the screen's bindings may have changed (a focus move, a screen pushed):
each key styled, laid out and rendered on its own.  Even composed only when the keys
changed, that was a quarter of what the dashboard's first paint adds to ``import
textual.app`` (95 M of 373 M instructions, callgrind; ``bench/tui.py`` times it).  This
footer is a single widget that renders the keys as one line of text, with the look of
Textual's footer (the same theme variables and spacing: `` q Quit `` per key, a disabled
key dimmed, the palette's key on the right after a thin bar) and its behaviour: a key
lights up under the mouse, shows its tooltip, and a click presses it (a disabled one
rings the bell).  It draws again only when the keys it would show change.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class Key(NamedTuple):
    """One key as drawn: ``key`` is what a click presses, ``shown`` what is written."""

    key: str
    shown: str
    description: str
    enabled: bool
    tooltip: str


class Drawn(NamedTuple):
    """Where a key was drawn on the line: columns ``start`` to ``end`` (exclusive)."""

    start: int
    end: int
    key: Key


class KeysFooter(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "keys-footer--key",
        "keys-footer--description",
        "keys-footer--hover",
        "keys-footer--bar",
    }
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        & > .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keys-footer--hover { background: $block-hover-background; }
        & > .keys-footer--bar { color: $foreground 20%; }
    }
    """

    def __init__(self, *, show_command_palette: bool = True) -> None:
        super().__init__()
        self.show_command_palette = show_command_palette
        self._keys: tuple[Key, ...] = ()
        self._palette: Key | None = None
        self._drawn: list[Drawn] = []  # where the last render put each key
        self._hover: Key | None = None

    def on_mount(self) -> None:
        self._keys, self._palette = self._read_keys()
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._redraw_if_changed)

    def _redraw_if_changed(self) -> None:
        if self.is_attached and (keys := self._read_keys()) != (self._keys, self._palette):
            self._keys, self._palette = keys
            self.refresh()

    def _read_keys(self) -> tuple[tuple[Key, ...], Key | None]:
        """The screen's shown bindings, in order, and the palette's key if this footer shows it."""
        app = self.app
        keys, palette = [], None
        for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if key == app.COMMAND_PALETTE_BINDING:
                if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
                    palette = Key(key, app.get_key_display(binding), binding.description, enabled, binding.tooltip)
            elif binding.show:
                keys.append(Key(key, app.get_key_display(binding), binding.description, enabled, tooltip))
        return tuple(keys), palette

    # -- drawing ------------------------------------------------------------------------
    def render(self) -> Text:
        """`` key description `` per key from the left, cut where the palette's key begins."""
        line = Text(no_wrap=True, overflow="crop", end="")
        drawn = []
        right = self._palette_part()
        room = max(0, self.size.width - right.cell_len)
        for key in self._keys:
            start = line.cell_len
            if start >= room:
                break
            if key.description:
                line.append_text(self._key_text(key, f" {key.shown} ", f"{key.description} "))
            else:  # as Textual's footer draws a key with no description: no room around it
                line.append_text(self._key_text(key, key.shown, ""))
            drawn.append(Drawn(start, min(line.cell_len, room), key))
        line.truncate(room, pad=True)
        if self._palette is not None:
            drawn.append(Drawn(room, room + right.cell_len, self._palette))
        line.append_text(right)
        self._drawn = drawn
        return line

    def _palette_part(self) -> Text:
        """``▏^p palette `` on the right, as Textual's footer docks it (the last blank is its padding)."""
        palette = self._palette
        if palette is None:
            return Text()
        bar = Text("▏", self.get_component_rich_style("keys-footer--bar"))
        return Text.assemble(bar, self._key_text(palette, palette.shown, f" {palette.description}"), " ")

    def _key_text(self, key: Key, shown: str, description: str) -> Text:
        key_style = self.get_component_rich_style("keys-footer--key")
        description_style = self.get_component_rich_style("keys-footer--description")
        text = Text.assemble((shown, key_style), (description, description_style))
        if key is self._hover:
            text.stylize(self.get_component_rich_style("keys-footer--hover", partial=True))
        if not key.enabled:
            text.stylize(Style(dim=True))
        return text

    # -- the mouse ----------------------------------------------------------------------
    def _key_at(self, x: int) -> Key | None:
        return next((drawn.key for drawn in self._drawn if drawn.start <= x < drawn.end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hovering(self._key_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._hovering(None)

    def _hovering(self, key: Key | None) -> None:
        if key is not self._hover:
            self._hover = key
            self.tooltip = key.tooltip if key is not None and key.tooltip else None
            self.styles.pointer = "pointer" if key is not None else "default"
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self._key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
