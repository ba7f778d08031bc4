"""``self.app`` typed as the console's own App, so its attributes are checked.

Textual types ``self.app`` as a plain ``App``; the console's screens and widgets read the
console's attributes (settings, data, jobs), which mypy can only check through this
narrower declaration.  It exists for the type checker alone: at run time ``app`` is
Textual's own property (the app module imports the screens, so they cannot import it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.dom import DOMNode

if TYPE_CHECKING:
    from textual import getters

    from citaplanner_tui.tui.app import CitaPlannerApp


class ConsoleNode(DOMNode):
    """Base of the console's screens and widgets that read the app's attributes."""

    if TYPE_CHECKING:
        app = getters.app(CitaPlannerApp)
