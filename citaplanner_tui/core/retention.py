"""Retention: which backups of the rotated tiers may go.  A pure decision, no I/O.

The old script deleted by age (``find -mtime +N -delete``), whatever the files held:
a week of failed runs could leave no good backup at all.  We count instead: per
rotated tier keep the N newest *good* backups (checked dump with its sidecar).  Older
files of that tier go, good or damaged, dump and sidecar together.  Damaged backups
newer than the oldest kept good one stay, so an operator can look at them.

Never touched: the newest good backup of a tier (N >= 1), a tier with no good backup
at all, the ``manual`` and ``safety`` tiers, unfinished ``.partial`` files (a running
job's, or a crashed one's, which the next backup cleans under its lock), unreadable
files, and anything that is not ours (foreign names, symlinks, files outside their
tier folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from citaplanner_tui.core.catalog import Entry, State
from citaplanner_tui.core.naming import ROTATED_TIERS
from citaplanner_tui.core.settings import Retention

# States of files named like ours that retention may remove when superseded.
_REMOVABLE = {State.OK, State.MISMATCH, State.CORRUPT, State.BAD_SIDECAR, State.NO_SIDECAR,
              State.ORPHAN_SIDECAR}


@dataclass(frozen=True)
class Removal:
    """One file to delete (a dump with its sidecar, or a sidecar left alone), and why."""

    entry: Entry
    reason: str

    @property
    def paths(self) -> list[Path]:
        """Dump first, then its sidecar: a crash in between leaves only a harmless orphan sidecar."""
        paths = [self.entry.path]
        if self.entry.is_dump and self.entry.sidecar is not None:
            paths.append(self.entry.sidecar)
        return paths


def keep_count(keep: Retention, tier: str) -> int:
    return max(1, int(getattr(keep, tier)))


def plan(entries: Iterable[Entry], keep: Retention, tiers: Iterable[str] = ROTATED_TIERS) -> list[Removal]:
    """The removals that bring each of ``tiers`` (rotated ones only) down to its retention count."""
    entries = list(entries)
    removals: list[Removal] = []
    for tier in tiers:
        if tier not in ROTATED_TIERS:
            continue
        ours = sorted((e for e in entries if _ours_in(e, tier)), key=_age_key, reverse=True)
        n = keep_count(keep, tier)
        good = [e for e in ours if e.is_dump and e.good]
        if not good:
            continue  # nothing good to fall back on: keep everything for the operator
        cutoff = _age_key(good[:n][-1])  # the oldest kept good backup: it and anything newer stay
        for e in ours:
            if _age_key(e) >= cutoff:
                continue
            if e.is_dump and e.good:
                why = f"beyond the {n} newest good {tier} backups"
            else:
                why = f"{e.state.word}, older than the oldest kept {tier} backup"
            removals.append(Removal(e, why))
    return removals


def _ours_in(e: Entry, tier: str) -> bool:
    """A removable file of ours, sitting in its own tier's folder."""
    return (e.tier == tier and e.folder == tier and e.name is not None and e.name.tier == tier
            and e.state in _REMOVABLE)


def _age_key(e: Entry) -> tuple:
    return (e.when, e.path.name)
