"""Helpers the tests share, each imported under one name (``tests.support.x``), never as a
bare ``x`` or through ``conftest``: a module imported under two names is two modules,
with two copies of its state (two database-name counters gave two tests the same name)."""
