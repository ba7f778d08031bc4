"""Carry out retention: delete what ``core/volume/retention.py`` chose, carefully.

The decision is pure and lives in ``retention.decide``; this module does the deleting,
under the volume's lock (a backup run calls ``apply_removals`` under its own lock).
A file whose inode changed since the catalog was read is kept: someone replaced it,
and retention decided about the old one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from citaplanner_tui.core.i18n import N_
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume import catalog, lock, retention

LogFn = Callable[[str, str], None]


def apply_removals(removals: list[retention.Removal], log: LogFn) -> list[Path]:
    """Delete each removal's files, dump before sidecar; return the paths deleted."""
    removed: list[Path] = []
    for r in removals:
        for i, path in enumerate(r.paths):
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            if i == 0 and r.entry.inode and (st.st_dev, st.st_ino) != (r.entry.dev, r.entry.inode):
                log("WARN", f"kept {path.name}: it changed since the catalog was read")
                break
            path.unlink()
            removed.append(path)
        else:
            log("INFO", f"pruned {r.entry.path.name} ({r.reason})")
    return removed


@dataclass(frozen=True)
class PruneResult:
    """What retention kept (with the period each file stands for), removed, and deleted."""

    kept: list[retention.Kept]
    removals: list[retention.Removal]
    deleted: list[Path]


def prune(settings: Settings, *, dry_run: bool = False) -> PruneResult:
    """Decide retention for every rotated tier and, unless ``dry_run``, apply it under the lock.

    A dry run deletes nothing and takes no lock, so it can show the plan while a backup
    runs.
    """
    if dry_run:
        return PruneResult(
            *retention.decide(
                catalog.scan(settings), settings.retention, shrink_ratio=settings.thresholds.shrink_warn_ratio
            ),
            [],
        )
    settings.require_writable(N_("prune"))
    log = Log(settings.logs, "backup")
    with lock.hold(settings.backup_dir, "prune"):
        kept, removals = retention.decide(
            catalog.scan(settings), settings.retention, shrink_ratio=settings.thresholds.shrink_warn_ratio
        )
        return PruneResult(kept, removals, apply_removals(removals, log.write))
