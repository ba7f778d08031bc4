"""CitaPlanner's schema, applied to a database we own (tests, benchmarks, ``--demo``).

Production databases get their schema from the app's Prisma migrations, never from us.
"""

from __future__ import annotations

from importlib import resources

# The tables CitaPlanner's app owns, parents before children (the order a loader needs).
TABLES = (
    "tenants", "branches", "users", "service_categories", "services", "service_users",
    "clients", "working_hours", "appointments", "payments", "notification_templates",
    "master_admin_config",
)


def schema_sql() -> str:
    return resources.files("citaplanner_tui.core").joinpath("schema.sql").read_text("utf-8")


def apply_schema(conn) -> None:
    """Create the CitaPlanner tables in the connection's database (one transaction)."""
    with conn.transaction():
        conn.execute(schema_sql())
