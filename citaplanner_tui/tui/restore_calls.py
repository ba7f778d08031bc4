"""The restore engine calls the wizard runs as child-process jobs (``app.start_engine_job``).

Each wraps one ``core.restore`` call: it takes the Reporter the child passes, and its
``JobOutcome`` carries the sentence the app's notification shows, so an operator who
left the wizard still reads what happened and what was kept.  Kept apart from the
wizard's screens so the child imports the engine, not Textual; each imports its engine
inside, so the console pays for psycopg only once a restore job runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from citaplanner_tui.core.i18n import say, say_n
from citaplanner_tui.tui.job_result import JobOutcome, Kind

if TYPE_CHECKING:
    from pathlib import Path

    from citaplanner_tui.core.events import Reporter
    from citaplanner_tui.core.restore.plan import RestorePlan
    from citaplanner_tui.core.settings import Settings


def preflight(settings: Settings, archive: Path, *, reporter: Reporter) -> JobOutcome:
    from citaplanner_tui.core.restore import preflight as run

    plan = run(settings, archive, reporter=reporter)
    fails = plan.problems
    if fails:
        return JobOutcome(
            Kind.FAILED,
            say_n(
                "cannot restore as it is: {n} blocking check FAIL",
                "cannot restore as it is: {n} blocking checks FAIL",
                len(fails),
            ),
            tuple(say("{check}: {detail}", check=say(c.name), detail=c.detail) for c in fails),
            plan,
        )
    return JobOutcome.ok(plan, say("ready to restore: every blocking check passed"))


def execute(settings: Settings, plan: RestorePlan, *, reporter: Reporter) -> JobOutcome:
    """Run the plan; the operator typed the target's name in the wizard's confirmation."""
    from citaplanner_tui.core.restore import execute as run

    outcome = run(settings, plan, confirm=plan.target, reporter=reporter)
    summary = say(
        "{archive} restored into {target}; {undo}",
        archive=plan.archive.name,
        target=repr(plan.target),
        undo=outcome.undo,
    )
    if outcome.not_carried:
        return JobOutcome(
            Kind.WARNING,
            summary,
            tuple(say("not carried over: {line}", line=line) for line in outcome.not_carried),
            outcome,
        )
    return JobOutcome.ok(outcome, summary)


def rollback(settings: Settings, target: str, *, reporter: Reporter) -> JobOutcome:
    """Swap the pre-restore copy back in; typed in the wizard's confirmation too."""
    from citaplanner_tui.core.restore import rollback as run

    done = run(settings, target, confirm=target)
    return JobOutcome.ok(
        done,
        say(
            "{restored} is {target} again; the restored database is kept as {parked}",
            restored=repr(done.restored_from),
            target=repr(target),
            parked=repr(done.parked_as),
        ),
    )
