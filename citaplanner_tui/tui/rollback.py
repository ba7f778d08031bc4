"""Rolling back the last restore, from anywhere in the console and after a restart.

Whether a rollback is possible comes from the engine (``core.restore.rollback_candidate``:
the parked pre-restore database the last swap left), asked by the refresh worker and
kept in ``app.data.rollback`` (``tui.data.Rollback``); so ``U`` is offered for as long as that database exists,
not only on the outcome of the wizard run that made it.  The confirmation says what
will be swapped and when the restore being undone happened, which the parked name's
stamp records (``core.restore.plan.pre_restore_name``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from citaplanner_tui.core.i18n import N_, _
from citaplanner_tui.core.restore.plan import STAMP
from citaplanner_tui.tui import restore_calls

if TYPE_CHECKING:
    from citaplanner_tui.tui.app import CitaPlannerApp
    from citaplanner_tui.tui.screens.confirm import ConfirmScreen


def restored_at(parked: str) -> datetime | None:
    """The stamp ending ``parked``'s name (the restore plan that parked it), or None."""
    try:
        return datetime.strptime(parked.rsplit("_", 1)[-1], STAMP)
    except ValueError:
        return None


def rollback_dialog(
    target: str, parked: str, kind: str = "restore", swapped_at: datetime | None = None
) -> ConfirmScreen:
    """The typed confirmation: what the swap does, and which swap (restore or rollback) it undoes.

    After a rollback the parked copy is the restored data, so "before the restore" would
    be the opposite of what happens: the wording follows the last swap's ``kind``.
    """
    from citaplanner_tui.tui.screens.confirm import ConfirmScreen

    when = swapped_at or (restored_at(parked) if kind == "restore" else None)
    if isinstance(when, str):  # the record may keep an ISO time
        try:
            when = datetime.fromisoformat(when)
        except ValueError:
            when = None
    at = _(" at {when}").format(when=f"{when:%Y-%m-%d %H:%M:%S}") if when else ""
    names = {"target": repr(target), "parked": repr(parked), "at": at}
    if kind == "rollback":
        steps = [
            _("block new connections to {target} and end its sessions").format(**names),
            _("rename {target} (the database the rollback{at} brought back) to a new pre-restore copy, kept").format(
                **names
            ),
            _("rename {parked} (the restored data that rollback set aside) back to {target}").format(**names),
        ]
        return ConfirmScreen(
            _("Undo the rollback{at}: put the restored data back into {target}?").format(**names),
            steps,
            target,
            N_("Undo rollback"),
        )
    steps = [
        _("block new connections to {target} and end its sessions").format(**names),
        _("rename {target} (the data the restore{at} brought in) to a new pre-restore copy, kept").format(**names),
        _("rename {parked} (the database as it was before that restore) back to {target}").format(**names),
    ]
    return ConfirmScreen(
        _("Roll {target} back to before the restore{at}?").format(**names), steps, target, N_("Roll back")
    )


def start_rollback(app: CitaPlannerApp) -> None:
    """Ask, then run the engine's rollback as an app job (its result lands as a notification)."""
    candidate = app.data.rollback if app.data is not None else None
    if candidate is None:
        app.notify(_("there is no restore to roll back"), severity="warning")
        return
    target = candidate.target

    def confirmed(yes: bool | None) -> None:
        if yes:
            app.start_engine_job(
                "rollback",
                _("rollback of {target}").format(target=target),
                restore_calls.rollback,
                app.settings,
                target,
            )

    app.push_screen(
        rollback_dialog(
            target, candidate.parked, getattr(candidate, "kind", "restore"), getattr(candidate, "swapped_at", None)
        ),
        confirmed,
    )
