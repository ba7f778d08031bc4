"""Restore engine: pre-flight plan, safety backup, swap or in-place load, rollback, drills.

The phases are separate calls so the CLI and the TUI's wizard drive the same engine:
``preflight(settings, archive)`` -> ``RestorePlan`` (changes nothing) ->
``execute(settings, plan, confirm=..., reporter=...)`` -> ``Outcome`` (with how to undo
it); ``rollback(settings, target, confirm=...)``; ``drill(settings, archive)``; ``recover(settings)``
finishes or undoes a swap a killed process left half-done (every command calls it first);
``leftovers.leftovers(settings)`` lists the safety backups and parked databases kept.
"""

from citaplanner_tui.core.restore.drill import DrillResult, drill
from citaplanner_tui.core.restore.engine import (
    Outcome,
    RollbackOutcome,
    execute,
    last_swap,
    recover,
    rollback,
    rollback_candidate,
)
from citaplanner_tui.core.restore.journal import LastSwap
from citaplanner_tui.core.restore.plan import Check, RestorePlan, Step
from citaplanner_tui.core.restore.preflight import preflight

__all__ = [
    "Check",
    "DrillResult",
    "LastSwap",
    "Outcome",
    "RestorePlan",
    "RollbackOutcome",
    "Step",
    "drill",
    "execute",
    "last_swap",
    "preflight",
    "recover",
    "rollback",
    "rollback_candidate",
]
