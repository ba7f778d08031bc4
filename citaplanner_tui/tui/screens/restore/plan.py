"""Wizard step 3: the plan the engine will run, step by step, with its mode.

Everything here comes from the ``core.restore.RestorePlan`` pre-flight returned: the facts
(archive, target, versions, rows), the mode the engine chose and why, and its steps
in order.  ``Enter`` (or ``R``) then asks for the database name (the typed confirmation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from citaplanner_tui.core.i18n import N_, _, shown
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.screens.restore.rows import Rows

if TYPE_CHECKING:
    from citaplanner_tui.core.restore.plan import RestorePlan

MODE_WHY = {
    "swap": N_("load into a scratch database, check it, then swap it in; the current database is kept for rollback"),
    "in-place": N_(
        "load into the live database in one transaction; any error rolls it all back; the safety backup is the way back"
    ),
}


def plan_head(plan: RestorePlan) -> list[str]:
    """Content markup: what goes where, the versions and rows, and the mode."""
    tables, rows = len(plan.rows), sum(plan.rows.values())
    lines = [
        f"[b]{escape(plan.archive.name)}[/] ({fmt.size(plan.archive_size)}) → [b]{escape(plan.target)}[/] "
        + _("on {server}").format(server=escape(plan.server)),
        escape(
            _(
                "dump of PostgreSQL {source} by pg_dump {pg_dump}: {tables} tables, "
                "{rows} rows; the target runs PostgreSQL {version}"
            ).format(
                source=plan.source_version,
                pg_dump=plan.pg_dump_version,
                tables=tables,
                rows=rows,
                version=plan.target_version,
            )
        ),
        _("mode {mode}: {why}").format(mode=f"[b]{escape(plan.mode)}[/]", why=escape(_(MODE_WHY.get(plan.mode, "")))),
    ]
    return lines


def step_rows(plan: RestorePlan) -> list[tuple[str, str]]:
    return [
        (f"{n}.", f"[b]{escape(shown(step.name))}[/]: {escape(shown(step.detail))}")
        for n, step in enumerate(plan.steps, 1)
    ]


def plan_foot(plan: RestorePlan, read_only: bool = False) -> str:
    """What happens next: R and the name to type, or why it cannot."""
    if read_only:
        return f"[b]{_('READ-ONLY')}[/]: " + _("the console was started read-only, so it will not restore.")
    if plan.ok:
        return _("Enter (or R) restores: you will type {name} to confirm. Esc goes back.").format(
            name=f"[b]{escape(plan.target)}[/]"
        )
    return f"{fmt.health('FAIL')} " + _("these steps will not run until the FAIL checks are fixed.")


class PlanStep(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="plan-head")
        yield Rows(3, id="plan-steps")
        yield Static(id="plan-foot")

    def show(self, plan: RestorePlan, read_only: bool = False) -> None:
        self.query_one("#plan-head", Static).update("\n".join(plan_head(plan)))
        self.query_one(Rows).set(step_rows(plan))
        self.query_one("#plan-foot", Static).update(plan_foot(plan, read_only))
