"""Per-target facts and health: what ``status`` checks and what the console's off-site pane shows.

``build(settings, catalog)`` asks each configured target for one listing (no downloads)
and returns a ``TargetReport`` per target: the newest good backup there per tier, how far
it lags behind the volume's newest, how many good local backups are not there yet, the
object lock setting, unencrypted backups, and the last push's outcome (from
``core/offsite/state.py``).  A target that cannot be listed still gets a report, with
``problem`` saying why in one sentence; the listing gets at most two attempts of ten
seconds, so ``status`` (and the console's refresh) never waits long for a target.
``TargetReport.checks`` are the OK / WARN / FAIL verdicts, judged by the same tier
thresholds as the local backups (``core/report/health``).

The console renders these objects as they are; it never talks to S3 itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import say, say_n
from citaplanner_tui.core.offsite import remote, state
from citaplanner_tui.core.offsite.targets import Target
from citaplanner_tui.core.report.health import FAIL, OK, WARN, Health, hours, tier_health
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume.catalog import Catalog, Entry
from citaplanner_tui.core.volume.naming import ROTATED_TIERS

# Names of encrypted backups end so (issue 11 item 3: ``*.sql.gz.age``).
ENCRYPTED_SUFFIX = ".age"


@dataclass(frozen=True)
class TargetReport:
    """One target as seen now.  Times are local and naive, as the volume's backup names are.

    ``newest``: the newest good backup there per rotated tier (None: none there);
    ``lag_hours``: how much older the target's newest good backup of a rotated tier is than
    the volume's (None when either has none); ``missing``: good local backups not (fully) uploaded;
    ``unencrypted``: backups there whose names do not end in ``.age``;
    ``problem``: why the target could not be listed (then the counts are zero);
    ``held``: the backups there, newest first (for a where-it-lives column).
    """

    target: Target
    backups: int = 0
    size: int = 0
    newest: dict[str, Entry | None] = field(default_factory=dict)
    newest_any: Entry | None = None
    lag_hours: float | None = None
    missing: int = 0
    unencrypted: int = 0
    last_push: state.PushRecord | None = None
    problem: str | None = None
    checks: tuple[Health, ...] = ()
    held: tuple[Entry, ...] = ()

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def object_lock_days(self) -> int | None:
        return self.target.object_lock_days

    @property
    def last_error(self) -> str | None:
        """The last push's error sentence, or None if it worked (or none was recorded)."""
        return self.last_push.error if self.last_push and not self.last_push.ok else None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.target.shown(),
            "backups": self.backups,
            "size": self.size,
            "newest": {t: e.path.name if e else None for t, e in self.newest.items()},
            "newest_taken_at": self.newest_any.when.isoformat() if self.newest_any else None,
            "lag_hours": round(self.lag_hours, 2) if self.lag_hours is not None else None,
            "missing": self.missing,
            "unencrypted": self.unencrypted,
            "last_push_at": self.last_push.at.isoformat() if self.last_push else None,
            "last_push_ok": self.last_push.ok if self.last_push else None,
            "last_error": self.last_error,
            "problem": self.problem,
            "checks": [{"subject": h.subject, "health": h.word, "reason": h.reason} for h in self.checks],
        }


def build(
    settings: Settings,
    catalog: Catalog,
    now: datetime | None = None,
    *,
    connect: Callable[[Target], Any] | None = None,
) -> tuple[TargetReport, ...]:
    """A report for every configured target (empty without ``[[offsite]]``)."""
    if not settings.offsite:
        return ()
    if connect is None:  # boto3 is imported only when a target is configured
        from citaplanner_tui.core.offsite.client import connect as connect_target

        connect = connect_target
    now = now or datetime.now()
    pushes = state.load(settings)
    return tuple(_one(settings, catalog, t, now, connect, pushes.get(t.name)) for t in settings.offsite)


# A status check must answer in seconds, whatever the target's own patience for uploads.
STATUS_ATTEMPTS = 2
STATUS_TIMEOUT = 10.0


def _one(
    settings: Settings,
    catalog: Catalog,
    target: Target,
    now: datetime,
    connect: Callable[[Target], Any],
    last: state.PushRecord | None,
) -> TargetReport:
    quick = replace(
        target,
        max_attempts=min(target.max_attempts, STATUS_ATTEMPTS),
        timeout_seconds=min(target.timeout_seconds, STATUS_TIMEOUT),
    )
    try:
        objects = remote.listing(connect(quick), target)
    except OperatorError as exc:
        report = TargetReport(target, last_push=last, problem=exc.sentence)
        return _judged(report, catalog, settings, now)
    there = remote.entries(objects)
    good = [e for e in there if e.good]
    newest = {t: next((e for e in good if e.tier == t), None) for t in ROTATED_TIERS}
    newest_any = good[0] if good else None
    # The rotated tiers on both sides: a manual backup pushed since must not hide a daily that was not.
    local_newest = next((e for e in catalog.backups() if e.good and e.tier in ROTATED_TIERS), None)
    remote_newest = next((e for e in good if e.tier in ROTATED_TIERS), None)
    lag = None
    if local_newest and remote_newest and local_newest.taken_at and remote_newest.taken_at:
        lag = max(0.0, (local_newest.taken_at - remote_newest.taken_at).total_seconds() / 3600)
    uploaded = {str(e.path) for e in good}
    missing = sum(1 for e in pushable(catalog) if f"{e.folder}/{e.path.name}" not in uploaded)
    report = TargetReport(
        target,
        backups=len(there),
        size=sum(o.size for o in objects.values()),
        newest=newest,
        newest_any=newest_any,
        lag_hours=lag,
        missing=missing,
        unencrypted=sum(1 for e in there if not e.path.name.endswith(ENCRYPTED_SUFFIX)),
        last_push=last,
        held=tuple(there),
    )
    return _judged(report, catalog, settings, now)


def pushable(catalog: Catalog) -> list[Entry]:
    """The local backups a push uploads: good dumps in their own tier folder (not safety ones)."""
    return [e for e in catalog.backups() if e.good and e.folder == e.tier and e.tier != "safety"]


def _judged(report: TargetReport, catalog: Catalog, settings: Settings, now: datetime) -> TargetReport:
    return replace(report, checks=tuple(checks(report, catalog, settings, now)))


def checks(report: TargetReport, catalog: Catalog, settings: Settings, now: datetime) -> list[Health]:
    """The target's verdicts (a pure function of the report and the local catalog)."""
    subject = f"offsite {report.name}"
    where = say("on off-site target {name!r}", name=report.name)
    if report.problem:
        return [Health(subject, FAIL, report.problem)]
    found = []
    for tier in ROTATED_TIERS:
        if catalog.newest_good(tier) is None:
            continue  # nothing to copy yet: the local check already says so
        newest = report.newest.get(tier)
        verdict = tier_health(tier, newest.taken_at if newest else None, now, settings.thresholds, any_backup=True)
        if verdict.level is not OK:
            found.append(Health(subject, verdict.level, say("{where}, {reason}", where=where, reason=verdict.reason)))
    if report.last_error:
        at = hours(max(0.0, (now - report.last_push.at).total_seconds() / 3600)) if report.last_push else "?"
        failed = say(
            "the last push to {name!r} ({at} ago) failed: {error}", name=report.name, at=at, error=report.last_error
        )
        found.append(Health(subject, WARN, failed))
    if report.unencrypted:
        n = report.unencrypted
        found.append(
            Health(
                subject,
                WARN,
                say_n(
                    "{n} backup is {where} unencrypted "
                    "(set [encryption] age_recipients so copies leave the host encrypted)",
                    "{n} backups are {where} unencrypted "
                    "(set [encryption] age_recipients so copies leave the host encrypted)",
                    n,
                    where=where,
                ),
            )
        )
    return found or [Health(subject, OK)]
