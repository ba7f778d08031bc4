"""A job's result together with the sentence the app's notification shows.

``CitaPlannerApp.on_job_update`` notifies ``job.result.summary`` when it is a string;
engine results (``core.restore.Outcome``, ``core.seed.ApplyResult``...) have none, so
the screens wrap them: ``Finished(value, summary)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finished:
    value: object
    summary: str
