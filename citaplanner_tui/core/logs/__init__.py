"""Logs: the line format (``lines``), the writer (``writer``), and the index the console
pages through (``index``)."""
