"""Wizard step 3: the plan the engine will run, step by step, with its mode.

Everything here comes from the ``core.restore.Plan`` pre-flight returned: the facts
(archive, target, versions, rows), the mode the engine chose and why, and its steps
in order.  ``R`` then asks for the database name (the typed confirmation).
"""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from citaplanner_tui.tui import format as fmt

MODE_WHY = {
    "swap": "load into a scratch database, check it, then swap it in; the current database is kept "
            "for rollback",
    "in-place": "load into the live database in one transaction; any error rolls it all back; "
                "the safety backup is the way back",
}


def plan_lines(plan, read_only: bool = False) -> list[str]:
    """Content markup for the plan: facts, mode, numbered steps, what confirming means."""
    tables, rows = len(plan.rows), sum(plan.rows.values())
    lines = [f"[b]{escape(plan.archive.name)}[/] ({fmt.size(plan.archive_size)}) → [b]{escape(plan.target)}[/] "
             f"on {escape(plan.server)}",
             escape(f"dump of PostgreSQL {plan.source_version} by pg_dump {plan.pg_dump_version}: {tables} tables, "
                    f"{rows} rows; the target runs PostgreSQL {plan.target_version}"),
             f"mode [b]{escape(plan.mode)}[/]: {escape(MODE_WHY.get(plan.mode, ''))}", ""]
    lines += [f"{n}. [b]{escape(step.name)}[/]: {escape(step.detail)}" for n, step in enumerate(plan.steps, 1)]
    lines.append("")
    if read_only:
        lines.append("[b]READ-ONLY[/]: the console was started read-only, so it will not restore.")
    elif plan.ok:
        lines.append(f"R restores: you will type [b]{escape(plan.target)}[/] to confirm. Esc goes back.")
    else:
        lines.append(f"{fmt.health('FAIL')} these steps will not run until the FAIL checks are fixed.")
    return lines


class PlanStep(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="plan-text")

    def show(self, plan, read_only: bool = False) -> None:
        self.query_one("#plan-text", Static).update("\n".join(plan_lines(plan, read_only)))
