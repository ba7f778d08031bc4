"""The console app: screens, app-wide keys, the data refresh and the jobs.

Start-up paints the dashboard first and loads data afterwards: the dashboard is the
app's default screen and the only one imported at module level, and the first
refresh is scheduled after the first frame.  Every other screen, the data loader
(``tui/data.py``), the swap recovery, the rollback and the jobs' machinery are
imported where they are first used: the loader pulls psycopg, boto3 and
cryptography (+0.3 s, measured), the other screens another 0.04 s, which a first
paint has no use for (``tests/test_tui_startup.py`` holds the line).
Refreshes run in a thread worker, never two at once (one asked for meanwhile, as a
job's end does, runs when it is done); the result lands in ``app.data`` (a reactive),
which panes watch.  Nothing on the event loop reads a file or the database: jobs start
and wait in workers (``tui/jobs.py``), and what a job's end needs read (the files a
read-only verify checked) is read by the refresh that follows.  Everything that
varies between runs (clock, refresh timer, how the connection is shown, the database
probe, the volume's size) can be injected, so snapshot tests and screenshots are deterministic.
"""

from __future__ import annotations

import gc
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Awaitable, Callable, Iterable, Mapping, cast

from textual import events
from textual.app import App, SystemCommand
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import Input

from citaplanner_tui.core.i18n import _, ngettext, shown
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.tui import actions, gate
from citaplanner_tui.tui.crash import CRASH_EXIT, crash_sentence
from citaplanner_tui.tui.job_result import JobOutcome, Kind
from citaplanner_tui.tui.one_at_a_time import OneAtATime
from citaplanner_tui.tui.screens.dashboard import DashboardScreen

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from citaplanner_tui.core.offsite.report import TargetReport
    from citaplanner_tui.core.verify import VerifyResult
    from citaplanner_tui.core.volume.disk import Space
    from citaplanner_tui.tui.data import DashboardData, Kept, ServerProbe
    from citaplanner_tui.tui.jobs import Job, JobUpdate
    from citaplanner_tui.tui.screens.ask import AskScreen

STYLES = Path(__file__).parent / "styles"


class CitaPlannerApp(App[int]):
    """``CitaPlannerApp(settings)``; keyword arguments exist for tests and screenshots."""

    CSS_PATH = [STYLES / "app.tcss"]
    TITLE = "CitaPlanner"
    BINDINGS = actions.bindings_for("app")
    ENABLE_COMMAND_PALETTE = True
    # Taller terminals give the tiers/checksum row more lines (problem files); see app.tcss.  No class
    # below 34 rows: a class set at the first resize would restyle every widget before the first paint.
    VERTICAL_BREAKPOINTS = [(34, "-tall")]

    data: reactive[DashboardData | None] = reactive(None, always_update=True, init=False, repaint=False)
    """The latest ``tui.data.DashboardData`` (None until the first load).  The panes that watch it
    redraw themselves; a repaint of the app would render the whole screen again on every refresh."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = datetime.now,
        refresh_every: float | None = 30.0,
        conn_display: str | None = None,
        database_facts: Callable[[Settings], ServerProbe] | None = None,
        log_poll: float | None = 1.0,
        theme: str | None = None,
        volume_space: Callable[[Path], Space | None] | None = None,
        offsite_facts: Callable[..., tuple[TargetReport, ...]] | None = None,
    ):
        super().__init__()
        self.theme = theme or default_theme()
        self.settings = settings
        self.clock = clock
        self.refresh_every = refresh_every
        self.log_poll = log_poll
        self._conn_display = conn_display  # pinned, or known once the first refresh has parsed the URL
        self._database_facts = database_facts
        self._volume_space = volume_space
        self._offsite_facts = offsite_facts  # core.offsite.report.build, pinned for screenshots
        self.offsite_reports: tuple[TargetReport, ...] | None = None
        """The off-site targets' last reports (None until they first answered)."""
        self.offsite_asking = False
        self.jobs: list[Job] = []
        self.job_signal: Signal[Job] = Signal(self, "job")
        self._refresh = OneAtATime()  # one refresh at a time; one asked for meanwhile runs after it
        # read-only verify results the next refresh keeps (kept_checks)
        self._verified: list[tuple[list[VerifyResult], datetime]] = []
        self.recovered = False  # the first refresh first finishes or undoes an interrupted swap
        self.recovery: str | None = None
        """What that recovery did, in the engine's sentence (shown on the problems line)."""
        self.crash_report: str | None = None
        self.exit_note: str | None = None
        """How the jobs a quit waited for ended, printed once the terminal is back (``launch.run_console``)."""
        self._quit_question: AskScreen | None = None  # the open "cancel it and quit?" dialog
        self._quit_after: list[Job] = []  # swaps a quit waits for: they cannot be cancelled
        self.kept_checks: Kept = {}
        """Read-only mode's verify results (``data.keep_verify``): the volume gets no record of them."""

    # -- start-up ----------------------------------------------------------------------
    def get_default_screen(self) -> Screen[None]:
        """The dashboard is the app's first and bottom screen (it asks for the first refresh once it has
        been painted): no blank default screen under it to compose, lay out and paint as well."""
        return DashboardScreen()

    @property
    def refreshing(self) -> bool:
        """Whether a refresh is under way (tests and bench/tui.py watch it)."""
        return self._refresh.running

    def on_mount(self) -> None:
        if self.refresh_every:
            self.set_interval(self.refresh_every, self.action_refresh)

    def on_unmount(self) -> None:
        """The objects of start-up (Textual's, the engine's modules, the first data: some 200,000)
        were frozen once the first data landed: a full collection walked them all, 40-50 ms with
        the GIL held, every other refresh of a big volume and whenever a job's messages piled up,
        a stall of the event loop from whichever thread it fell on.  They go back to the collector
        when the app ends (a test process starts many apps)."""
        gc.unfreeze()

    def now(self) -> datetime:
        return self.clock()

    @property
    def read_only(self) -> bool:
        return gate.read_only(self)

    def conn_display(self) -> str:
        """Where we are connected, for the status bar: never the password.

        Parsing the URL imports psycopg (libpq parses it, ``core.pg.conninfo``), so the
        first refresh's worker does it (``_load``); until then the URL shows as ``…``."""
        if self._conn_display is not None:
            return self._conn_display
        return "…" if self.settings.database_url else connection_shown(self.settings)

    # -- data --------------------------------------------------------------------------
    def action_refresh(self) -> None:
        """Reload in a thread; asked for while one runs, it runs once that one is done (no overlap)."""
        if not self._refresh.start():
            return
        settings, now, probe, target = self.settings, self.now(), self._database_facts, self._conn_display
        space, recover, self.recovered = self._volume_space, not self.recovered, True
        kept, verified, self._verified = dict(self.kept_checks), self._verified, []
        offsite = self.offsite_reports
        self.run_worker(
            lambda: self._load(settings, now, probe, target, space, recover, kept, verified, offsite),
            thread=True,
            group="refresh",
            name="refresh",
            exit_on_error=False,
        )

    def _load(
        self,
        settings: Settings,
        now: datetime,
        probe: Callable[[Settings], ServerProbe] | None,
        target: str | None,
        space: Callable[[Path], Space | None] | None,
        recover: bool,
        kept: Kept,
        verified: list[tuple[list[VerifyResult], datetime]],
        offsite: tuple[TargetReport, ...] | None,
    ) -> None:
        """The data, after (on the first load) finishing or undoing a swap a killed restore left
        half-done (``core.restore.recover``): before the operator acts on a database that may
        still refuse connections, and in this worker since it talks to the server.  Read-only
        verify results are kept here too: keeping them stats the files they name.  ``target``
        is ``conn_display`` once known; the first load finds it."""
        from citaplanner_tui.tui.data import keep_verify, load_dashboard

        for results, at in verified:
            keep_verify(kept, results, at)
        if verified:
            self.call_from_thread(self._kept, kept)

        if recover:
            from citaplanner_tui.core.restore import recover as recover_swap

            recovery = recover_swap(settings)
            if recovery:
                self.call_from_thread(self._recovered, recovery)
        target = connection_shown(settings) if target is None else target
        try:
            data, error = load_dashboard(settings, now, probe, target, space, kept, offsite), None
        except Exception as exc:  # said in a notification; the console stays usable
            data, error = (
                None,
                _("cannot load the dashboard: {why}").format(why=shown(getattr(exc, "sentence", str(exc)))),
            )
        self.call_from_thread(self._loaded, data, error, target)

    def _kept(self, kept: Kept) -> None:
        self.kept_checks = kept

    def _recovered(self, sentence: str) -> None:
        self.recovery = sentence
        self.notify(shown(sentence), title=_("Interrupted restore"), severity="warning", timeout=30)

    def _loaded(self, data: DashboardData | None, error: str | None, target: str) -> None:
        self._conn_display = target
        if self._refresh.finished():
            self.action_refresh()
        if data is not None:
            if self.data is None:
                gc.freeze()  # see on_unmount
            self.data = data
            self.refresh_bindings()  # U comes and goes with the parked database
            self._ask_offsite(data)
        elif error:
            self.notify(error, title=_("Refresh failed"), severity="error")

    def _ask_offsite(self, data: DashboardData) -> None:
        """Ask the off-site targets in a worker of their own: one that is slow never holds up the rest."""
        if not self.settings.offsite or self.offsite_asking:
            return
        self.offsite_asking = True
        settings, build = self.settings, self._offsite_facts

        def ask() -> None:
            from citaplanner_tui.tui.data import load_offsite

            try:
                merged = load_offsite(settings, data, build)
            except Exception as exc:  # said in a notification; the local data stays
                self.call_from_thread(self._offsite_answered, data, None, getattr(exc, "sentence", str(exc)))
                return
            self.call_from_thread(self._offsite_answered, data, merged, None)

        self.run_worker(ask, thread=True, group="offsite", name="offsite", exit_on_error=False)

    def _offsite_answered(self, asked: DashboardData, merged: DashboardData | None, error: str | None) -> None:
        self.offsite_asking = False
        if merged is None:
            said = _("cannot ask the off-site targets: {why}").format(why=shown(error or ""))
            self.notify(said, title=_("Refresh failed"), severity="error")
            return
        self.offsite_reports = merged.report.offsite
        if self.data is asked:
            self.data = merged
        else:  # a newer local load landed meanwhile, judged with the older answers: load again with these
            self.action_refresh()

    # -- jobs --------------------------------------------------------------------------
    def start_job(self, kind: str, title: str, work: Callable[..., JobOutcome]) -> Job:
        """Run ``work(reporter=...)`` as an app-wide job in a thread (see ``tui/jobs.py``)."""
        from citaplanner_tui.tui.jobs import Job, run_in_thread

        job = Job(kind, title)
        self.jobs.append(job)
        run_in_thread(self, job, work)
        self.job_signal.publish(job)
        return job

    def start_engine_job(
        self, kind: str, title: str, work: Callable[..., JobOutcome], *args: object, **kwargs: object
    ) -> Job:
        """Run the job function ``work`` in a child process, so the GIL stays ours."""
        from citaplanner_tui.tui.jobs import Job, run_in_child

        job = Job(kind, title)
        self.jobs.append(job)
        run_in_child(self, job, work, args, kwargs)
        self.job_signal.publish(job)
        return job

    def running_jobs(self) -> list[Job]:
        return [job for job in self.jobs if job.running]

    def on_job_update(self, message: JobUpdate) -> None:
        job = message.job
        self.job_signal.publish(job)
        if not job.done:
            return
        self._quit_follows(job)
        if job.error:
            self.notify(
                shown(job.error),
                title=(_("{job}: cancelled") if job.cancelled else _("{job}: failed")).format(job=job.title),
                severity="warning" if job.cancelled else "error",
                timeout=10,
            )
        elif job.result is not None:  # a job ends with an error or a result
            if job.kind == "verify" and self.read_only:
                results = cast("list[VerifyResult]", job.result.value)  # engine_jobs.verify's value
                self._verified.append((results, self.now()))  # kept by the refresh below, off the loop
            text, severity = outcome_notification(job.result)
            self.notify(text, title=job.title, severity=severity, timeout=NOTIFY_SECONDS[job.result.kind], markup=False)
        self.action_refresh()  # the new backup or check shows up in every pane

    # -- navigation --------------------------------------------------------------------
    def _open(self, screen: Screen) -> None:
        self.action_open_dashboard()
        self.push_screen(screen)

    def action_open_dashboard(self) -> None:
        while len(self.screen_stack) > 1:  # the dashboard stays
            self.pop_screen()

    def action_open_backups(self) -> None:
        from citaplanner_tui.tui.screens.backups import BackupsScreen

        self._open(BackupsScreen())

    @gate.writes
    def action_open_backup_now(self) -> None:
        from citaplanner_tui.tui.screens.backup_now import BackupNowScreen

        self._open(BackupNowScreen())

    def action_open_offsite(self) -> None:
        from citaplanner_tui.tui.screens.offsite import OffsiteScreen

        self._open(OffsiteScreen())

    def action_open_logs(self) -> None:
        from citaplanner_tui.tui.screens.logs import LogsScreen

        self._open(LogsScreen())

    @gate.writes
    def action_open_restore(self) -> None:
        self.open_restore()

    def action_open_seed(self) -> None:
        from citaplanner_tui.tui.screens.seed import SeedScreen

        self._open(SeedScreen())

    def open_restore(self, archive: Path | str | None = None, preflight: bool = False) -> None:
        """Open the restore wizard, on ``archive`` when one was chosen (and pre-flight it at once);
        a ``TARGET:tier/file`` string is a backup only that target holds."""
        from citaplanner_tui.tui.screens.restore import RestoreScreen

        self._open(RestoreScreen(archive, preflight))

    @gate.writes
    def action_rollback_last(self) -> None:
        from citaplanner_tui.tui.rollback import start_rollback

        start_rollback(self)

    def action_help(self) -> None:
        from citaplanner_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        running = self.running_jobs()
        if not running:
            self.exit(0)
            return

        def answered(yes: bool | None) -> None:
            self._quit_question = None
            if not yes:
                return
            swapping = [job for job in self.running_jobs() if _swapping(job)]
            for job in self.running_jobs():
                if job not in swapping:
                    job.request_cancel()  # the engine stops between chunks and removes its partial file
            if not swapping:
                self.exit(0)
                return
            # A swap is a few renames under a lock: it cannot stop half-way, so it finishes first.
            self._quit_after = swapping
            names = ", ".join(job.title for job in swapping)
            self.notify(
                _(
                    "{jobs}: the swap has started and cannot be cancelled; the console quits once it has finished"
                ).format(jobs=names),
                title=_("Quitting"),
                severity="warning",
                timeout=30,
            )

        from citaplanner_tui.tui.screens.ask import AskScreen

        names = ", ".join(job.title for job in running)
        self._quit_question = AskScreen(
            _("{jobs} is still running. Cancel it and quit?").format(jobs=names),
            yes=_("Cancel job and quit"),
            no=_("Keep running"),
        )
        self.push_screen(self._quit_question, answered)

    def _quit_follows(self, job: Job) -> None:
        """The quit question goes once nothing runs; a quit that waited for a swap leaves, saying how it ended."""
        if self._quit_after and all(j.done for j in self._quit_after):
            self.exit_note = "; ".join(_ended(j) for j in self._quit_after)
            self._quit_after = []
            self.exit(0)
        elif self._quit_question is not None and not self.running_jobs():
            question, self._quit_question = self._quit_question, None
            if question.is_current:
                question.dismiss(None)
            self.notify(_("{job} finished: nothing is running, q quits").format(job=job.title), timeout=8)

    # -- keys typed while a screen or a box opens -------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            # Our own marks on the event, read in _on_key when it comes back unhandled.
            event.screen_at_arrival = self.screen  # type: ignore[attr-defined]
            event.focused_at_arrival = self.focused  # type: ignore[attr-defined]
        await super().on_event(event)

    async def _on_key(self, event: events.Key) -> None:
        """A key that reached a screen no longer on top, or a widget no longer focused, goes again.

        Textual hands each key to the focused widget when it arrives; a binding that
        opens a dialog or a text box (``/``) runs only when its key comes back here, so
        the keys typed right after it were queued for the old screen or widget: lost,
        or worse, run as bindings (``l`` of a filter text opening the logs).  They were
        meant for what the operator sees now; every key goes again, in order, so a name
        and its Enter stay in the order typed.
        """
        moved = getattr(event, "screen_at_arrival", self.screen) is not self.screen
        typing = isinstance(self.focused, Input) and getattr(event, "focused_at_arrival", None) is not self.focused
        if moved or typing:
            event.prevent_default()  # App._on_key (bindings) runs after this one unless prevented
            self.post_message(events.Key(event.key, event.character))
        elif self.read_only and self._write_key(event.key):
            event.prevent_default()  # hidden by the gate, so Textual would drop it without a word
            self.notify(_(gate.READ_ONLY_SENTENCE), title=_("Read-only"), severity="warning")

    def _write_key(self, key: str) -> bool:
        """Is ``key`` bound, on this screen or the app, to an action the read-only gate hides?"""
        for node, bindings in self.screen._binding_chain:
            for binding in bindings.key_to_bindings.get(key, ()):
                action = binding.action.removeprefix("app.")
                target = self if binding.action.startswith("app.") else node
                if gate.is_write(target, action):
                    return True
        return False

    # -- a crash ----------------------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        """Any unhandled error, in any screen or worker: a crash log and a sentence, non-zero exit.

        Replaces Textual's handler, which prints a traceback with every frame's locals
        and leaves the exit code to the caller.  ``crash_report`` is the sentence;
        ``launch.run_console`` prints it once the terminal is restored.
        """
        self._return_code = CRASH_EXIT
        if self._exception is None:  # Pilot re-raises it, so a test sees the crash
            self._exception = error
            self._exception_event.set()
            self.crash_report = crash_sentence(error)
        self._close_messages_no_wait()

    # -- read-only gate and palette ------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rollback_last" and (self.data is None or self.data.rollback is None):
            return False  # nothing parked: no rollback to offer
        return gate.allowed(self, action)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette offers the registry's actions for this screen and the app."""
        for scope, node in ((type(screen).__name__, screen), ("app", self)):
            for spec in actions.specs_for(scope):
                if node.check_action(spec.action, ()):
                    yield SystemCommand(shown(spec.title), shown(spec.help), _runner(node, spec.action))
        for cmd in super().get_system_commands(screen):
            if cmd.title in ("Theme", "Keys"):  # Textual's own; their words are in gate.TEXTUAL_WORDS
                yield cmd._replace(title=_(cmd.title))


SEVERITY: dict[Kind, SeverityLevel] = {Kind.OK: "information", Kind.WARNING: "warning", Kind.FAILED: "error"}
NOTIFY_SECONDS = {Kind.OK: 5, Kind.WARNING: 10, Kind.FAILED: 20}
MAX_DETAILS = 5  # lines of a notification naming what went wrong; the screens show them all


def outcome_notification(outcome: JobOutcome) -> tuple[str, SeverityLevel]:
    """The message (summary, then the lines naming what went wrong) and severity of a job's end."""
    details = list(outcome.details[:MAX_DETAILS])
    if len(outcome.details) > MAX_DETAILS:
        more = len(outcome.details) - MAX_DETAILS
        details.append(ngettext("and {n} more", "and {n} more", more).format(n=more))
    return "\n".join([shown(outcome.summary), *map(shown, details)]), SEVERITY[outcome.kind]


SIXTEEN_COLOUR_TERMS = ("linux", "xterm-16color", "vt100", "vt220", "ansi", "screen")


def connection_shown(settings: Settings) -> str:
    """The database URL without its password (parsing it imports psycopg: in a worker)."""
    from citaplanner_tui.core.pg.conninfo import redact

    return redact(settings.database_url) if settings.database_url else _("no database configured")


def default_theme(env: Mapping[str, str] | None = None) -> str:
    """``ansi-dark`` (the terminal's own 16 colours) on terminals that have no more."""
    env = os.environ if env is None else env
    if env.get("TEXTUAL_COLOR_SYSTEM") == "standard" or env.get("TERM", "") in SIXTEEN_COLOUR_TERMS:
        return "ansi-dark"
    return "textual-dark"


def _swapping(job: Job) -> bool:
    """A restore or rollback in its swap: past the point where a cancel can stop it."""
    return job.kind in ("restore", "rollback") and job.progress is not None and job.progress.phase == "swap"


def _ended(job: Job) -> str:
    if job.error or job.result is None:
        return f"{job.title}: {shown(job.error or '')}"
    return f"{job.title}: {shown(job.result.summary)}"


def _runner(node: Screen[object] | App[int], action: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await node.run_action(action)

    return run
