"""One line that follows the app's current job: what runs, a bar, bytes, rate, time.

It subscribes to ``app.job_signal`` (published on the event loop from the worker's
messages), so it shows a backup started on another screen too.  Hidden when idle.
"""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from citaplanner_tui.core.i18n import _
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.jobs import Job
from citaplanner_tui.tui.node import ConsoleNode


def describe(job: Job) -> str:
    """``phase  done/total  rate  elapsed`` for a job's latest progress."""
    p = job.progress
    if p is None:
        return _("starting…")
    done = fmt.size(p.done) + (_(" of ~{size}").format(size=fmt.size(p.total)) if p.total else "")
    return f"{p.phase} {done} · {fmt.rate(p.rate)} · {fmt.seconds(p.elapsed)}"


class JobLine(ConsoleNode, Horizontal):
    DEFAULT_CSS = """
    JobLine { height: 1; display: none; }
    JobLine.-running { display: block; }
    JobLine > #job-title { width: auto; padding-right: 1; text-style: bold; }
    JobLine > ProgressBar { width: 24; }
    JobLine > #job-detail { width: 1fr; padding-left: 1; }
    """

    _titled: Job | None = None  # the job whose title is on show

    def compose(self) -> ComposeResult:
        yield Label(id="job-title")
        yield ProgressBar(show_eta=False, show_percentage=True, id="job-bar")
        yield Label(id="job-detail")

    def on_mount(self) -> None:
        self.app.job_signal.subscribe(self, self.show)
        running = self.app.running_jobs()
        if running:
            self.show(running[-1])

    def show(self, job: Job) -> None:
        running = self.app.running_jobs()
        self.set_class(bool(running), "-running")
        if not running:
            return
        job = job if job.running else running[-1]
        if job is not self._titled:  # the title sizes its column: laid out again when another job shows
            self._titled = job
            self.query_one("#job-title", Label).update(escape(job.title))
        p = job.progress
        bar = self.query_one(ProgressBar)
        bar.update(total=p.total if p and p.total else None, progress=p.done if p else 0)
        self.query_one("#job-detail", Label).update(escape(describe(job)), layout=False)  # the rest of its row
