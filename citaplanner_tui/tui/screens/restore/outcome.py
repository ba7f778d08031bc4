"""Wizard step 6: what was restored, what was kept, and the way back.

From the engine's ``Outcome``: the rows checked per table, the pre-restore database
(swap mode) and the safety backup file.  ``u`` rolls back (typed confirmation again),
which calls ``core.restore.rollback``; its result is added here.
"""

from __future__ import annotations

from rich.markup import escape
from textual.containers import VerticalScroll
from textual.widgets import Static

from citaplanner_tui.tui import format as fmt


def outcome_lines(outcome) -> list[str]:
    rows = sum(outcome.rows.values())
    tables = ", ".join(f"{t.split('.')[-1]} {n}" for t, n in sorted(outcome.rows.items()))
    lines = [f"{fmt.health('OK')} restored [b]{escape(outcome.archive.rsplit('/', 1)[-1])}[/] into "
             f"[b]{escape(outcome.target)}[/] ({escape(outcome.mode)} mode) in {fmt.seconds(outcome.seconds)}",
             escape(f"checked: {len(outcome.rows)} tables, {rows} rows, each as the dump says ({tables})"),
             "[b]kept[/]:"]
    if outcome.pre_restore:
        lines.append(escape(f"  the previous database, as {outcome.pre_restore!r} (open it to look inside)"))
    if outcome.safety_backup:
        lines.append(escape(f"  the safety backup {outcome.safety_backup}"))
    if outcome.pre_restore:
        lines.append("u rolls back: the previous database becomes the live one again (typed confirmation).")
    else:
        lines.append("No rollback in in-place mode: restore the safety backup to go back.")
    return lines


def rollback_lines(done) -> list[str]:
    return [f"{fmt.health('OK')} rolled back: {escape(repr(done.restored_from))} is "
            f"{escape(repr(done.target))} again; the restored database is kept as {escape(repr(done.parked_as))}"]


def failure_lines(what: str, sentence: str, cancelled: bool) -> list[str]:
    word = "WARN" if cancelled else "FAIL"
    return [f"{fmt.health(word)} {escape(what)} {'cancelled' if cancelled else 'failed'}: {escape(sentence)}"]


class OutcomeStep(VerticalScroll):
    def compose(self):
        yield Static(id="outcome-text")

    def show(self, lines: list[str]) -> None:
        self.query_one("#outcome-text", Static).update("\n".join(lines))
