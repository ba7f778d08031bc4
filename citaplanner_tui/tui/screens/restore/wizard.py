"""The restore wizard: pick → pre-flight → plan → typed confirmation → progress → outcome.

It drives ``core.restore`` and decides nothing itself: ``preflight`` (it reads the
whole archive), ``execute`` after the typed confirmation (``ConfirmScreen``: focus
in the empty name box, Enter restores only once the database name matches);
the rollback is the app's ``U`` (``tui/rollback.py``), whose result this run's
outcome shows first.  Each runs as an app engine job in a child process
(``tui/jobs.py``, ``tui/restore_calls.py``): it outlives this screen, ``q`` asks
before quitting, the event loop keeps the GIL, and no worker touches a widget.  The
log lines shown are the ones the engine appends to the day's restore log, read on
each job update from where the run began.  A restore still running (or finished,
not yet seen) when the wizard is opened again is shown again.  Restore is
``@gate.writes``: read-only mode hides and refuses it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ContentSwitcher, DataTable, Static

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import N_, _, shown
from citaplanner_tui.core.logs.lines import parse_line
from citaplanner_tui.core.logs.writer import log_path
from citaplanner_tui.tui import actions, engine_jobs, gate, restore_calls
from citaplanner_tui.tui.actions import ActionSpec
from citaplanner_tui.tui.one_at_a_time import OneAtATime
from citaplanner_tui.tui.screens.confirm import ConfirmScreen
from citaplanner_tui.tui.screens.restore.outcome import OutcomeStep, failure_lines, outcome_lines, rollback_lines
from citaplanner_tui.tui.screens.restore.pick import PickStep
from citaplanner_tui.tui.screens.restore.plan import PlanStep
from citaplanner_tui.tui.screens.restore.preflight import PreflightStep
from citaplanner_tui.tui.screens.restore.progress import ProgressStep, step_of
from citaplanner_tui.tui.widgets.keys_footer import KeysFooter
from citaplanner_tui.tui.widgets.run_log import RunLog
from citaplanner_tui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from citaplanner_tui.core.events import Progress
    from citaplanner_tui.core.logs.lines import LogRecord
    from citaplanner_tui.core.restore.engine import Outcome, RollbackOutcome
    from citaplanner_tui.core.restore.plan import RestorePlan
    from citaplanner_tui.core.settings import Settings
    from citaplanner_tui.tui.app import CitaPlannerApp
    from citaplanner_tui.tui.jobs import Job

actions.register(
    # Priority: the pick table's own Enter would hide this one from the footer.
    ActionSpec(
        "next",
        N_("Next"),
        N_("Go on: pre-flight of the picked backup, the plan, then the typed confirmation"),
        "enter",
        "RestoreScreen",
        key_display="Enter",
        priority=True,
    ),
    ActionSpec(
        "restore",
        N_("Restore…"),
        N_("Run the plan once you have typed the database name (Enter too)"),
        "R",
        "RestoreScreen",
    ),
    ActionSpec(
        "source",
        N_("Source"),
        N_("List the backups of the volume or of an off-site target (one is downloaded and checked first)"),
        "s",
        "RestoreScreen",
    ),
    ActionSpec(
        "cancel_restore",
        N_("Cancel restore"),
        N_("Stop the restore safely (possible until the swap starts)"),
        "c",
        "RestoreScreen",
    ),
)

STYLES = Path(__file__).parents[2] / "styles"
STEPS = ("pick", "preflight", "plan", "confirm", "progress", "outcome")
TRAIL = (N_("Pick"), N_("Pre-flight"), N_("Plan"), N_("Confirm"), N_("Progress"), N_("Outcome"))


@dataclass
class Run:
    """One restore (and maybe its rollback): the plan, the jobs, the engine's log records."""

    plan: RestorePlan
    log_dir: Path
    job: Job | None = None
    rollback_job: Job | None = None
    records: list[LogRecord] = field(default_factory=list)
    log_file: Path | None = None
    log_offset: int = 0
    current: int = 0
    phase: str = ""
    phase_started: float = 0.0
    seen: bool = False

    def start_log(self) -> None:
        """Remember where today's restore log ends: this run's lines come after."""
        self.log_file = log_path(self.log_dir, "restore", datetime.now())
        self.log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0

    def read_log(self) -> None:
        """Add the complete lines the engine appended since the last read (after midnight, the new day's)."""
        while self.log_file is not None:  # start_log() sets it
            try:
                with open(self.log_file, "rb") as fh:
                    fh.seek(self.log_offset)
                    data = fh.read()
            except FileNotFoundError:
                data = b""
            end = data.rfind(b"\n") + 1
            self.records += [parse_line(line) for line in data[:end].decode("utf-8", "replace").splitlines()]
            self.log_offset += end
            today = log_path(self.log_dir, "restore", datetime.now())
            if today == self.log_file:
                return
            self.log_file, self.log_offset = today, 0

    def track(self, progress: Progress | None) -> None:
        """Follow the engine's phase to the plan step it belongs to."""
        if progress is None or progress.phase == self.phase:
            return
        self.phase, self.phase_started = progress.phase, progress.elapsed
        self.current = step_of(self.plan.steps, progress.phase, self.current)

    @property
    def swapping(self) -> bool:
        return self.phase == "swap"


_RUNS: weakref.WeakKeyDictionary[CitaPlannerApp, Run] = weakref.WeakKeyDictionary()  # app -> its latest Run


class RestoreScreen(gate.GatedScreen):
    """``RestoreScreen(archive, preflight)``: the wizard, with ``archive`` (if given) preselected.

    With ``preflight`` it starts pre-flight at once (``R`` on the dashboard: the incident
    path is ``R Enter Enter`` + the name + ``Enter``).
    """

    TITLE = N_("Restore")
    CSS_PATH = STYLES / "restore.tcss"
    BINDINGS = [Binding("escape", "back", N_("Back"), id="restore.back"), *actions.bindings_for("RestoreScreen")]

    def __init__(self, archive: Path | str | None = None, preflight: bool = False) -> None:
        super().__init__()
        # ``TARGET:tier/file`` (a backup only off-site, from the backups list): that target is the source
        self.remote = archive if isinstance(archive, str) and not archive.startswith("/") else None
        self.archive = Path(archive) if archive and not self.remote else None
        self.preflight_at_once = preflight and self.archive is not None
        self.step = "pick"
        self.plan: RestorePlan | None = None
        self.preflight_job: Job | None = None
        self.pull_job: Job | None = None  # the download of a backup picked on an off-site target
        self.run: Run | None = None
        self._shown = 0  # log records already written to the RunLog
        self._reading = OneAtATime()  # reads of the run's log: one at a time, none lost
        self._told_typed_ahead = False

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="restore-trail")
        with ContentSwitcher(initial="pick", id="restore-steps"):
            yield PickStep(id="pick")
            yield PreflightStep(id="preflight")
            yield PlanStep(id="plan")
            yield ProgressStep(id="progress")
            yield OutcomeStep(id="outcome")
        yield RunLog(id="restore-log")
        yield KeysFooter()

    def on_mount(self) -> None:
        if self.remote:
            self.query_one(PickStep).choose_source(self.app.data, self.remote.partition(":")[0], self.remote)
        self.app.job_signal.subscribe(self, self.on_job)
        self.watch(self.app, "data", lambda _: self._fill_pick(), init=True)
        run = _RUNS.get(self.app)
        if run is not None and run.job is not None and (run.job.running or not run.seen):
            self.run, self.plan = run, run.plan
            self._show_run()
        else:
            self.go("pick")
            if self.preflight_at_once and self.app.data is not None:
                self._start_preflight()

    # -- steps ---------------------------------------------------------------------------
    def go(self, step: str) -> None:
        self.step = step
        if step != "confirm":
            self.query_one(ContentSwitcher).current = step
        running = step in ("progress", "outcome")
        self.query_one(RunLog).display = running
        self.set_class(running, "-restore-running")
        marks = [
            f"[b reverse]▶{n} {_(label)}[/]" if name == step else f"{n} {_(label)}"
            for n, (name, label) in enumerate(zip(STEPS, TRAIL), 1)
        ]
        self.query_one("#restore-trail", Static).update(_("Restore: ") + " › ".join(marks))
        focus = {"pick": "#pick-table", "preflight": "#preflight-scroll", "plan": "#plan", "outcome": "#outcome"}.get(
            step
        )
        if focus:
            self.query_one(focus).focus()
        self.refresh_bindings()

    def _fill_pick(self) -> None:
        data = self.app.data
        if data is not None and self.step == "pick":
            self.query_one(PickStep).fill_from(data, self.archive)
            self._describe_pick()

    @on(DataTable.RowHighlighted, "#pick-table")
    def _describe_pick(self) -> None:
        pick = self.query_one(PickStep)
        pick.describe(pick.selected_entry(self.app.data))

    def action_source(self) -> None:
        """The next source of the list: the volume, then each off-site target in turn."""
        sources = ["local", *(t.name for t in self.app.settings.offsite)]
        pick = self.query_one(PickStep)
        pick.choose_source(self.app.data, sources[(sources.index(pick.source) + 1) % len(sources)])
        self._describe_pick()

    @on(DataTable.RowSelected, "#pick-table")
    def _picked(self) -> None:
        self.action_next()

    def on_key(self, event: events.Key) -> None:
        """Keys typed ahead while pre-flight runs are dropped, said once: never run as bindings.

        On the plan of a failed pre-flight, Enter and R (hidden there) say why nothing happens.

        The incident path ``R Enter Enter`` + name + ``Enter`` typed in one go would
        otherwise reach the pre-flight step: its Enters do nothing yet and the name's
        letters run the app's keys (``l`` opens the logs, ``c`` …).  Esc still goes back.
        """
        if self.step == "plan" and self.plan is not None and not self.plan.ok and event.key in ("enter", "R"):
            event.stop()
            event.prevent_default()
            self.notify(
                _("the restore cannot run: {n} pre-flight check(s) FAIL (Esc shows them)").format(
                    n=len(self.plan.problems)
                ),
                severity="warning",
            )
            return
        job = self.pull_job if self.pull_job is not None and self.pull_job.running else self.preflight_job
        if self.step != "preflight" or job is None or not job.running or event.key == "escape":
            return
        if event.is_printable or event.key == "enter":
            event.stop()
            event.prevent_default()
            if not self._told_typed_ahead:
                self._told_typed_ahead = True
                self.notify(_("pre-flight is still running: the keys typed meanwhile were ignored"), severity="warning")

    # -- actions ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        run = self.run
        job_running = run is not None and run.job is not None and run.job.running
        if action == "next":
            if self.step == "preflight":
                return True if self.plan is not None else None
            if self.step == "plan":  # Enter on the plan asks for the name, as R does; hidden when it cannot
                return self.plan is not None and self.plan.ok and not self.app.read_only
            return self.step == "pick"
        if action == "source":
            return self.step == "pick" and bool(self.app.settings.offsite)
        if action == "restore":
            if self.step != "plan":
                return False
            if self.plan is None or not self.plan.ok:
                return False  # the plan's foot says why; pressed anyway, on_key says it again
        if action == "cancel_restore":
            if self.step != "progress":
                return False
            return (
                job_running and run is not None and run.job is not None and not run.swapping and not run.job.cancelling
            ) or None
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        if self.step == "preflight":
            for job in (self.pull_job, self.preflight_job):
                if job is not None and job.running:
                    job.request_cancel()  # both stop between chunks; a download removes its partial file
            self.pull_job, self.preflight_job, self.plan = None, None, None
            self.go("pick")
            self._fill_pick()
        elif self.step == "plan":
            self.go("preflight")
        else:  # pick, progress (the job keeps running and shows again here), outcome
            if self.run is not None and self.step == "outcome":
                self.run.seen = True
            self.app.pop_screen()

    def action_next(self) -> None:
        if self.step == "pick":
            self._start_preflight()
        elif self.step == "preflight" and self.plan is not None:
            self.query_one(PlanStep).show(self.plan, self.app.read_only)
            self.go("plan")
        elif self.step == "plan":
            self.action_restore()

    def _start_preflight(self) -> None:
        pick = self.query_one(PickStep)
        spec = pick.selected_key()
        if pick.source != "local" and spec is not None:
            self._download(spec)
            return
        archive = pick.selected()
        if archive is None:
            self.notify(_("there is no backup to restore"), severity="warning")
            return
        self._preflight(archive)

    def _download(self, spec: str) -> None:
        """A backup on a target: pulled onto the volume and checked against its sidecar, then pre-flight."""
        self.plan = None
        self.query_one(PreflightStep).downloading(spec, None)
        self.go("preflight")
        self.pull_job = self.app.start_engine_job(
            "pull", _("download {spec}").format(spec=spec), engine_jobs.offsite_pull, self.app.settings, spec
        )

    def _preflight(self, archive: Path) -> None:
        self.archive, self.plan = archive, None
        self.query_one(PreflightStep).running(archive.name, _target(self.app.settings), None)
        self.go("preflight")
        self.preflight_job = self.app.start_engine_job(
            "preflight",
            _("pre-flight {name}").format(name=archive.name),
            restore_calls.preflight,
            self.app.settings,
            archive,
        )

    @gate.writes
    def action_restore(self) -> None:
        plan = self.plan
        if plan is None or not plan.ok or self.step != "plan":
            return
        steps = [f"{shown(s.name)}: {shown(s.detail)}" for s in plan.steps]
        self.go("confirm")
        self.app.push_screen(
            ConfirmScreen(
                _("Restore {archive} over {target}?").format(archive=plan.archive.name, target=repr(plan.target)),
                steps,
                plan.target,
                N_("Restore"),
            ),
            self._confirmed,
        )

    def _confirmed(self, yes: bool | None) -> None:
        if not yes:
            self.go("plan")
            return
        settings, plan = self.app.settings, self.plan
        assert plan is not None  # the confirmation is asked on a plan
        run = _RUNS[self.app] = self.run = Run(plan, settings.logs)
        run.start_log()
        self._shown = 0
        self.query_one(RunLog).clear()
        self.query_one(ProgressStep).start(plan)
        self.go("progress")
        run.job = self.app.start_engine_job(
            "restore", _("restore {name}").format(name=plan.archive.name), restore_calls.execute, settings, plan
        )
        self.refresh_bindings()

    def action_cancel_restore(self) -> None:
        run = self.run
        if run is None or run.job is None or not run.job.running:
            return
        if run.swapping:
            self.notify(_("the swap has started and takes a moment; it cannot be cancelled"), severity="warning")
            return
        run.job.request_cancel()  # the engine stops before the swap and drops its scratch database
        self.query_one(ProgressStep).note(_("cancelling: stopping before the swap; the live database is not changed…"))
        self.refresh_bindings()

    # -- job updates (on the event loop) ---------------------------------------------------
    def on_job(self, job: Job) -> None:
        if job is self.pull_job:
            self._pull_update(job)
        elif job is self.preflight_job:
            self._preflight_update(job)
        elif self.run is not None and job.kind == "rollback" and self.run.job is not None and self.run.job.done:
            self.run.rollback_job = job  # U (app-wide) undoes this run: its outcome says so first
            self._show_run()
        elif self.run is not None and job is self.run.job:
            self._show_run()
        self.refresh_bindings()

    def _pull_update(self, job: Job) -> None:
        step = self.query_one(PreflightStep)
        if job.running:
            step.downloading(job.title.removeprefix("download "), job.progress)
        elif job.error:
            step.failed(job.error)
        elif self.step == "preflight" and job.result is not None:  # now an ordinary backup: the usual flow
            self.pull_job = None
            self._preflight(cast(Path, job.result.value))  # engine_jobs.offsite_pull's value: the local path

    def _preflight_update(self, job: Job) -> None:
        step = self.query_one(PreflightStep)
        if job.running:
            step.running(self.archive.name if self.archive else "", _target(self.app.settings), job.progress)
        elif job.error:
            step.failed(job.error)
        elif job.result is not None:
            self.plan = plan = cast("RestorePlan", job.result.value)  # restore_calls.preflight's value
            step.show(plan)

    def _show_run(self) -> None:
        run = self.run
        if run is None or run.job is None:  # shown once a run's job has started
            return
        self._read_log(run)
        job = run.job
        progress = self.query_one(ProgressStep)
        if job.running:
            run.track(job.progress)
            if self.step != "progress":
                progress.start(run.plan)
                self.go("progress")
            progress.show(run.plan.steps, run.current, job.progress, run.phase_started)
            if job.cancelling:
                progress.note(_("cancelling: stopping before the swap; the live database is not changed…"))
            return
        progress.show(
            run.plan.steps, run.current, job.progress, run.phase_started, finished=not job.error, failed=bool(job.error)
        )
        back = run.rollback_job
        rolled_back = back is not None and back.done and not back.error
        if job.error:
            lines = failure_lines(N_("the restore"), job.error, job.cancelled)
        else:
            outcome = cast("Outcome", job.result.value if job.result else None)  # restore_calls.execute's value
            lines = outcome_lines(outcome, self.query_one(OutcomeStep).content_size.width or 76, rolled_back)
        if back is not None:  # what happened last comes first
            if back.running:
                lines.insert(0, _("rolling back…"))
            elif back.error:
                lines = failure_lines(N_("the rollback"), back.error, back.cancelled) + lines
            else:
                done = cast("RollbackOutcome", back.result.value if back.result else None)  # restore_calls.rollback's
                lines = rollback_lines(done) + lines
        self.query_one(OutcomeStep).show(lines)
        if self.step != "outcome":
            self.go("outcome")
        run.seen = True

    def _read_log(self, run: Run) -> None:
        """The engine's new log lines, read in a thread (the backup volume may be a slow mount; a job
        update comes several times a second) and added to the run log when read, one read at a time."""
        if not self._reading.start():
            return

        def read() -> None:
            try:
                run.read_log()
            finally:
                self.app.call_from_thread(self._log_read, run)

        self.run_worker(read, thread=True, group="restore-log", exit_on_error=False)

    def _log_read(self, run: Run) -> None:
        again = self._reading.finished()
        if run is self.run:
            log = self.query_one(RunLog)
            for record in run.records[self._shown :]:
                log.add(record)
            self._shown = len(run.records)
        if again and self.run is not None:
            self._read_log(self.run)


def _target(settings: Settings) -> str:
    """The database a restore goes into (the one in DATABASE_URL), or a placeholder."""
    try:
        return settings.conninfo().dbname
    except OperatorError:  # no or a bad DATABASE_URL: pre-flight says so in one sentence
        return "?"
