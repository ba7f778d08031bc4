"""Wizard step 6: what was restored, what was kept, and the way back.

From the engine's ``Outcome``: the rows checked per table, the pre-restore database (swap mode) and how it
differs from the restored one, the safety backup file and what it holds (in place), and what the swap could
not carry over, in the engine's words. ``U`` (app-wide, ``tui/rollback.py``) rolls back; its result then comes
first, so the top line always says what happened last."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.widgets.panes import pack

if TYPE_CHECKING:
    from citaplanner_tui.core.restore.engine import Outcome, RollbackOutcome


def outcome_lines(outcome: Outcome, width: int = 76, rolled_back: bool = False) -> list[str]:
    """What the restore did, first line first; the rows per table packed to ``width`` (80x24 fits).

    Once ``rolled_back``, the way back is the rollback's to tell (``rollback_lines``).
    """
    rows = sum(outcome.rows.values())
    tables = pack([f"{t.split('.')[-1]} {n}" for t, n in sorted(outcome.rows.items())], width - 2)
    lines = [
        f"{fmt.health('OK')} restored [b]{escape(outcome.archive.rsplit('/', 1)[-1])}[/] into "
        f"[b]{escape(outcome.target)}[/] ({escape(outcome.mode)} mode) in {fmt.seconds(outcome.seconds)}",
        escape(f"rows checked against the dump, {len(outcome.rows)} tables, {rows} rows:"),
        *("  " + line for line in tables),
    ]
    if outcome.pre_restore:
        parked = f", {outcome.parked_note}" if outcome.parked_note else ""
        lines.append(escape(f"kept: the previous database as {outcome.pre_restore!r}{parked}"))
    if outcome.safety_backup:
        held = f", {outcome.writes_note}" if outcome.writes_note else ""
        lines.append(escape(f"kept: the safety backup {'/'.join(outcome.safety_backup.rsplit('/', 2)[-2:])}{held}"))
    lines += [f"{fmt.health('WARN')} {escape(f'not carried over: {line}')}" for line in outcome.not_carried]
    if not rolled_back:
        lines.append(
            "U rolls back: the previous database becomes the live one again (typed confirmation)."
            if outcome.pre_restore
            else "No rollback in in-place mode: restore the safety backup to go back."
        )
    return lines


def rollback_lines(done: RollbackOutcome) -> list[str]:
    return [
        f"{fmt.health('OK')} rolled back: {escape(repr(done.target))} is the database from before the "
        f"restore again ({escape(repr(done.restored_from))})",
        escape(f"kept: the restored data as {done.parked_as!r} (U swaps it back)"),
        "",
    ]


def failure_lines(what: str, sentence: str, cancelled: bool) -> list[str]:
    word = "WARN" if cancelled else "FAIL"
    return [f"{fmt.health(word)} {escape(what)} {'cancelled' if cancelled else 'failed'}: {escape(sentence)}"]


class OutcomeStep(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="outcome-text")

    def show(self, lines: list[str]) -> None:
        self.query_one("#outcome-text", Static).update("\n".join(lines))
