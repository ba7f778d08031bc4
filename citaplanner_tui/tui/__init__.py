"""The operator console (Textual).  It composes the core; it never re-implements it."""
