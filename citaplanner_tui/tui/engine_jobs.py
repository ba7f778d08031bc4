"""The volume's engine calls the console runs as child-process jobs: backup, verify, drill.

Each takes the Reporter the child passes and turns the engine's result into a
``JobOutcome``: a verify that found bad files is FAILED and names them, a backup with
warnings is WARNING.  Kept apart from the screens so the child imports the engine, not
Textual (``tui/restore_calls.py`` does the same for the restore engine).
"""

from __future__ import annotations

from citaplanner_tui.core.i18n import say, say_n
from citaplanner_tui.tui.job_result import JobOutcome, Kind


def verify(settings, paths, *, deep: bool = False, reporter) -> JobOutcome:
    from citaplanner_tui.core.verify import verify as run

    results = run(settings, paths, deep=deep, reporter=reporter)
    bad = [r for r in results if not r.ok]
    what = say("deep verify") if deep else say("verify")
    if bad:
        return JobOutcome(
            Kind.FAILED,
            say("{what}: {failed} of {checked} backups FAILED", what=what, failed=len(bad), checked=len(results)),
            tuple(f"{r.path.name}: {r.detail or r.problem}" for r in bad),
            results,
        )
    return JobOutcome.ok(results, say_n("{what}: {n} backup OK", "{what}: {n} backups OK", len(results), what=what))


def drill(settings, archive, *, reporter) -> JobOutcome:
    from citaplanner_tui.core.restore import drill as run

    result = run(settings, archive, reporter=reporter)
    return JobOutcome.ok(result, say("drill {name}: {summary}", name=archive.name, summary=result.summary))


def backup(settings, *, tier: str, now, reporter) -> JobOutcome:
    from citaplanner_tui.core.backup import run_backup

    result = run_backup(settings, tier=tier, now=now, reporter=reporter)
    summary = say("backup {name} written", name=result.files[0].name)
    if result.warnings:
        warned = say("backup {name} written with warnings", name=result.files[0].name)
        return JobOutcome(Kind.WARNING, warned, tuple(result.warnings), result)
    return JobOutcome.ok(result, summary)
