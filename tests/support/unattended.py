"""Helpers for the daemon tests: a compressed clock and a real HTTP server that records requests."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from prometheus_client.parser import text_string_to_metric_families

ISSUE_SCHEDULE = {
    "backup": "0 2 * * *",
    "verify_deep": "30 3 * * *",
    "drill": "0 4 * * sun",
    "offsite_push": "after backup",
    "timezone": "America/Mexico_City",
}


def parse_metrics(text: str) -> dict[str, dict[tuple, float]]:
    """Prometheus text through the official parser: {metric: {label values: value}}."""
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sample.labels.values())] = sample.value
    return out


def reap(proc: subprocess.Popen) -> None:
    """Kill a daemon a test started if it is still running (the test failed before stopping it)."""
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


class FakeClock:
    """Simulated time: ``sleep`` jumps ahead at once, firing the scheduled ``events`` it passes.

    When ``end`` is reached the daemon is told to stop, so a simulated week takes seconds.
    """

    def __init__(self, start: datetime, end: datetime, events: list[tuple[datetime, Callable[[], None]]] = ()):
        self.t, self.end = start, end
        self.events = sorted(events, key=lambda e: e[0])
        self.sleeps = 0

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        self.sleeps += 1
        target = min(self.t + timedelta(seconds=max(seconds, 1)), self.end)
        while self.events and self.events[0][0] <= target:
            at, action = self.events.pop(0)
            self.t = max(self.t, at)
            action()
        self.t = target
        if self.t >= self.end:
            stop.set()


@dataclass
class Received:
    path: str
    body: bytes
    content_type: str


class Receiver:
    """A real HTTP server on 127.0.0.1 recording every POST; the first ``fail_first`` get HTTP 500."""

    def __init__(self, fail_first: int = 0):
        self.requests: list[Received] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                failing = receiver.fail_first > 0
                receiver.fail_first -= 1
                if not failing:
                    receiver.requests.append(Received(self.path, body, self.headers.get("Content-Type", "")))
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
