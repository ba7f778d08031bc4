"""The read-only gate: the one place that decides whether an action may write.

Every action that changes anything (a backup, a verify that records results, a
delete, a restore, a seed apply) has its handler wrapped with ``@writes``: that mark is
the one record of it (the action registry, ``tui/actions.py``, does not repeat it).  In
read-only mode (``--read-only``, ``read_only = true`` in the config, or
``CITAPLANNER_TUI_READ_ONLY``) the gate hides those bindings from the footer and the
palette (``check_action``) and refuses the handler itself if it is reached another way,
so no path around it exists.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, TypeVar, cast

from textual.binding import ActiveBinding
from textual.dom import DOMNode
from textual.screen import Screen

from citaplanner_tui.core.i18n import N_, _, shown
from citaplanner_tui.tui.node import ConsoleNode

TEXTUAL_WORDS = (N_("palette"), N_("Theme"), N_("Keys"))
"""Textual's own words the footer and the palette show, translated like ours (``active_bindings``)."""
READ_ONLY_SENTENCE = N_(
    "read-only mode: actions that write are disabled (started with --read-only or read_only = true)"
)

_Handler = TypeVar("_Handler", bound=Callable[..., object])


def read_only(app: object) -> bool:
    return bool(getattr(getattr(app, "settings", None), "read_only", False))


def is_write(node: object, action: str) -> bool:
    """True if ``action`` on ``node`` is a write action (marked by ``@writes``)."""
    method = getattr(node, f"action_{action}", None)
    return bool(getattr(method, "_writes", False))


def allowed(node: DOMNode, action: str) -> bool:
    """May ``action`` run on ``node`` now?"""
    return not (is_write(node, action) and read_only(node.app))


def writes(method: _Handler) -> _Handler:
    """Mark an ``action_*`` handler as writing; refuse it in read-only mode."""

    @functools.wraps(method)
    def gated(self: DOMNode, *args: object, **kwargs: object) -> object:
        if read_only(self.app):
            self.app.notify(_(READ_ONLY_SENTENCE), title=_("Read-only"), severity="warning")
            return None
        return method(self, *args, **kwargs)

    gated._writes = True  # type: ignore[attr-defined]  # the mark is_write() reads
    return cast(_Handler, gated)


class GatedScreen(ConsoleNode, Screen[None]):
    """Base for every screen with actions: hides write bindings in read-only mode."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return allowed(self, action)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The bindings in the operator's language: the footer and ``?`` read them here.

        Descriptions are written once, in English, when the classes are made (``BINDINGS``);
        translating them as they are shown lets the language be chosen after import.
        """
        bindings = super().active_bindings
        for key, active in bindings.items():
            said = shown(active.binding.description)
            if said != active.binding.description:  # in English nothing is copied
                bindings[key] = active._replace(binding=dataclasses.replace(active.binding, description=said))
        return bindings
