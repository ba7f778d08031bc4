"""The engine calls the console runs as child-process jobs: backup, verify, drill, off-site push, verify, pull.

Each takes the Reporter the child passes and turns the engine's result into a
``JobOutcome``: a verify that found bad files is FAILED and names them, a backup with
warnings is WARNING.  Kept apart from the screens so the child imports the engine, not
Textual (``tui/restore_calls.py`` does the same for the restore engine).  Each imports
its engine inside: the backups screen imports this module at start-up, the engines bring
psycopg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

from citaplanner_tui.core.i18n import say, say_n
from citaplanner_tui.tui.job_result import JobOutcome, Kind

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from citaplanner_tui.core.events import Reporter
    from citaplanner_tui.core.settings import Settings


def verify(settings: Settings, paths: list[Path] | None, *, deep: bool = False, reporter: Reporter) -> JobOutcome:
    from citaplanner_tui.core.verify import verify as run

    results = run(settings, paths, deep=deep, reporter=reporter)
    what = say("deep verify") if deep else say("verify")
    return _checked(
        what, False, results, lambda r: say("{name}: {detail}", name=r.path.name, detail=r.detail or r.problem)
    )


def _checked(what: str, remote: bool, results: Sequence[Any], line: Callable[[Any], str]) -> JobOutcome:
    """A verify's outcome (``remote``: of the off-site targets' backups): FAILED naming each bad one
    (``line``), else OK with the count."""
    bad, n = [r for r in results if not r.ok], len(results)
    if bad:
        failed = (
            say("{what}: {failed} of {checked} remote backups FAILED", what=what, failed=len(bad), checked=n)
            if remote
            else say("{what}: {failed} of {checked} backups FAILED", what=what, failed=len(bad), checked=n)
        )
        return JobOutcome(Kind.FAILED, failed, tuple(map(line, bad)), results)
    if remote:
        return JobOutcome.ok(
            results, say_n("{what}: {n} remote backup OK", "{what}: {n} remote backups OK", n, what=what)
        )
    return JobOutcome.ok(results, say_n("{what}: {n} backup OK", "{what}: {n} backups OK", n, what=what))


def drill(settings: Settings, archive: Path, *, reporter: Reporter) -> JobOutcome:
    from citaplanner_tui.core.restore import drill as run

    result = run(settings, archive, reporter=reporter)
    return JobOutcome.ok(result, say("drill {name}: {summary}", name=archive.name, summary=result.summary))


def backup(settings: Settings, *, tier: str, now: datetime | None, reporter: Reporter) -> JobOutcome:
    from citaplanner_tui.core.backup import run_backup

    result = run_backup(settings, tier=tier, now=now, reporter=reporter)
    name = result.files[0].name
    warnings = [*result.warnings, *(_push_after_backup(settings, reporter) if settings.offsite else ())]
    pushed = bool(settings.offsite) and len(warnings) == len(result.warnings)
    if warnings:
        warned = (
            say("backup {name} written and pushed off-site with warnings", name=name)
            if pushed
            else say("backup {name} written with warnings", name=name)
        )
        return JobOutcome(Kind.WARNING, warned, tuple(warnings), result)
    if pushed:
        return JobOutcome.ok(result, say("backup {name} written and pushed off-site", name=name))
    return JobOutcome.ok(result, say("backup {name} written", name=name))


def _push_after_backup(settings: Settings, reporter: Reporter) -> list[str]:
    """As ``citaplanner-tui backup`` does: push to every target; a failure (or a cancel) is a warning,
    never the backup's failure: it is already published, and the next push sends what is missing."""
    from citaplanner_tui.core.errors import Cancelled, OperatorError
    from citaplanner_tui.core.offsite.push import push

    try:
        results = push(settings, settings.offsite, reporter=reporter)
    except Cancelled:
        return [say("off-site push cancelled; the backup is kept, and the next push sends it")]
    except OperatorError as exc:
        return [say("off-site push failed: {why}", why=exc.sentence)]
    return [say("off-site push to {target} failed: {why}", target=r.target, why=r.error) for r in results if not r.ok]


def offsite_push(settings: Settings, names: tuple[str, ...] | None = None, *, reporter: Reporter) -> JobOutcome:
    """Push to the targets named (all when None); a target that failed makes the job FAILED, naming it."""
    from citaplanner_tui.core.offsite.push import push
    from citaplanner_tui.core.offsite.targets import find

    targets = settings.offsite if names is None else tuple(t for n in names for t in find(settings.offsite, n))
    results = push(settings, targets, reporter=reporter)
    sent = sum(len(r.uploaded) for r in results if r.ok)
    failed = [r for r in results if not r.ok]
    if failed:
        return JobOutcome(
            Kind.FAILED,
            say("off-site push: {failed} of {pushed} targets FAILED", failed=len(failed), pushed=len(results)),
            tuple(say("{target}: {why}", target=r.target, why=r.error) for r in failed),
            results,
        )
    return JobOutcome.ok(
        results, say_n("off-site push: {n} object uploaded", "off-site push: {n} objects uploaded", sent)
    )


def offsite_verify(settings: Settings, *, deep: bool = False, reporter: Reporter) -> JobOutcome:
    """Every remote backup against its sidecar; each one that disagrees is named (``target:tier/file``)."""
    from citaplanner_tui.core.offsite.client import connect
    from citaplanner_tui.core.offsite.verify import verify_target

    checks = []
    for target in settings.offsite:
        checks += verify_target(connect(target), target, settings, deep=deep, reporter=reporter)
    what = say("off-site deep verify") if deep else say("off-site verify")
    if not checks:
        none_yet = say("{what}: no backups on the off-site targets yet (p pushes them)", what=what)
        return JobOutcome(Kind.WARNING, none_yet, (), checks)
    return _checked(
        what, True, checks, lambda c: say("{backup}: {detail}", backup=f"{c.target}:{c.backup}", detail=c.detail)
    )


def offsite_pull(settings: Settings, spec: str, *, reporter: Reporter) -> JobOutcome:
    """Download ``TARGET:tier/file`` onto the volume, checked against its sidecar (``core.offsite.pull.fetch``)."""
    from citaplanner_tui.core.offsite.pull import fetch

    path = fetch(settings, spec, reporter=reporter)
    target = spec.partition(":")[0]
    return JobOutcome.ok(
        path, say("{name} from {target} is on the volume, checked against its sidecar", name=path.name, target=target)
    )
