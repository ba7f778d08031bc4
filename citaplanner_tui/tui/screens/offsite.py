"""The off-site targets, and pushing to or verifying them (``o``).

The pane (``tui/widgets/offsite_pane.py``) renders the core's per-target reports from the
app's last refresh.  Push (``core.offsite.push``, after a yes/no that says what it will
upload and that retention then runs on each target) and verify (``core.offsite.verify``,
``V`` downloads and hashes) run as app engine jobs in a child process, with progress on
the job line; a failed push or a remote backup that no longer matches its sidecar ends in
an error notification naming it.  Push is ``@gate.writes``: read-only mode hides it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll

from citaplanner_tui.core.i18n import N_, _, ngettext
from citaplanner_tui.tui import actions, engine_jobs, gate
from citaplanner_tui.tui.actions import ActionSpec
from citaplanner_tui.tui.widgets.job_line import JobLine
from citaplanner_tui.tui.widgets.keys_footer import KeysFooter
from citaplanner_tui.tui.widgets.offsite_pane import OffsitePane
from citaplanner_tui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from citaplanner_tui.core.settings import Settings
    from citaplanner_tui.tui.data import DashboardData

actions.register(
    ActionSpec(
        "push",
        N_("Push"),
        N_("Upload every good backup a target lacks, then apply retention there"),
        "p",
        "OffsiteScreen",
    ),
    ActionSpec(
        "verify_remote",
        N_("Verify"),
        N_("Check every remote backup's checksum against its sidecar"),
        "v",
        "OffsiteScreen",
    ),
    ActionSpec(
        "deep_verify_remote",
        N_("Deep verify"),
        N_("Download every remote backup and hash it"),
        "V",
        "OffsiteScreen",
    ),
)


def push_question(data: DashboardData | None, settings: Settings) -> str:
    """What a push will do, per target, from the last refresh."""
    reports = {t.name: t for t in data.report.offsite} if data is not None else {}
    parts = []
    for target in settings.offsite:
        t = reports.get(target.name)
        if t is None or t.problem:
            parts.append(_("{target}: upload what it lacks").format(target=target.name))
        elif t.missing:
            upload = ngettext("{target}: upload {n} backup", "{target}: upload {n} backups", t.missing)
            parts.append(upload.format(target=target.name, n=t.missing))
        else:
            parts.append(_("{target}: nothing is missing there").format(target=target.name))
    return _(
        "Push to the off-site targets? {parts}; then retention runs on each target "
        "(old backups there are deleted unless under object lock). Nothing local changes."
    ).format(parts="; ".join(parts))


class OffsiteScreen(gate.GatedScreen):
    TITLE = N_("Off-site")
    DEFAULT_CSS = """
    #offsite-scroll { height: 1fr; }  /* the pane wraps long sentences (a target's error) itself */
    """
    BINDINGS = [Binding("escape", "back", N_("Back"), id="offsite.back"), *actions.bindings_for("OffsiteScreen")]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with VerticalScroll(id="offsite-scroll"):
            yield OffsitePane(id="offsite")
        yield JobLine()
        yield KeysFooter(show_command_palette=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("push", "verify_remote", "deep_verify_remote") and not self.app.settings.offsite:
            return False  # nothing to push to: the pane says how to configure a target
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        self.app.pop_screen()

    def _already_running(self, kind: str) -> bool:
        if any(job.kind == kind for job in self.app.running_jobs()):
            said = (
                _("an off-site push is already running")
                if kind == "offsite-push"
                else _("an off-site verify is already running")
            )
            self.notify(said, severity="warning")
            return True
        return False

    @gate.writes
    def action_push(self) -> None:
        if self._already_running("offsite-push"):
            return
        from citaplanner_tui.tui.screens.ask import AskScreen

        settings = self.app.settings

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.start_engine_job("offsite-push", _("off-site push"), engine_jobs.offsite_push, settings)

        self.app.push_screen(
            AskScreen(push_question(self.app.data, settings), yes=N_("Push"), no=N_("Cancel")), answered
        )

    def action_verify_remote(self, deep: bool = False) -> None:
        if self._already_running("offsite-verify"):
            return
        title = _("off-site deep verify") if deep else _("off-site verify")
        self.app.start_engine_job("offsite-verify", title, engine_jobs.offsite_verify, self.app.settings, deep=deep)

    def action_deep_verify_remote(self) -> None:
        self.action_verify_remote(deep=True)
