"""The action registry: every action of the console, once, with its key and title.

Bindings, the ``?`` help screen and the ``ctrl+p`` command palette are all built from this table, so a key
shown in the footer, listed in help and offered in the palette can never disagree. Whether an action writes is
not said here but on its handler (``@gate.writes``), so the read-only gate has a single source of truth.
``scope`` is ``"app"`` for actions available everywhere, or the name of the screen class that handles it.
Screens added later (restore wizard, seed screen) call ``register`` at import time and use ``bindings_for``
for their ``BINDINGS``."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

from citaplanner_tui.core.i18n import N_


@dataclass(frozen=True)
class ActionSpec:
    """One action: ``action`` is the Textual action name (``action_<name>`` on the scope)."""

    action: str
    title: str
    help: str
    key: str | None = None
    scope: str = "app"
    show: bool = True  # shown in the footer (the few keys that matter on that screen)
    key_display: str | None = None
    priority: bool = False  # before the focused widget's own binding for the key (a table's Enter)


REGISTRY: dict[tuple[str, str], ActionSpec] = {}


def register(*specs: ActionSpec) -> None:
    for spec in specs:
        REGISTRY[(spec.scope, spec.action)] = spec


def specs_for(scope: str) -> list[ActionSpec]:
    return [spec for (where, _), spec in REGISTRY.items() if where == scope]


def bindings_for(scope: str) -> list[BindingType]:
    """Textual bindings for a scope, with ids so keymaps can rebind them."""
    return [
        Binding(
            spec.key,
            spec.action,
            spec.title,
            show=spec.show,
            key_display=spec.key_display,
            priority=spec.priority,
            id=f"{scope}.{spec.action}",
        )
        for spec in specs_for(scope)
        if spec.key
    ]


register(
    # First, so the footer shows it before it is cut; offered only while the last restore's
    # parked database exists (``tui/rollback.py``).
    ActionSpec(
        "rollback_last",
        N_("Roll back the last restore"),
        N_("Swap the database from before the last restore back in (typed confirmation)"),
        "U",
    ),
    ActionSpec("help", N_("Help"), N_("List every key of this screen"), "question_mark", key_display="?"),
    ActionSpec("quit", N_("Quit"), N_("Leave the console (asks first if a job is running)"), "q"),
    ActionSpec("open_dashboard", N_("Dashboard"), N_("Go to the dashboard"), "d", show=False),
    ActionSpec("open_backups", N_("Backups"), N_("Every backup: verify, drill, restore, delete"), "b"),
    ActionSpec("open_backup_now", N_("Backup now"), N_("Take a backup now and watch it run"), "n"),
    ActionSpec("open_logs", N_("Logs"), N_("Browse the log files"), "l"),
    ActionSpec(
        "open_offsite", N_("Off-site"), N_("The off-site targets: what each holds, push and verify"), "o", show=False
    ),
    # No key: R belongs to the backups list (restore the selected one) and the wizard itself.
    ActionSpec("open_restore", N_("Restore"), N_("Restore a backup: pick, pre-flight, plan, typed confirmation")),
    ActionSpec(
        "open_seed", N_("Seed"), N_("Review CitaPlanner's seed against the database, then apply it"), "S", show=False
    ),
    ActionSpec("refresh", N_("Refresh"), N_("Reload the backups, checks, disk and logs now"), "r"),
)
