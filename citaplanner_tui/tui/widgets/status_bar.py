"""The top line: badges first (READ-ONLY, the daemon when a schedule is configured, the
running jobs), then the overall health,
where we are connected (never the password), the server version and the data's age.

Badges lead because the line is cut at its end on narrow terminals: at 80 columns the
connection string may lose its tail, never the fact that the console is read-only or
that a job is running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual.widgets import Static

from citaplanner_tui.core.i18n import _, ngettext
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.node import ConsoleNode

if TYPE_CHECKING:
    from citaplanner_tui.tui.jobs import Job


def job_badge(jobs: list[Job]) -> str:
    """``backup 42%`` for one running job, ``3 jobs`` for more."""
    if len(jobs) > 1:
        return ngettext("{n} job", "{n} jobs", len(jobs)).format(n=len(jobs))
    job = jobs[0]
    p = job.progress
    done = f" {p.done / p.total:.0%}" if p is not None and p.total else ""
    return f"{job.kind}{done}"


class StatusBar(ConsoleNode, Static):
    _shown = ""  # the line on show: a job's progress redraws it several times a second

    def on_mount(self) -> None:
        self.watch(self.app, "data", lambda _: self.redraw(), init=True)
        self.app.job_signal.subscribe(self, lambda _job: self.redraw())
        if self.app.refresh_every:  # ticking ages would make snapshots drift
            self.set_interval(1.0, self.redraw)

    def redraw(self) -> None:
        app, data = self.app, self.app.data
        badges = []
        if app.read_only:
            badges.append(f"[b reverse $warning] {_('READ-ONLY')} [/]")
        if data is not None and data.daemon is not None:
            colour = {"OK": "$success", "WARN": "$warning"}.get(data.daemon.word, "$error")
            badges.append(f"[b reverse {colour}] {data.daemon.badge} [/]")
        running = app.running_jobs()
        if running:
            badges.append(f"[b reverse $accent] {escape(job_badge(running))} [/]")
        parts = [f"[b]{escape(app.conn_display())}[/]"]
        if data is None:
            parts.append(_("loading…"))
        else:
            parts.insert(0, fmt.health(data.health))
            parts.append(escape(data.server or _("no database")))
            parts.append(_("updated {age} ago").format(age=fmt.short_age(data.now, app.now())))
        line = " ".join(badges + [" · ".join(parts)])
        if line != self._shown:
            self._shown = line
            self.update(line, layout=False)  # one row, cut at its end: nothing to lay out again
