"""The child side of a console job: ``python -m citaplanner_tui.tui.job_child``.

Reads one pickled request ``(function, args, kwargs)`` from stdin (a job function of
``tui/engine_jobs.py`` or ``tui/restore_calls.py``, pickled by name), runs it with a
Reporter whose progress goes back pickled on stdout, then sends its ``JobOutcome``.  A byte
on stdin, or stdin closing (the console quit or died), sets the cancel event the engine
checks between chunks.  Anything the engine might print goes to /dev/null: stdout is
the message channel.  See ``tui/jobs.py`` for the console side.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from typing import Any, Callable

from citaplanner_tui.core.errors import Cancelled, OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.i18n import say


# The console's own process must win the CPU over the job (pg_dump and the compressing
# threads inherit this), or the screen freezes while a backup runs on a busy machine.
NICENESS = 10


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """``("result", JobOutcome)``, ``("cancelled"|"error", sentence)``: what a job's end is."""
    try:
        return "result", call()
    except Cancelled as exc:
        return "cancelled", exc.sentence
    except OperatorError as exc:
        return "error", exc.sentence
    except Exception as exc:  # a bug: keep the console alive and say what broke
        return "error", say("failed unexpectedly: {type}: {error}", type=type(exc).__name__, error=str(exc))


def main() -> None:
    os.nice(NICENESS)
    channel = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    requests = sys.stdin.buffer
    work, args, kwargs = pickle.load(requests)
    cancel = threading.Event()

    def cancel_on_request() -> None:
        requests.read(1)  # a byte, or the end when the console dies
        cancel.set()

    threading.Thread(target=cancel_on_request, daemon=True).start()
    lock = threading.Lock()

    def send(message: tuple[str, object]) -> None:
        with lock:
            pickle.dump(message, channel)
            channel.flush()

    reporter = Reporter(lambda p: send(("progress", p)), cancel=cancel)
    send(outcome(lambda: work(*args, reporter=reporter, **kwargs)))
    channel.close()


if __name__ == "__main__":
    main()
