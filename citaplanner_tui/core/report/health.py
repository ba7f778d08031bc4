"""Health verdicts: OK / WARN / FAIL, each with the sentence that explains it.

Pure functions over facts (ages, counts, free space, growth), so every rule is tested
without files or a database, and the status command, its exit code and the console's
dashboard all show exactly these words and reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Callable, Iterable, Mapping

from citaplanner_tui.core.i18n import N_, say, say_n
from citaplanner_tui.core.settings import Thresholds
from citaplanner_tui.core.volume.catalog import State
from citaplanner_tui.core.volume.naming import ROTATED_TIERS


class Level(IntEnum):
    """Ordered so the worst wins with ``max``; the value is the status exit code."""

    OK = 0
    WARN = 1
    FAIL = 2

    @property
    def word(self) -> str:
        return self.name


@dataclass(frozen=True)
class Health:
    """One verdict: what it is about, its level, and (unless OK) why."""

    subject: str
    level: Level
    reason: str = ""

    @property
    def word(self) -> str:
        return self.level.word

    def __str__(self) -> str:
        return f"{self.word} {self.subject}" + (f": {self.reason}" if self.reason else "")


OK = Level.OK
WARN = Level.WARN
FAIL = Level.FAIL


def hours(h: float) -> str:
    """``26 h`` or ``3.5 d``: ages as an operator reads them."""
    return f"{h:.0f} h" if h < 48 else f"{h / 24:.1f} d"


def tier_health(
    tier: str, newest_good_at: datetime | None, now: datetime, thresholds: Thresholds, any_backup: bool = False
) -> Health:
    """Age of the tier's newest good backup against its WARN/FAIL limits.

    Tiers without limits (manual, safety) are always OK.  A daily tier without a good
    backup is FAIL; a weekly or monthly tier that never had one is WARN (a volume with no
    good backup yet: the first good ``auto`` run fills every tier), FAIL once it had
    backups but none is good.
    """
    if tier not in ROTATED_TIERS:
        return Health(tier, OK)
    warn = getattr(thresholds, f"{tier}_warn_hours")
    fail = getattr(thresholds, f"{tier}_fail_hours")
    if newest_good_at is None:
        if tier == "daily" or any_backup:
            return Health(tier, FAIL, say("no good {tier} backup", tier=say(tier)))
        return Health(tier, WARN, say("no {tier} backup yet", tier=say(tier)))
    age = (now - newest_good_at).total_seconds() / 3600
    late = {"tier": say(tier), "age": hours(age)}
    if age > fail:
        return Health(
            tier, FAIL, say("newest good {tier} backup is {age} old (limit {limit})", limit=hours(fail), **late)
        )
    if age > warn:
        warned = say("newest good {tier} backup is {age} old (warning after {limit})", limit=hours(warn), **late)
        return Health(tier, WARN, warned)
    return Health(tier, OK)


def state_health(counts: Mapping[State, int], backup_running: bool = False) -> list[Health]:
    """Verdicts on files in a bad state (nothing for states that are fine)."""
    found = []
    rules: list[tuple[State, Level, Callable[[int], str]]] = [
        (
            State.MISMATCH,
            FAIL,
            lambda n: say_n(
                "{n} backup does not match its checksum sidecar", "{n} backups do not match their checksum sidecars", n
            ),
        ),
        (
            State.CORRUPT,
            FAIL,
            lambda n: say_n(
                "{n} backup is damaged (the deep check failed)", "{n} backups are damaged (the deep check failed)", n
            ),
        ),
        (
            State.UNREADABLE,
            FAIL,
            lambda n: say_n(
                "{n} file on the backup volume cannot be read", "{n} files on the backup volume cannot be read", n
            ),
        ),
        (
            State.BAD_SIDECAR,
            WARN,
            lambda n: say_n("{n} sidecar holds no SHA-256 checksum", "{n} sidecars hold no SHA-256 checksum", n),
        ),
        (
            State.NO_SIDECAR,
            WARN,
            lambda n: say_n(
                "{n} backup has no checksum sidecar, so cannot be verified",
                "{n} backups have no checksum sidecar, so cannot be verified",
                n,
            ),
        ),
        (
            State.ORPHAN_SIDECAR,
            WARN,
            lambda n: say_n("{n} sidecar has no backup beside it", "{n} sidecars have no backup beside it", n),
        ),
    ]
    for state, level, sentence in rules:
        if counts.get(state, 0):
            found.append(Health(state.word, level, sentence(counts[state])))
    partial = counts.get(State.PARTIAL, 0)
    if partial and not backup_running:
        found.append(
            Health(
                State.PARTIAL.word,
                WARN,
                say_n(
                    "{n} unfinished backup was left by a run that stopped (the next backup removes them)",
                    "{n} unfinished backups were left by a run that stopped (the next backup removes them)",
                    partial,
                ),
            )
        )
    return found


FULL_IN = N_("the backup volume is full in about {days} days at the current growth")


def disk_health(free: int | None, days_left: float | None, thresholds: Thresholds) -> Health:
    """Room on the backup volume: FAIL when full or days from full, WARN within the warning horizon."""
    if free is None:
        return Health(N_("disk"), WARN, say("the backup volume's free space cannot be read"))
    if free <= 0:
        return Health("disk", FAIL, say("the backup volume is full"))
    if days_left is not None and days_left < thresholds.disk_fail_days:
        return Health("disk", FAIL, say(FULL_IN, days=f"{days_left:.1f}"))
    if days_left is not None and days_left < thresholds.disk_warn_days:
        return Health("disk", WARN, say(FULL_IN, days=f"{days_left:.0f}"))
    return Health("disk", OK)


def shrink_health(newest: int | None, previous: int | None, thresholds: Thresholds) -> Health:
    """A new dump much smaller than the one before usually means lost data or a cut-short dump."""
    if not newest or not previous or newest >= previous * thresholds.shrink_warn_ratio:
        return Health(N_("size"), OK)
    return Health(
        "size",
        WARN,
        say("the newest daily backup is {ratio} of the size of the one before", ratio=f"{newest / previous:.0%}"),
    )


def database_health(problem: str | None) -> Health:
    """FAIL with the connection's one-sentence explanation when the database cannot be reached."""
    if problem:
        return Health(N_("database"), FAIL, problem)
    return Health("database", OK)


def overall(verdicts: Iterable[Health]) -> Health:
    """The worst verdict decides; its reason leads, and any other problems are counted."""
    verdicts = list(verdicts)
    worst = max((v.level for v in verdicts), default=OK)
    if worst is OK:
        return Health(N_("overall"), OK)
    problems = sorted((v for v in verdicts if v.level > OK), key=lambda v: -v.level)
    more = len(problems) - 1
    reason = problems[0].reason
    if more:
        reason = say_n("{reason} (and {n} other problem)", "{reason} (and {n} other problems)", more, reason=reason)
    return Health("overall", worst, reason)
