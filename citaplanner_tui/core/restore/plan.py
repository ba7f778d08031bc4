"""The restore plan: every check made and every step that will run, before anything changes.

``restore --plan`` prints it; the TUI's wizard shows it on the confirmation screen;
``execute`` runs exactly its steps.  The decisions in here (mode, names, confirmation,
the step list) are pure functions, tested without a server.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import N_, say
from citaplanner_tui.core.restore.swap import LOCKOUT

STAMP = "%Y%m%d%H%M%S"
_MAX_IDENT = 63  # PostgreSQL truncates longer names, which could make two names collide


class ConfirmationRequired(OperatorError):
    """The operator did not type the target database's name."""

    exit_code = 2


@dataclass(frozen=True)
class Check:
    """One pre-flight finding; a failed blocking check stops the restore before any change."""

    name: str
    ok: bool
    detail: str
    blocking: bool = True

    @property
    def word(self) -> str:
        """What the CLI's plan and the console's pre-flight both call it: a blocking check is OK or
        FAIL; an advisory one is NOTE when it passed (worth reading) and WARN when it did not."""
        if self.blocking:
            return "OK" if self.ok else "FAIL"
        return "NOTE" if self.ok else "WARN"


@dataclass(frozen=True)
class Step:
    """One action ``execute`` will take, in order."""

    name: str
    detail: str


@dataclass
class RestorePlan:
    """What a restore will do, and what pre-flight found."""

    archive: Path
    archive_size: int
    target: str
    server: str
    mode: str
    stamp: str
    owner: str = ""
    target_version: str = ""
    source_version: str = ""
    pg_dump_version: str = ""
    client: str = ""
    sessions: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    # Swap mode: the connections the scratch database is loaded over, and whether the safety
    # backup runs alongside the load (the server has the connections for both) rather than first.
    jobs: int = 1
    alongside: bool = False
    sha256: str | None = None  # the archive as pre-flight read it: the load must read the same bytes

    @property
    def scratch(self) -> str:
        return scratch_name(self.target, self.stamp)

    @property
    def pre_restore(self) -> str:
        return pre_restore_name(self.target, self.stamp)

    @property
    def ok(self) -> bool:
        return all(c.ok or not c.blocking for c in self.checks)

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.blocking and not c.ok]

    def require_ok(self) -> None:
        """Raise the first blocking problem as one sentence."""
        if self.problems:
            first = self.problems[0]
            raise OperatorError(f"cannot restore: {first.detail}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            archive=str(self.archive),
            ok=self.ok,
            scratch=self.scratch,
            pre_restore=self.pre_restore if self.mode == "swap" else None,
        )
        return data


def new_stamp(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime(STAMP)


def _name(db: str, kind: str, stamp: str) -> str:
    name = f"{db}__{kind}_{stamp}"
    if len(name.encode("utf-8")) > _MAX_IDENT:
        raise OperatorError(
            f"the database name {db!r} is too long to derive the {kind} copy's name "
            f"(PostgreSQL names stop at {_MAX_IDENT} bytes)"
        )
    return name


def scratch_name(db: str, stamp: str) -> str:
    return _name(db, "restore", stamp)


def pre_restore_name(db: str, stamp: str) -> str:
    return _name(db, "pre_restore", stamp)


def drill_name(db: str, stamp: str) -> str:
    return _name(db, "drill", stamp)


def check_confirm(target: str, confirm: str | None, action: str = N_("restore over")) -> None:
    """Headless restores and rollbacks need the target's name typed back; there is no default."""
    if confirm != target:
        said = (
            say("no --confirm was given")
            if confirm is None
            else say("--confirm {typed} is not the target", typed=repr(confirm))
        )
        raise ConfirmationRequired(
            say(
                "{said}: to {action} {target} pass --confirm {name}; nothing was changed",
                said=said,
                action=say(action),
                target=repr(target),
                name=target,
            )
        )


def choose_mode(requested: str | None, *, can_create: bool, can_rename: bool) -> tuple[str, str | None]:
    """``(mode, problem)``: swap when the role may create and rename databases, else in-place.

    ``problem`` is a sentence when the operator asked for swap and the role cannot do it.
    """
    swap_ok = can_create and can_rename
    if requested == "in-place":
        return "in-place", None
    if requested == "swap":
        return "swap", None if swap_ok else (
            "swap mode needs a role that may create databases and owns the target (or use --mode in-place)"
        )
    return ("swap", None) if swap_ok else ("in-place", None)


def steps_for(
    mode: str,
    target: str,
    stamp: str,
    *,
    safety: bool = True,
    leftovers: list[str] | tuple[str, ...] = (),
    drops: str = "",
    jobs: int = 1,
    alongside: bool = False,
) -> list[Step]:
    """The steps ``execute`` runs for ``mode``, in order (``drops``: what in-place mode drops; ``jobs``
    and ``alongside``: a swap's parallel load, and its safety backup taken meanwhile)."""
    steps = []
    if leftovers:
        steps.append(
            Step(
                say("drop leftovers"),
                say(
                    "drop scratch databases left by an interrupted restore or drill: {names}",
                    names=", ".join(leftovers),
                ),
            )
        )
    if mode != "swap":
        steps.append(
            Step(
                say("stop writes"),
                say(
                    "make new sessions of {target} read-only and end the app's sessions, "
                    "so every write committed before is in the safety backup and later ones are refused "
                    "(readers go on reading)",
                    target=repr(target),
                ),
            )
        )
    if safety and not alongside:
        steps.append(
            Step(
                say("safety backup"),
                say(
                    "back up the current {target} into the safety tier (restores keep the newest few, [restore] keep)",
                    target=repr(target),
                ),
            )
        )
    if mode == "swap":
        scratch, pre = scratch_name(target, stamp), pre_restore_name(target, stamp)
        steps += [
            Step(
                say("create scratch"),
                say(
                    "create {scratch} with the owner, grants and settings of {target}",
                    scratch=repr(scratch),
                    target=repr(target),
                ),
            ),
            Step(say("load"), _load_detail(target, scratch, jobs, alongside)),
            Step(
                say("validate"),
                say("before the load commits, check every table's row count against the dump's")
                if jobs <= 1
                else say(
                    "once loaded, check every table's row count against the dump's (a mismatch stops before the swap)"
                ),
            ),
        ]
        if alongside:
            steps.append(
                Step(
                    say("safety backup"),
                    say(
                        "wait until the safety backup of {target}, taken alongside the load into the safety "
                        "tier, is complete and checked; if it fails the restore stops here, before the swap",
                        target=repr(target),
                    ),
                )
            )
        steps += [
            Step(
                say("swap"),
                say(
                    "block new connections to {target} ({seconds} s at most, journaled), end its "
                    "sessions, rename it to {pre}, rename {scratch} to {target}",
                    target=repr(target),
                    seconds=f"{LOCKOUT:.0f}",
                    pre=repr(pre),
                    scratch=repr(scratch),
                ),
            ),
        ]
    else:
        steps += [
            Step(
                say("load in place"),
                say(
                    "in one transaction: drop {drops}, then load the archive; readers wait from the drop to the "
                    "commit; any error rolls everything back",
                    drops=drops or say("every schema, large object, publication and event trigger"),
                ),
            ),
            Step(say("validate"), say("check every table's row count against the dump's before committing")),
            Step(
                say("allow writes"),
                say(
                    "put back the settings {target} had of its own, end the read-only "
                    "sessions, so the app reconnects and writes",
                    target=repr(target),
                ),
            ),
        ]
    return steps


def _load_detail(target: str, scratch: str, jobs: int, alongside: bool) -> str:
    if jobs <= 1:
        return say("stream the archive into {scratch} in one transaction (psql ON_ERROR_STOP)", scratch=repr(scratch))
    if alongside:
        return say(
            "stream the archive into {scratch} over {jobs} connections (schema, then data, indexes and "
            "constraints in parallel; only the swap makes it live); meanwhile, the safety backup of {target}",
            scratch=repr(scratch),
            jobs=jobs,
            target=repr(target),
        )
    return say(
        "stream the archive into {scratch} over {jobs} connections (schema, then data, indexes and "
        "constraints in parallel; only the swap makes it live)",
        scratch=repr(scratch),
        jobs=jobs,
    )


def free_stamp(db: str, taken: set[str] | list[str] | tuple[str, ...], now: datetime | None = None) -> str:
    """A stamp whose scratch and pre-restore names are both unused (two runs in one second differ)."""
    when = (now or datetime.now()).replace(microsecond=0)
    while scratch_name(db, new_stamp(when)) in taken or pre_restore_name(db, new_stamp(when)) in taken:
        when += timedelta(seconds=1)
    return new_stamp(when)
