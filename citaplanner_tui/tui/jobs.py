"""Long work (backup, verify, drill) as app-wide jobs that outlive the screen that started them.

A job runs the engine in a thread worker owned by the app, so leaving the screen
does not orphan it, and ``q`` can ask before quitting while one runs.  The engine
reports through ``core.events.Reporter``; its callback runs in the worker thread and
only posts a message (thread-safe, non-blocking), so the engine never waits on the
event loop and the worker never touches a widget.  Screens subscribe to
``app.job_signal`` and redraw from the job's latest state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from textual.message import Message

from citaplanner_tui.core.events import Progress, Reporter


@dataclass
class Job:
    """One run: latest progress, then the result or the one-sentence error."""

    kind: str
    title: str
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: Progress | None = None
    result: Any = None
    error: str | None = None
    cancelled: bool = False
    done: bool = False

    @property
    def running(self) -> bool:
        return not self.done


class JobUpdate(Message):
    """Posted from the worker thread whenever a job moved on (progress or end)."""

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job


def run_job(app, job: Job, work: Callable[[Reporter], Any]) -> None:
    """Run ``work(reporter)`` in a thread worker of ``app``; updates arrive as ``JobUpdate``."""

    def progress(p: Progress) -> None:
        job.progress = p
        app.post_message(JobUpdate(job))

    def thread() -> None:
        from citaplanner_tui.core.errors import Cancelled, OperatorError

        try:
            job.result = work(Reporter(progress, cancel=job.cancel))
        except Cancelled as exc:
            job.cancelled, job.error = True, exc.sentence
        except OperatorError as exc:
            job.error = exc.sentence
        except Exception as exc:  # a bug: keep the console alive and say what broke
            job.error = f"{job.title} failed unexpectedly: {type(exc).__name__}: {exc}"
        finally:
            job.done = True
            app.post_message(JobUpdate(job))

    app.run_worker(thread, thread=True, group=f"job-{job.kind}", name=job.title, exit_on_error=False)
