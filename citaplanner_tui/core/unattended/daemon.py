"""The daemon loop: run the scheduled jobs through the engine, one at a time, forever.

Each wake-up it asks ``schedule.due`` which jobs have a scheduled time since they last
ran, runs them oldest first with the engine's own functions (``run_backup``, ``verify``,
``drill``: the same calls the CLI makes), records the outcome in
``BACKUP_DIR/.citaplanner-tui/daemon.json`` (so a run missed while the daemon was down
runs once at the next start), writes the heartbeat, and sleeps until the next run.

Jobs never overlap: the daemon runs them in turn, and each holds the volume's lock, so
a backup started by hand at the same moment is refused, not interleaved (the daemon
then retries on its next wake-up).  A job that fails is logged and notified and the
loop goes on; only ``stop()`` (SIGTERM) ends it, and a job running then is cancelled
through its reporter, so the engine removes what it had half-written.

The clock is injected: tests compress a week into seconds with a clock whose ``sleep``
advances simulated time.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Protocol

from citaplanner_tui.core.backup import run_backup
from citaplanner_tui.core.errors import BusyError, Cancelled, OperatorError
from citaplanner_tui.core.events import Progress, Reporter
from citaplanner_tui.core.i18n import listed, say
from citaplanner_tui.core.logs.lines import LogRecord
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.report import health, status, units
from citaplanner_tui.core.report import heartbeat
from citaplanner_tui.core.restore import drill
from citaplanner_tui.core.unattended import metrics
from citaplanner_tui.core.unattended.notify import Event, Notifier
from citaplanner_tui.core.unattended.schedule import Job, Schedule, due
from citaplanner_tui.core.verify import verify
from citaplanner_tui.core.volume import lock
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume.catalog import Catalog, scan
from citaplanner_tui.core.volume.files import read_json, write_json

STATE_FILE = "daemon.json"
OFFSITE_MISSING = say("no off-site targets configured")


class _Log(Log):
    """The daemon's log: a full or read-only log volume must not stop the schedule."""

    def write(self, level: str, message: str) -> None:
        try:
            super().write(level, message)
        except OSError:
            pass


class Clock(Protocol):
    """Where the daemon reads time and sleeps: ``RealClock``, or a simulated one in tests."""

    def now(self) -> datetime: ...

    def sleep(self, seconds: float, stop: threading.Event) -> None: ...


class RealClock:
    """Wall time; ``sleep`` returns early when the daemon is told to stop."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(max(0.0, seconds))


def engine_time(moment: datetime) -> datetime:
    """The naive local time the engine names backups and ages them by (as ``datetime.now()``)."""
    return moment.astimezone().replace(tzinfo=None)


@dataclass
class Outcome:
    """How one run ended: ``ok`` None means it was skipped (nothing to do)."""

    ok: bool | None
    detail: str
    seconds: float = 0.0


class Daemon:
    """The scheduler.  ``tick`` bounds how long it sleeps (heartbeat and health cadence)."""

    def __init__(
        self,
        settings: Settings,
        schedule: Schedule,
        *,
        notifier: Notifier | None = None,
        clock: Clock | None = None,
        tick: float = 60.0,
        health_every: float = 600.0,
        publisher: metrics.Publisher | None = None,
        echo: Callable[[LogRecord], None] | None = None,
    ):
        self.settings, self.schedule = settings, schedule
        self.clock: Clock = clock or RealClock()
        self.tick, self.health_every = tick, health_every
        self.notifier = notifier
        self.publisher = publisher  # metrics.Publisher, refreshed after every job
        self._report: status.StatusReport | None = None
        self._catalog: Catalog | None = None
        self.stopping = threading.Event()
        self.log = _Log(settings.logs, "backup", echo=echo, clock=lambda: engine_time(self.clock.now()))
        self.state_path = settings.state_dir / STATE_FILE
        self.state = read_json(self.state_path)
        self.state.setdefault("jobs", {})
        self._last_health_check: datetime | None = None
        self._doing = "idle"
        self._last_beat = 0.0
        self._metrics_problem: str | None = None

    # -- control -------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to end; a running job is cancelled cleanly (safe from a signal handler)."""
        self.stopping.set()

    def run(self) -> None:
        now = self.clock.now()
        if not isinstance(self.state.get("since"), dict):
            self.state["since"] = {}
        since = self.state["since"]
        for job in self.schedule.jobs:  # a job added to the schedule later was never missed before
            since.setdefault(job.name, now.isoformat(timespec="seconds"))
        self._save()
        self.log.info(
            say(
                "daemon started (pid {pid}): {jobs} ({timezone})",
                pid=os.getpid(),
                jobs=listed([self._planned(j, now) for j in self.schedule.jobs], "; "),
                timezone=self.schedule.timezone.key,
            )
        )
        try:
            self._guarded(say("the health check"), self._check_health)
            self._guarded(say("the metrics"), self._publish)
            while not self.stopping.is_set():
                self.wake()
                if self.stopping.is_set():
                    break
                self.clock.sleep(self._seconds_to_next(), self.stopping)
        finally:
            self._beat("stopped")
            self._guarded(say("the metrics"), lambda: self._publish(up=False))
            self.log.info(say("daemon stopped"))

    def wake(self) -> None:
        """One pass: run every job that is due, then the health check and the heartbeat."""
        now = self.clock.now()
        pending = []
        for job in self.schedule.jobs:
            last = self.state["jobs"].get(job.name, {}).get("for")
            since = datetime.fromisoformat(self.state["since"][job.name])
            when = due(job, datetime.fromisoformat(last) if last else None, since, now)
            if when is not None:
                pending.append((when, job))
        for when, job in sorted(pending, key=lambda p: p[0]):
            if self.stopping.is_set():
                return
            self._run(job, when)
        self._guarded(say("the health check"), self._check_health)
        self._beat("idle")

    # -- one job -------------------------------------------------------------
    def _run(self, job: Job, scheduled: datetime) -> None:
        self._doing = f"running {job.name}"
        self._beat(self._doing)
        late = (self.clock.now() - scheduled).total_seconds()
        when = self._when(scheduled)
        self.log.info(
            say(
                "daemon: {job} started (scheduled {when}, {late} late: it was missed)",
                job=job.name,
                when=when,
                late=health.hours(late / 3600),
            )
            if late > 3600
            else say("daemon: {job} started (scheduled {when})", job=job.name, when=when)
        )
        self._notify(Event("start", say("{job} started", job=job.name), job.name))
        started = time.monotonic()
        try:
            outcome = self._execute(job)
        except BusyError as exc:
            self.log.warn(
                say("daemon: {job} postponed: {why}; it runs at the next wake-up", job=job.name, why=exc.sentence)
            )
            return
        except Cancelled:
            self.log.warn(
                say(
                    "daemon: {job} cancelled because the daemon is stopping; "
                    "nothing half-written was kept, and it runs again at the next start",
                    job=job.name,
                )
            )
            return
        except OperatorError as exc:
            outcome = Outcome(False, exc.sentence)
        except Exception as exc:  # a bug in one job must not stop the others
            outcome = Outcome(False, f"{type(exc).__name__}: {exc}")
        finally:
            self._doing = "idle"
        outcome.seconds = round(time.monotonic() - started, 3)
        self._record(job, scheduled, outcome)
        if outcome.ok:
            for follower in self.schedule.following(job.name):
                self._run(follower, scheduled)

    def _execute(self, job: Job) -> Outcome:
        reporter = Reporter(self._progress, interval=5.0, cancel=self.stopping)
        now = engine_time(self.clock.now())
        s = self.settings
        if job.name == "backup":
            result = run_backup(s, tier="auto", reporter=reporter, now=now)
            for warning in result.warnings:
                self.log.warn(say("daemon: backup: {warning}", warning=warning))
            return Outcome(
                True,
                say(
                    "{tiers} backup {name} ({size})",
                    tiers="+".join(result.tiers),
                    name=result.files[0].name,
                    size=units.size(result.size),
                ),
            )
        if job.name == "verify_deep":
            with lock.hold(s.backup_dir, "verify"):
                results = verify(s, None, deep=True, reporter=reporter)
            failed = [r for r in results if not r.ok]
            if failed:
                raise OperatorError(
                    say(
                        "{failed} of {checked} backups failed the deep verify, first {name}: {detail}",
                        failed=len(failed),
                        checked=len(results),
                        name=failed[0].path.name,
                        detail=failed[0].detail,
                    )
                )
            return Outcome(True, say("all {n} backups deep-verified", n=len(results)))
        if job.name == "drill":
            drilled = drill(s, None, reporter=reporter, now=now)
            return Outcome(True, say("drill of {archive}: {summary}", archive=drilled.archive, summary=drilled.summary))
        if job.name == "offsite_push":
            return _offsite_push(s, reporter)
        raise OperatorError(say("the daemon does not know how to run {job}", job=job.name))

    def _record(self, job: Job, scheduled: datetime, outcome: Outcome) -> None:
        previous = self.state["jobs"].get(job.name, {})
        self.state["jobs"][job.name] = {
            "for": scheduled.isoformat(timespec="seconds"),
            "at": self.clock.now().isoformat(timespec="seconds"),
            "ok": outcome.ok,
            "detail": outcome.detail,
            "seconds": outcome.seconds,
        }
        self._save()
        if outcome.ok is None:
            self.log.warn(say("daemon: {job} skipped: {detail}", job=job.name, detail=outcome.detail))
        elif outcome.ok:
            self.log.ok(
                say(
                    "daemon: {job} OK in {seconds} s: {detail}",
                    job=job.name,
                    seconds=f"{outcome.seconds:.1f}",
                    detail=outcome.detail,
                )
            )
            self._notify(Event("success", say("{job} OK: {detail}", job=job.name, detail=outcome.detail), job.name))
            if previous.get("ok") is False:
                self._notify(
                    Event(
                        "recovery",
                        say(
                            "{job} recovered: {detail} (it had failed: {before})",
                            job=job.name,
                            detail=outcome.detail,
                            before=previous.get("detail"),
                        ),
                        job.name,
                    )
                )
        else:
            self.log.error(say("daemon: {job} FAILED: {detail}", job=job.name, detail=outcome.detail))
            self._notify(Event("failure", say("{job} FAILED: {detail}", job=job.name, detail=outcome.detail), job.name))
        self._guarded(say("the health check"), lambda: self._check_health(force=True))
        self._guarded(say("the metrics"), self._publish)

    # -- health, heartbeat, notifications ------------------------------------
    def _check_health(self, force: bool = False) -> None:
        now = self.clock.now()
        if (
            not force
            and self._last_health_check is not None
            and (now - self._last_health_check).total_seconds() < self.health_every
        ):
            return
        self._last_health_check = now
        self._catalog = scan(self.settings)
        self._report = report = status.build(self.settings, now=engine_time(now), catalog=self._catalog, daemon=False)
        word, before = report.overall.word, self.state.get("health")
        if word == before or (before is None and word == "OK"):
            if before is None:
                self.state["health"] = word
                self._save()
            return
        self.state["health"] = word
        self._save()
        said = (
            say("daemon: health is {word} (was {before})", word=word, before=before)
            if before
            else say("daemon: health is {word}", word=word)
        )
        reason, was = report.overall.reason, before or say("unknown")
        self.log.write(
            "OK" if word == "OK" else "WARN", say("{said}: {reason}", said=said, reason=reason) if reason else said
        )
        self._notify(
            Event(
                "health",
                say("health changed from {before} to {word}: {reason}", before=was, word=word, reason=reason)
                if reason
                else say("health changed from {before} to {word}", before=was, word=word),
            )
        )

    def _publish(self, up: bool = True) -> None:
        if self.publisher is None or self._report is None or self._catalog is None:
            return
        problem = self.publisher.update(metrics.families(self._report, self._catalog, self.state["jobs"], up))
        if problem and problem != self._metrics_problem:
            self.log.warn(say("daemon: {problem}", problem=problem))
        self._metrics_problem = problem

    def _notify(self, event: Event) -> None:
        if (notifier := self.notifier) is not None:
            self._guarded(say("a notification"), lambda: notifier.send(event))

    def _guarded(self, what: str, action: Callable[[], object]) -> None:
        """Side work (notifications, metrics) that must never stop the loop or fail a job."""
        try:
            action()
        except Exception as exc:
            self.log.warn(say("daemon: {what} failed: {type}: {error}", what=what, type=type(exc).__name__, error=exc))

    def _progress(self, progress: Progress) -> None:
        if time.monotonic() - self._last_beat >= 5.0:
            self._beat(f"{self._doing}: {progress.phase}")

    def _beat(self, doing: str) -> None:
        self._last_beat = time.monotonic()
        now = self.clock.now()
        try:
            heartbeat.beat(self.settings, now, doing, self.next_runs(now))
        except OSError as exc:
            self.log.warn(say("daemon: the heartbeat cannot be written: {why}", why=exc.strerror))

    def next_runs(self, now: datetime) -> dict[str, datetime | None]:
        return {j.name: j.next(now) for j in self.schedule.jobs}

    def _seconds_to_next(self) -> float:
        now = self.clock.now()
        upcoming = [t for t in self.next_runs(now).values() if t is not None]
        wait = min([(t - now).total_seconds() for t in upcoming] + [self.tick])
        return max(0.0, wait)

    def _save(self) -> None:
        try:
            write_json(self.state_path, self.state)
        except OSError as exc:
            self.log.warn(
                say("daemon: its state cannot be saved in {path}: {why}", path=self.state_path, why=exc.strerror)
            )

    def _when(self, moment: datetime | None) -> str:
        return moment.astimezone(self.schedule.timezone).strftime("%a %Y-%m-%d %H:%M:%S") if moment else say("never")

    def _planned(self, job: Job, now: datetime) -> str:
        """``backup 0 2 * * *, next Tue 2026-12-01 02:00:00``: one job of the start line."""
        when = job.cron or say("after {job}", job=job.after)
        return say("{job} {when}, next {next}", job=job.name, when=when, next=self._when(job.next(now)))


def _offsite_push(settings: Settings, reporter: Reporter) -> Outcome:
    """Push to every target; a target that failed fails the job (the local backup is untouched)."""
    if not settings.offsite:
        return Outcome(None, OFFSITE_MISSING)
    from citaplanner_tui.core.offsite.push import push

    results = push(settings, settings.offsite, reporter=reporter)
    failed = [r for r in results if not r.ok]
    if failed:
        raise OperatorError(
            listed([say("offsite push to {target} failed: {why}", target=r.target, why=r.error) for r in failed], "; ")
        )
    uploaded = sum(len(r.uploaded) for r in results)
    return Outcome(
        True, say("{n} objects pushed to {targets}", n=uploaded, targets=", ".join(r.target for r in results))
    )
