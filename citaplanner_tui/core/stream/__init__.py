"""Byte streams of a dump: compression (``compress``), reading archives back
(``archive``), and the scan of a dump's text as it streams past (``dumpscan``)."""
