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

from citaplanner_tui.core.i18n import _, shown
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
        f"{fmt.health('OK')} "
        + _("restored {archive} into {target} ({mode} mode) in {time}").format(
            archive=f"[b]{escape(outcome.archive.rsplit('/', 1)[-1])}[/]",
            target=f"[b]{escape(outcome.target)}[/]",
            mode=escape(outcome.mode),
            time=fmt.seconds(outcome.seconds),
        ),
        escape(
            _("rows checked against the dump, {tables} tables, {rows} rows:").format(
                tables=len(outcome.rows), rows=rows
            )
        ),
        *("  " + line for line in tables),
    ]
    if outcome.pre_restore:
        parked = f", {shown(outcome.parked_note)}" if outcome.parked_note else ""
        lines.append(escape(_("kept: the previous database as {name}").format(name=repr(outcome.pre_restore)) + parked))
    if outcome.safety_backup:
        held = f", {shown(outcome.writes_note)}" if outcome.writes_note else ""
        where = "/".join(outcome.safety_backup.rsplit("/", 2)[-2:])
        lines.append(escape(_("kept: the safety backup {path}").format(path=where) + held))
    lines += [
        f"{fmt.health('WARN')} {escape(_('not carried over: {line}').format(line=shown(line)))}"
        for line in outcome.not_carried
    ]
    if not rolled_back:
        lines.append(
            _("U rolls back: the previous database becomes the live one again (typed confirmation).")
            if outcome.pre_restore
            else _("No rollback in in-place mode: restore the safety backup to go back.")
        )
    return lines


def rollback_lines(done: RollbackOutcome) -> list[str]:
    return [
        f"{fmt.health('OK')} "
        + _("rolled back: {target} is the database from before the restore again ({restored})").format(
            target=escape(repr(done.target)), restored=escape(repr(done.restored_from))
        ),
        escape(_("kept: the restored data as {name} (U swaps it back)").format(name=repr(done.parked_as))),
        "",
    ]


def failure_lines(what: str, sentence: str, cancelled: bool) -> list[str]:
    """``what`` is ``N_("the restore")`` or ``N_("the rollback")``; ``sentence`` the engine's."""
    word = "WARN" if cancelled else "FAIL"
    said = _("{what} cancelled: {why}") if cancelled else _("{what} failed: {why}")
    return [f"{fmt.health(word)} " + escape(said.format(what=_(what), why=shown(sentence)))]


class OutcomeStep(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static(id="outcome-text")

    def show(self, lines: list[str]) -> None:
        self.query_one("#outcome-text", Static).update("\n".join(lines))
