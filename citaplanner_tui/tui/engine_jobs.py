"""The volume's engine calls the console runs as child-process jobs: backup, verify, drill.

Each takes the Reporter the child passes and turns the engine's result into a
``JobOutcome``: a verify that found bad files is FAILED and names them, a backup with
warnings is WARNING.  Kept apart from the screens so the child imports the engine, not
Textual (``tui/restore_calls.py`` does the same for the restore engine).  Each imports
its engine inside: the backups screen imports this module at start-up, the engines bring
psycopg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from citaplanner_tui.tui.job_result import JobOutcome, Kind

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from citaplanner_tui.core.events import Reporter
    from citaplanner_tui.core.settings import Settings


def verify(settings: Settings, paths: list[Path] | None, *, deep: bool = False, reporter: Reporter) -> JobOutcome:
    from citaplanner_tui.core.verify import verify as run

    results = run(settings, paths, deep=deep, reporter=reporter)
    bad = [r for r in results if not r.ok]
    what = "deep verify" if deep else "verify"
    if bad:
        return JobOutcome(
            Kind.FAILED,
            f"{what}: {len(bad)} of {len(results)} backups FAILED",
            tuple(f"{r.path.name}: {r.detail or r.problem}" for r in bad),
            results,
        )
    return JobOutcome.ok(results, f"{what}: {len(results)} backup{'s' if len(results) != 1 else ''} OK")


def drill(settings: Settings, archive: Path, *, reporter: Reporter) -> JobOutcome:
    from citaplanner_tui.core.restore import drill as run

    result = run(settings, archive, reporter=reporter)
    return JobOutcome.ok(result, f"drill {archive.name}: {result.summary}")


def backup(settings: Settings, *, tier: str, now: datetime | None, reporter: Reporter) -> JobOutcome:
    from citaplanner_tui.core.backup import run_backup

    result = run_backup(settings, tier=tier, now=now, reporter=reporter)
    summary = f"backup {result.files[0].name} written"
    if result.warnings:
        return JobOutcome(Kind.WARNING, summary + " with warnings", tuple(result.warnings), result)
    return JobOutcome.ok(result, summary)
