"""Take a backup now and watch it: tier, live progress, cancel, the result.

The backup is ``core.backup.run_backup`` run as an app job, so leaving this screen
does not stop it and ``q`` asks first.  Progress comes from the engine's Reporter
(bytes, rate, elapsed); cancel sets the Reporter's event, and the engine removes
everything the run created before it stops, so nothing half-written is left.  The
result shows the files, size and SHA-256; the app refreshes, so the new backup
appears in the panes and the backups table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, ProgressBar, Select, Static

from citaplanner_tui.core.i18n import N_, _, shown
from citaplanner_tui.core.volume.tiers import tiers_for
from citaplanner_tui.tui import actions, engine_jobs, gate
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.actions import ActionSpec
from citaplanner_tui.tui.widgets.job_line import describe
from citaplanner_tui.tui.widgets.keys_footer import KeysFooter
from citaplanner_tui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from citaplanner_tui.core.backup import BackupResult
    from citaplanner_tui.tui.jobs import Job

actions.register(
    ActionSpec("start", N_("Start backup"), N_("Start the backup with the chosen tier"), "s", "BackupNowScreen"),
    ActionSpec(
        "cancel_job",
        N_("Cancel backup"),
        N_("Stop the running backup; nothing half-written is left"),
        "c",
        "BackupNowScreen",
    ),
)

TIER_CHOICES = (
    (N_("auto: daily (+ weekly on Sunday, + monthly on the 1st)"), "auto"),
    (N_("manual: kept until you delete it (rotation never removes it)"), "manual"),
)


def result_lines(result: BackupResult) -> list[str]:
    """What a finished backup wrote, for the operator."""
    lines = [
        _("size {size} ({raw} of SQL) in {time}").format(
            size=fmt.size(result.size), raw=fmt.size(result.raw_bytes), time=fmt.seconds(result.duration)
        ),
        f"sha256 {result.sha256}",
    ]
    lines += [_("wrote {path}").format(path=path) for path in result.files]
    lines += [f"WARN {shown(w)}" for w in result.warnings]
    lines += [_("pruned {name}").format(name=path.name) for path in result.pruned]
    return lines


class BackupNowScreen(gate.GatedScreen):
    TITLE = N_("Backup now")
    DEFAULT_CSS = """
    #backup-now { padding: 0 1; }
    #backup-buttons { height: auto; margin: 1 0; }
    #backup-buttons Button { margin-right: 1; }
    #backup-bar { margin-bottom: 1; }
    #tier { width: 70; }
    """
    BINDINGS = [Binding("escape", "back", N_("Back"), id="backup_now.back"), *actions.bindings_for("BackupNowScreen")]

    def __init__(self) -> None:
        super().__init__()
        self.job: Job | None = None  # the backup this screen started or found running

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Vertical(id="backup-now"):
            yield Label(_("Tier"), classes="field-label")
            yield Select([(_(label), tier) for label, tier in TIER_CHOICES], value="auto", allow_blank=False, id="tier")
            yield Static(id="tier-plan")
            with Horizontal(id="backup-buttons"):
                yield Button(_("Start backup"), id="start", variant="success")
                yield Button(_("Cancel backup"), id="cancel", variant="error", disabled=True)
            yield ProgressBar(show_eta=False, id="backup-bar")
            yield Static(id="backup-progress")
            yield Static(id="backup-result")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.app.job_signal.subscribe(self, self.show_job)
        running = [j for j in self.app.running_jobs() if j.kind == "backup"]
        if running:  # came back while it runs: follow it again
            self.job = running[-1]
            self.show_job(self.job)
        self.query_one("#backup-bar").display = self.job is not None  # an idle bar would animate
        self._explain_tier()

    @on(Select.Changed, "#tier")
    def _explain_tier(self) -> None:
        tier = self.query_one("#tier", Select).value
        tiers = tiers_for(str(tier), self.app.now().date())
        where = ", ".join(f"{t}/" for t in tiers)
        self.query_one("#tier-plan", Static).update(
            _("one dump of {target}, filed under {where}").format(target=escape(self.app.conn_display()), where=where)
        )

    # -- start / cancel ------------------------------------------------------------------
    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    @gate.writes
    def action_start(self) -> None:
        if self.job is not None and self.job.running:
            self.notify(_("a backup is already running"), severity="warning")
            return
        tier = str(self.query_one("#tier", Select).value)
        self.query_one("#backup-result", Static).update("")
        self.query_one("#backup-bar").display = True
        self.job = self.app.start_engine_job(
            "backup",
            _("backup ({tier})").format(tier=_(tier)),
            engine_jobs.backup,
            self.app.settings,
            tier=tier,
            now=self.app.now(),
        )

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel_job()

    def action_cancel_job(self) -> None:
        if self.job is not None and self.job.running:
            self.job.request_cancel()
            self.show_job(self.job)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        running = self.job is not None and self.job.running
        if action == "start" and running:
            return None
        if action == "cancel_job" and not running:
            return None
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- progress -----------------------------------------------------------------------
    def show_job(self, job: Job) -> None:
        if job is not self.job:
            return
        running = job.running
        if self.query_one("#cancel", Button).disabled == running:  # only when it starts or ends:
            self.query_one("#start", Button).disabled = running or self.app.read_only
            self.query_one("#cancel", Button).disabled = not running
            self.refresh_bindings()  # the footer rebuilds itself, too costly for every progress step
        p = job.progress
        bar = self.query_one("#backup-bar", ProgressBar)
        if running:
            bar.update(total=p.total if p and p.total else None, progress=p.done if p else 0)
            # Until the engine has removed what it wrote, the stream goes on: it says so instead.
            line = _("cancelling: removing what this run wrote…") if job.cancelling else describe(job)
            row = self.query_one("#backup-progress", Static)
            # Streamed several times a second: laid out again only when the row may change (it was
            # empty, or the line may not fit it).
            row.update(escape(line), layout=not row.content or len(line) >= row.content_size.width)
            return
        progress, result = self.query_one("#backup-progress", Static), self.query_one("#backup-result", Static)
        if job.error:
            bar.update(total=100, progress=0)
            if job.cancelled:  # the sentence says it: "backup cancelled; nothing was kept ..."
                progress.update(f"[b]{escape(shown(job.error))}[/]")
            else:
                progress.update(f"[b]{_('FAILED')}[/]: {escape(shown(job.error))}")
            return
        bar.update(total=100, progress=100)
        progress.update("[b $success]OK[/] " + _("backup finished"))
        if job.result is not None:  # a backup job's value is its BackupResult (engine_jobs.backup)
            result.update(escape("\n".join(result_lines(cast("BackupResult", job.result.value)))))
