"""``self.app`` typed as the console's own App, so its attributes are checked.

Textual types ``self.app`` as a plain ``App``; the console's screens and widgets read the
console's attributes (settings, data, jobs), which mypy can only check through this
narrower declaration.  It exists for the type checker alone: at run time ``app`` is
Textual's own property (the app module imports the screens, so they cannot import it).

At run time it is a plain mixin, not a ``DOMNode``: Textual gives a class the CSS of the
first ``DOMNode`` among its bases, so as ``class StatusBar(ConsoleNode, Static)`` a
``DOMNode`` here took the place of ``Static`` and ``Screen``.  The screens then lost
``Screen``'s opaque background, and Textual rendered every screen below each one
(the default screen under the dashboard, the dashboard under the backup screen) on
every repaint: a third of the first paint and most of the event loop's stalls while a
job ran.  ``tests/test_tui_units.py`` holds the line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual import getters
    from textual.dom import DOMNode

    from citaplanner_tui.tui.app import CitaPlannerApp

    class ConsoleNode(DOMNode):
        """Base of the console's screens and widgets that read the app's attributes."""

        app = getters.app(CitaPlannerApp)

else:

    class ConsoleNode:
        """Base of the console's screens and widgets that read the app's attributes."""
