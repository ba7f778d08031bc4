"""Delete one backup on the operator's request, with the same care as retention.

The console's delete action lands here.  Under the volume's lock the catalog is read
again (the screen may be minutes old), and the request is refused in one sentence
when the file is not a dump of ours, is the newest good backup of its tier (the one a
restore would fall back on), or changed since it was listed.  The dump goes first,
then its sidecar, through ``prune.apply_removals`` (a crash in between leaves only a
harmless orphan sidecar); the log says who asked.
"""

from __future__ import annotations

import os
from pathlib import Path

from citaplanner_tui.core.i18n import N_
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume import catalog, lock
from citaplanner_tui.core.volume.prune import apply_removals
from citaplanner_tui.core.volume.retention import Removal


def refusal(scan: catalog.Catalog, entry: catalog.Entry | None) -> str | None:
    """Why ``entry`` may not be deleted, or None when it may (a pure decision)."""
    if entry is None:
        return "that file is no longer in the backup folder"
    if entry.state is catalog.State.FOREIGN or not entry.is_dump:
        return f"{entry.path.name} is not a backup dump of ours; it is never deleted from here"
    newest = scan.newest_good(entry.tier)
    if newest is not None and newest.path == entry.path:
        return f"{entry.path.name} is the newest good {entry.tier} backup; it cannot be deleted"
    return None


def delete_backup(settings: Settings, path: Path, *, log: Log | None = None) -> list[Path]:
    """Delete the backup at ``path`` and its sidecar; return the paths removed."""
    settings.require_writable(N_("deleting a backup"))
    log = log or Log(settings.logs, "backup")
    with lock.hold(settings.backup_dir, "delete"):
        scan = catalog.scan(settings)
        entry = scan.find(path)
        why = refusal(scan, entry)
        if why:
            raise OperatorError(why)
        assert entry is not None  # refusal() refuses a file that is gone

        removed = apply_removals([Removal(entry, "deleted by the operator")], log.write)
    if not removed or os.path.lexists(entry.path):
        raise OperatorError(f"{entry.path.name} changed since it was listed and was kept")
    return removed
