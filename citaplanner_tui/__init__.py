"""citaplanner-tui: an operator console for CitaPlanner's PostgreSQL database.

The engine lives in ``core`` (plain Python, no Textual), the headless commands in
``cli`` and the Textual console in ``tui``; the console is only a view over the core.
"""

__version__ = "0.1.0"
