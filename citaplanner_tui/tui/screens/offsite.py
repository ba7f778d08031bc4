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
from textual.widgets import Footer

from citaplanner_tui.tui import actions, engine_jobs, gate
from citaplanner_tui.tui.actions import ActionSpec
from citaplanner_tui.tui.widgets.job_line import JobLine
from citaplanner_tui.tui.widgets.offsite_pane import OffsitePane
from citaplanner_tui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from citaplanner_tui.core.settings import Settings
    from citaplanner_tui.tui.data import DashboardData

actions.register(
    ActionSpec(
        "push", "Push", "Upload every good backup a target lacks, then apply retention there", "p", "OffsiteScreen"
    ),
    ActionSpec(
        "verify_remote", "Verify", "Check every remote backup's checksum against its sidecar", "v", "OffsiteScreen"
    ),
    ActionSpec("deep_verify_remote", "Deep verify", "Download every remote backup and hash it", "V", "OffsiteScreen"),
)


def push_question(data: DashboardData | None, settings: Settings) -> str:
    """What a push will do, per target, from the last refresh."""
    reports = {t.name: t for t in data.report.offsite} if data is not None else {}
    parts = []
    for target in settings.offsite:
        t = reports.get(target.name)
        if t is None or t.problem:
            parts.append(f"{target.name}: upload what it lacks")
        elif t.missing:
            parts.append(f"{target.name}: upload {t.missing} backup{'' if t.missing == 1 else 's'}")
        else:
            parts.append(f"{target.name}: nothing is missing there")
    return (
        f"Push to the off-site targets? {'; '.join(parts)}; then retention runs on each target "
        "(old backups there are deleted unless under object lock). Nothing local changes."
    )


class OffsiteScreen(gate.GatedScreen):
    TITLE = "Off-site"
    BINDINGS = [Binding("escape", "back", "Back", id="offsite.back"), *actions.bindings_for("OffsiteScreen")]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with VerticalScroll(id="offsite-scroll"):
            yield OffsitePane(id="offsite")
        yield JobLine()
        yield Footer(show_command_palette=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("push", "verify_remote", "deep_verify_remote") and not self.app.settings.offsite:
            return False  # nothing to push to: the pane says how to configure a target
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        self.app.pop_screen()

    def _already_running(self, kind: str) -> bool:
        if any(job.kind == kind for job in self.app.running_jobs()):
            self.notify(f"an off-site {kind.removeprefix('offsite-')} is already running", severity="warning")
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
                self.app.start_engine_job("offsite-push", "off-site push", engine_jobs.offsite_push, settings)

        self.app.push_screen(AskScreen(push_question(self.app.data, settings), yes="Push", no="Cancel"), answered)

    def action_verify_remote(self, deep: bool = False) -> None:
        if self._already_running("offsite-verify"):
            return
        title = "off-site deep verify" if deep else "off-site verify"
        self.app.start_engine_job("offsite-verify", title, engine_jobs.offsite_verify, self.app.settings, deep=deep)

    def action_deep_verify_remote(self) -> None:
        self.action_verify_remote(deep=True)
