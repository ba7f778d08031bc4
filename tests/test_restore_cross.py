"""A dump taken of PostgreSQL 15 by pg_dump 18 restores into PostgreSQL 15 with psql 15."""

from __future__ import annotations

import gzip

from citaplanner_tui.core.backup import run_backup
from citaplanner_tui.core.pg.tools import embedded_bindir
from citaplanner_tui.core.restore import execute, preflight
from tests.support.restore import content, fill, settings_for


def test_newer_pg_dump_restores_into_older_server(app_db15, backup_dir):
    fill(app_db15)
    newer = settings_for(app_db15, backup_dir, pg_bindir=embedded_bindir())
    archive = run_backup(newer, tier="manual").files[0]
    dump = gzip.decompress(archive.read_bytes())
    assert b"-- Dumped by pg_dump version 18." in dump and b"-- Dumped from database version 15." in dump
    assert b"\nSET transaction_timeout = 0;\n" in dump  # PostgreSQL 15 rejects this line
    at_backup = content(app_db15.server, app_db15.name)
    app_db15.sql("DELETE FROM payments")

    settings = settings_for(app_db15, backup_dir)
    plan = preflight(settings, archive)
    assert plan.ok, plan.checks
    assert plan.source_version.startswith("15.") and plan.pg_dump_version.startswith("18.")
    client = next(c.detail for c in plan.checks if c.name == "client")
    assert client.startswith("psql 15.") and "transaction_timeout" in client
    execute(settings, plan, confirm=app_db15.name)
    assert content(app_db15.server, app_db15.name) == at_backup
