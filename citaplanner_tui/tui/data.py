"""What the dashboard shows, loaded in one go in a worker thread.

``load_dashboard`` calls the core (catalog scan, the status report with its health
rules, the database probe) and returns plain frozen dataclasses, so panes only
format; nothing here decides health or state, the core does.  It never touches a
widget: the app assigns the result to ``app.data`` on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from citaplanner_tui.core.settings import Settings


@dataclass(frozen=True)
class TierRow:
    tier: str
    health: str
    reason: str
    newest: datetime | None
    count: int
    total_bytes: int


@dataclass(frozen=True)
class Problem:
    label: str
    word: str
    health: str
    path: str


@dataclass(frozen=True)
class Checks:
    health: str
    counts: tuple[tuple[str, int], ...]
    unverified: int
    last_drill: datetime | None
    last_drill_ok: bool | None
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Disk:
    health: str
    reason: str
    total: int | None
    used: int | None
    free: int | None
    per_tier: tuple[tuple[str, int], ...]
    db_size: int | None
    days_until_full: float | None


@dataclass(frozen=True)
class DatabaseFacts:
    """What the status bar says about the server: its version, or why it was not reached."""

    server: str | None
    size: int | None
    error: str | None = None


@dataclass(frozen=True)
class DashboardData:
    now: datetime
    health: str
    server: str | None
    tiers: tuple[TierRow, ...]
    checks: Checks
    disk: Disk
    catalog: object  # core.catalog.Catalog


def probe_database(settings: Settings) -> DatabaseFacts:
    """Server version and database size, or the one sentence saying why not."""
    from citaplanner_tui.core import db
    from citaplanner_tui.core.errors import OperatorError

    if not settings.database_url:
        return DatabaseFacts(None, None, "no database configured")
    try:
        info = settings.conninfo()
        major, minor = db.server_version(info)
        return DatabaseFacts(f"PostgreSQL {major}.{minor}", db.database_size(info))
    except OperatorError as exc:
        return DatabaseFacts(None, None, exc.sentence)


def load_dashboard(settings: Settings, now: datetime,
                   probe: Callable[[Settings], DatabaseFacts] | None = None) -> DashboardData:
    raise NotImplementedError("waiting for core.status")
