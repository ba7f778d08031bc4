"""Long work (backup, verify, drill) as app-wide jobs that outlive the screen that started them.

A job runs a function ``work(*args, reporter=Reporter, **kwargs)`` that returns a typed ``JobOutcome``
(``tui/job_result.py``; engine calls wrapped in ``tui/engine_jobs.py`` and ``tui/restore_calls.py``), and is
owned by the app, so leaving the screen does not orphan it, and ``q`` can ask before quitting while one runs.
Heavy jobs run in a child process (``tui/job_child.py``): the engine's compressing, hashing and scanning
threads then never compete with the event loop for the GIL, which in-process made the console stall for
hundreds of milliseconds. The child sends progress, then the result or a one-sentence error, over its stdout;
a thread worker in the console waits on that pipe (blocking, without the GIL) and posts ``JobUpdate``
messages, so no worker touches a widget. Cancel is a byte on the child's stdin (or its closing, if the console
dies), asked for with ``Job.request_cancel``; the engine checks between chunks and removes what it created
before it stops. Light jobs (a delete) run in a thread."""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import IO, Any, Callable

from textual.dom import DOMNode
from textual.message import Message

from citaplanner_tui.core.i18n import _
from citaplanner_tui.core.events import Progress, Reporter
from citaplanner_tui.tui.job_child import outcome as _outcome
from citaplanner_tui.tui.job_result import JobOutcome


class CancelRequest:
    """What the engine checks between chunks (``is_set``, as a ``threading.Event``); for a job
    in a child process, the request also goes to the child once its stdin is ``connect``ed."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._stdin: IO[bytes] | None = None

    def set(self) -> None:
        with self._lock:
            if not self._event.is_set():
                self._event.set()
                self._tell_child()

    def is_set(self) -> bool:
        return self._event.is_set()

    def connect(self, stdin: IO[bytes]) -> None:
        """From now on a request reaches the child; one made while it started is passed on now."""
        with self._lock:
            self._stdin = stdin
            if self._event.is_set():
                self._tell_child()

    def _tell_child(self) -> None:
        if self._stdin is None:
            return  # a thread job, or a child not started yet
        try:
            self._stdin.write(b"c")
            self._stdin.flush()
        except (OSError, ValueError):
            pass  # already gone


@dataclass
class Job:
    """One run: latest progress, then its typed outcome (``result``) or the one-sentence error."""

    kind: str
    title: str
    progress: Progress | None = None
    result: JobOutcome | None = None
    error: str | None = None
    cancelled: bool = False
    done: bool = False
    cancel_request: CancelRequest = field(default_factory=CancelRequest, repr=False)

    @property
    def running(self) -> bool:
        return not self.done

    def request_cancel(self) -> None:
        """Ask the engine to stop between chunks; it removes what it wrote (the job then ends cancelled)."""
        self.cancel_request.set()

    @property
    def cancelling(self) -> bool:
        return self.cancel_request.is_set()


class JobUpdate(Message):
    """Posted from a worker thread whenever a job moved on (progress or end)."""

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job


def _finish(job: Job, outcome: tuple[str, Any]) -> None:
    kind, value = outcome
    if kind == "result" and not isinstance(value, JobOutcome):
        kind, value = (
            "error",
            _("{job} returned no outcome (a bug: {type})").format(job=job.title, type=type(value).__name__),
        )
    if kind == "result":
        job.result = value
    else:
        job.error, job.cancelled = value, kind == "cancelled"
    job.done = True


def _progress(app: DOMNode, job: Job) -> Callable[[Progress], None]:
    def progress(p: Progress) -> None:
        job.progress = p
        app.post_message(JobUpdate(job))  # thread-safe and non-blocking

    return progress


def run_in_thread(app: DOMNode, job: Job, work: Callable[..., JobOutcome]) -> None:
    """Run ``work(reporter=...)`` in a thread worker of ``app`` (light jobs)."""

    def thread() -> None:
        try:
            _finish(job, _outcome(lambda: work(reporter=Reporter(_progress(app, job), cancel=job.cancel_request))))
        finally:
            app.post_message(JobUpdate(job))

    app.run_worker(thread, thread=True, group=f"job-{job.kind}", name=job.title, exit_on_error=False)


def run_in_child(
    app: DOMNode, job: Job, work: Callable[..., JobOutcome], args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    """Run ``work(*args, reporter=..., **kwargs)`` in a child process (heavy jobs).

    ``work`` is a module-level function (pickled by name).  The request (settings included,
    so the password) goes to the child over its stdin, never in argv or the environment;
    messages come back pickled on its stdout.
    """
    progress = _progress(app, job)

    def wait_for_child() -> None:
        outcome: tuple[str, Any] = ("error", _("{job} stopped without saying why").format(job=job.title))
        proc = subprocess.Popen(
            [sys.executable, "-m", "citaplanner_tui.tui.job_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdin is not None and proc.stdout is not None  # both are pipes
        try:
            pickle.dump((work, args, kwargs), proc.stdin)
            proc.stdin.flush()
            job.cancel_request.connect(proc.stdin)
            while True:
                try:
                    kind, value = pickle.load(proc.stdout)
                except EOFError:  # the child died (killed, out of memory) before it answered
                    break
                if kind != "progress":
                    outcome = (kind, value)
                    break
                progress(value)
        finally:
            for pipe in (proc.stdin, proc.stdout):
                assert pipe is not None
                try:
                    pipe.close()
                except OSError:
                    pass
            proc.wait()
            _finish(job, outcome)
            app.post_message(JobUpdate(job))

    app.run_worker(wait_for_child, thread=True, group=f"job-{job.kind}", name=job.title, exit_on_error=False)
