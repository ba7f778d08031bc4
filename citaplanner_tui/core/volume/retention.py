"""Retention: which backups of the rotated tiers may go.  A pure decision, no I/O.

The old script deleted by age (``find -mtime +N -delete``), whatever the files held:
a week of failed runs could leave no good backup at all.  Counting files instead has
its own trap: six runs on the 1st of a month would push the six earlier months out.
So we keep by *period* (grandfather-father-son): per rotated tier, the newest *good*
backup (checked dump with its sidecar) of each of the N newest periods that have one
(days for daily, ISO weeks for weekly, months for monthly; see ``core/volume/tiers.py``).
Several backups inside one period never push an older period out, and a gap (a
failed day, a server down for a week) costs no period its backup: periods without a
good backup are not counted.

What goes: the other good backups of a kept period (superseded by a newer one of the
same period), every backup older than the oldest kept one, and damaged files or
orphan sidecars older than it, dump and sidecar together.  Damaged backups newer than
the oldest kept good one stay, so an operator can look at them.

A good backup much smaller than the good one before it (same tier and format; the
ratio is ``health.shrink_health``'s, ``thresholds.shrink_warn_ratio``) is *suspect*:
it was likely taken after rows were lost, and letting it stand for its day would
prune that day's earlier good backup, the very one needed to recover.  So a suspect
backup never stands for its period and never pushes an older one out; it is itself
kept while it is newer than the oldest kept good backup.  "Before it" means the last
good backup that is not suspect, so a second small run during the same incident is
suspect too.

Never touched: the newest good backup of a tier (N >= 1), a tier with no good backup
at all, the ``manual`` and ``safety`` tiers, unfinished ``.partial`` files (a running
job's, or a crashed one's, which the next backup cleans under its lock), unreadable
files, and anything that is not ours (foreign names, symlinks, files outside their
tier folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from citaplanner_tui.core.settings import Retention, Thresholds
from citaplanner_tui.core.volume.catalog import Entry, State
from citaplanner_tui.core.volume.naming import ROTATED_TIERS
from citaplanner_tui.core.volume.tiers import period, unit

# States of files named like ours that retention may remove when superseded.
_REMOVABLE = {State.OK, State.MISMATCH, State.CORRUPT, State.BAD_SIDECAR, State.NO_SIDECAR, State.ORPHAN_SIDECAR}


@dataclass(frozen=True)
class Removal:
    """One file to delete (a dump with its sidecar, or a sidecar left alone), and why."""

    entry: Entry
    reason: str

    @property
    def paths(self) -> list[Path]:
        """Dump first, then its manifest and globals, then its sidecar: a crash in between
        leaves only harmless orphans, which the next prune removes."""
        paths = [self.entry.path]
        if self.entry.is_dump:
            paths += self.entry.companions
            if self.entry.sidecar is not None:
                paths.append(self.entry.sidecar)
        return paths


@dataclass(frozen=True)
class Kept:
    """One file retention keeps, and why: the period it stands for, or why it is spared."""

    entry: Entry
    reason: str
    period: str | None = None


def keep_count(keep: Retention, tier: str) -> int:
    return max(1, int(getattr(keep, tier)))


SUSPECT_REASON = "kept: much smaller than the backup before it; it does not replace it"


def to_remove(
    entries: Iterable[Entry],
    keep: Retention,
    tiers: Iterable[str] = ROTATED_TIERS,
    *,
    shrink_ratio: float = Thresholds.shrink_warn_ratio,
) -> list[Removal]:
    """The removals that bring each of ``tiers`` (rotated ones only) down to its retention."""
    return decide(entries, keep, tiers, shrink_ratio=shrink_ratio)[1]


def decide(
    entries: Iterable[Entry],
    keep: Retention,
    tiers: Iterable[str] = ROTATED_TIERS,
    *,
    shrink_ratio: float = Thresholds.shrink_warn_ratio,
) -> tuple[list[Kept], list[Removal]]:
    """Every removable file of ``tiers``, kept (with its period) or removed (with why), newest first.

    ``shrink_ratio``: below this fraction of the good backup before it, a backup is suspect.
    """
    entries = list(entries)
    kept: list[Kept] = []
    removals: list[Removal] = []
    for tier in tiers:
        if tier not in ROTATED_TIERS:
            continue
        ours = sorted((e for e in entries if _ours_in(e, tier)), key=_age_key, reverse=True)
        tier_kept, tier_removed = _decide_tier(ours, tier, keep_count(keep, tier), shrink_ratio)
        kept += tier_kept
        removals += tier_removed
    return kept, removals


def _decide_tier(ours: list[Entry], tier: str, n: int, ratio: float) -> tuple[list[Kept], list[Removal]]:
    """``ours``: the tier's removable files, newest first."""
    suspects = _suspects(ours, ratio)
    winners: dict[str, Entry] = {}  # period -> its newest good backup, for the n newest periods
    for e in ours:
        if e.is_dump and e.good and id(e) not in suspects:
            p = period(tier, e.when)
            if p not in winners and len(winners) < n:
                winners[p] = e
    if not winners:
        return [Kept(e, f"no good {tier} backup to fall back on: everything is kept") for e in ours], []
    chosen = {id(e) for e in winners.values()}
    cutoff = _age_key(list(winners.values())[-1])  # the oldest kept good backup
    span = f"the {unit(tier, n)} kept"
    kept: list[Kept] = []
    removals: list[Removal] = []
    for e in ours:
        p = period(tier, e.when)
        if id(e) in chosen:
            kept.append(Kept(e, f"the newest good backup of {p}", p))
        elif id(e) in suspects and _age_key(e) > cutoff:
            kept.append(Kept(e, SUSPECT_REASON, p))
        elif id(e) in suspects:
            removals.append(Removal(e, f"{p} is older than {span}"))
        elif e.is_dump and e.good and p in winners:
            removals.append(Removal(e, f"{p} is kept by the newer {winners[p].path.name}"))
        elif e.is_dump and e.good:
            removals.append(Removal(e, f"{p} is older than {span}"))
        elif _age_key(e) > cutoff:
            kept.append(
                Kept(
                    e, f"{e.state.word}, newer than the oldest kept {tier} backup: left for the operator to look at", p
                )
            )
        else:
            removals.append(Removal(e, f"{e.state.word}, older than the oldest kept {tier} backup"))
    return kept, removals


def _suspects(ours: list[Entry], ratio: float) -> set[int]:
    """ids of the good dumps much smaller than the last good, not suspect dump of their format before them."""
    reference: dict[str, Entry] = {}  # format -> the last good backup that is not suspect
    suspects: set[int] = set()
    for e in reversed(ours):  # oldest first
        if e.name is None or not (e.is_dump and e.good):
            continue
        ext = e.name.ext
        before = reference.get(ext)
        if before is not None and before.size and e.size < before.size * ratio:
            suspects.add(id(e))
        else:
            reference[ext] = e
    return suspects


def _ours_in(e: Entry, tier: str) -> bool:
    """A removable file of ours, sitting in its own tier's folder."""
    return e.tier == tier and e.folder == tier and e.name is not None and e.name.tier == tier and e.state in _REMOVABLE


def _age_key(e: Entry) -> tuple[datetime, str]:
    return (e.when, e.path.name)


def covered(entries: Iterable[Entry], when: datetime) -> set[str]:
    """The rotated tiers that already hold a good backup of ``when``'s period (for ``tiers_for``)."""
    return {
        tier
        for e in entries
        for tier in ROTATED_TIERS
        if _ours_in(e, tier) and e.is_dump and e.good and period(tier, e.when) == period(tier, when)
    }
