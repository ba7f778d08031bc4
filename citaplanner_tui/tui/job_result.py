"""A job's outcome, typed: how it ended (ok, warning, failed), its sentence, what went wrong.

Every job function returns a ``JobOutcome``; the app renders it by ``kind`` (an
information, warning or error notification with the ``details`` lines, which name the
bad files of a verify, for example), and screens that show more read the engine's own
result in ``value``.  An engine error or a cancel is not an outcome: the job's ``error``
sentence says it.  No Textual here: the child process that runs engine jobs imports this.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"


@dataclass(frozen=True)
class JobOutcome:
    kind: Kind
    summary: str
    details: tuple[str, ...] = ()
    value: object = None

    @classmethod
    def ok(cls, value: object, summary: str) -> JobOutcome:
        return cls(Kind.OK, summary, (), value)
