"""The restore engine calls the wizard runs as child-process jobs (``app.start_engine_job``).

Each wraps one ``core.restore`` call: it takes the Reporter the child passes, and its
result carries the sentence the app's notification shows (``Finished``), so an operator
who left the wizard still reads what happened and what was kept.  Kept apart from the
wizard's screens so the child imports the engine, not Textual.
"""

from __future__ import annotations

from citaplanner_tui.tui.job_result import Finished

CALLS = __name__  # how ``start_engine_job`` names these functions (``f"{CALLS}:execute"``)


def preflight(settings, archive, *, reporter) -> Finished:
    from citaplanner_tui.core.restore import preflight as run

    plan = run(settings, archive, reporter=reporter)
    fails = len(plan.problems)
    return Finished(plan, "ready to restore: every blocking check passed" if plan.ok
                    else f"cannot restore as it is: {fails} blocking check{'s' if fails > 1 else ''} FAIL")


def execute(settings, plan, *, reporter) -> Finished:
    """Run the plan; the operator typed the target's name in the wizard's confirmation."""
    from citaplanner_tui.core.restore import execute as run

    outcome = run(settings, plan, confirm=plan.target, reporter=reporter)
    return Finished(outcome, f"{plan.archive.name} restored into {plan.target!r}; {outcome.undo}")


def rollback(settings, target: str, *, reporter) -> Finished:
    """Swap the pre-restore copy back in; typed in the wizard's confirmation too."""
    from citaplanner_tui.core.restore import rollback as run

    done = run(settings, target, confirm=target)
    return Finished(done, f"{done.restored_from!r} is {target!r} again; the restored database is kept "
                          f"as {done.parked_as!r}")
