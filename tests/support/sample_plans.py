"""Fixed restore and seed results, built with the engines' own types, for snapshots and screenshots.

The restore wizard and the seed screen show what ``core.restore`` and ``core.seed``
return.  Against a live server those carry ports, times and random cuids, so
screenshots would change on every run; here the same dataclasses are made from fixed
values: the restore plan's steps come from ``core.restore.plan.steps_for`` and the
seed plan from ``core.seed.decide`` (the pure decision) over a fixed ``Snapshot``
holding a tenant that exists, a branch whose phone changed, a service whose price
changed, a client whose phone another client took, and hours and appointments that
are already there, so every status shows.  ``stage_*`` put a screen in one step.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from citaplanner_tui.core.events import Progress
from citaplanner_tui.core.logs.lines import LogRecord
from citaplanner_tui.core.restore import Check, Outcome, RestorePlan
from citaplanner_tui.core.restore.plan import new_stamp, steps_for
from citaplanner_tui.core.seed import Snapshot, decide
from citaplanner_tui.core.seed import data as seed_data
from tests.support.sample import settle

TARGET = "citaplanner"
SERVER = "citaplanner@db.example:5432/citaplanner"
BACKUP_DIR = "/var/backups/citaplanner"  # shown in the outcome, whatever folder the sample sits in
# No server listens there: the seed screen's own load fails at once, then shows the sample plan.
UNREACHABLE_URL = "postgresql://citaplanner@/citaplanner?host=/nonexistent-citaplanner-socket"
# The row counts of a small CitaPlanner database, per table as pg_dump names them.
ROWS = {
    "public.tenants": 1,
    "public.branches": 2,
    "public.users": 9,
    "public.services": 12,
    "public.service_users": 14,
    "public.clients": 4211,
    "public.working_hours": 12,
    "public.appointments": 18734,
    "public.payments": 9102,
    "public.notification_templates": 10,
}


def restore_plan(archive: Path, now: datetime) -> RestorePlan:
    """A swap-mode plan for ``archive`` whose checks all pass, one with a warning."""
    stamp = new_stamp(now)
    checks = [
        Check("checksum", True, "matches its .sha256 sidecar"),
        Check("deep verify", True, f"decompressed to the end: 10 tables, {sum(ROWS.values())} rows, trailer present"),
        Check("target", True, f"{TARGET!r} on PostgreSQL 18.1, owned by citaplanner"),
        Check("rights", True, "role 'citaplanner' may create databases and owns 'citaplanner''s database: swap mode"),
        Check("client", True, "psql 18.1 in /usr/lib/postgresql/18/bin (same major as the server)"),
        Check("space", True, "41.0 GiB free on the backup volume, the safety backup needs about 200.0 KiB"),
        Check(
            "sessions", True, f"3 other session(s) connected to {TARGET!r} will be ended at the swap", blocking=False
        ),
        Check("lock", True, "no backup or restore is running"),
    ]
    return RestorePlan(
        archive=Path(archive),
        archive_size=Path(archive).stat().st_size,
        target=TARGET,
        server=SERVER,
        mode="swap",
        stamp=stamp,
        owner="citaplanner",
        target_version="18.1",
        source_version="18.1",
        pg_dump_version="18.1",
        client="psql 18.1",
        sessions=3,
        rows=dict(ROWS),
        checks=checks,
        steps=steps_for("swap", TARGET, stamp),
    )


# Rows the app wrote after the backup was taken: the parked copy has them (the outcome says so).
PARKED_DIFFERENCES = {"public.appointments": 14, "public.payments": 6}


def restore_outcome(plan: RestorePlan) -> Outcome:
    safety = Path(BACKUP_DIR) / "safety" / f"citaplanner_safety_{plan.stamp[:8]}_{plan.stamp[8:]}.sql.zst"
    return Outcome(
        plan.target,
        plan.mode,
        str(plan.archive),
        str(safety),
        plan.pre_restore,
        dict(plan.rows),
        seconds=48.3,
        swap_attempts=1,
        parked_differences=PARKED_DIFFERENCES,
    )


# What ``core.restore`` logs for a swap, copied from a real run; test_tui_sample.py runs a real
# swap and checks that the engine still writes exactly these lines.  (seconds in, level, message)
SWAP_LOG = (
    (0, "INFO", "restore of {archive_path} into {target!r} on {server} (swap mode) started"),
    (9, "OK", "safety backup of {target!r}: {safety}"),
    (9, "INFO", "created {scratch!r} owned by {owner}, with the encoding and locale of {target!r}"),
    (
        41,
        "OK",
        "loaded {archive} into {scratch!r}; every table holds the dump's row count ({tables} tables, {rows} rows)",
    ),
    (44, "INFO", "new connections to {target!r} are refused from now on"),
    (45, "OK", "{scratch!r} is now {target!r}; the previous database is kept as {parked!r}"),
    (48, "OK", "restore of {archive} into {target!r} done in {seconds:.1f} s; {undo}"),
)
SWAP_LOG_BEFORE_LOAD = 3  # the lines written before the load finishes


def swap_log_messages(plan: RestorePlan, outcome: Outcome) -> list[tuple[str, str]]:
    """``SWAP_LOG`` filled in with ``plan``'s and ``outcome``'s names and numbers."""
    values = dict(
        archive_path=plan.archive,
        archive=plan.archive.name,
        target=plan.target,
        server=plan.server,
        safety=outcome.safety_backup,
        scratch=plan.scratch,
        owner=plan.owner,
        parked=plan.pre_restore,
        tables=len(outcome.rows),
        rows=sum(outcome.rows.values()),
        seconds=outcome.seconds,
        undo=outcome.undo,
    )
    return [(level, message.format(**values)) for _, level, message in SWAP_LOG]


def restore_log(plan: RestorePlan, now: datetime, *, finished: bool) -> list[LogRecord]:
    """The lines the engine writes for a swap restore (``SWAP_LOG``), up to the load or to the end."""
    shown = replace(plan, archive=Path(BACKUP_DIR) / plan.archive.parent.name / plan.archive.name)  # not tmp
    lines = [
        LogRecord(now + timedelta(seconds=at), level, message)
        for (at, _, _), (level, message) in zip(SWAP_LOG, swap_log_messages(shown, restore_outcome(plan)))
    ]
    return lines if finished else lines[:SWAP_LOG_BEFORE_LOAD]


def seed_plan(now: datetime):
    """``core.seed.decide`` over a fixed snapshot in which every status occurs."""
    tenant = {"id": "cm3tenant000000000000001", **seed_data.TENANT_ROW, "timezone": "America/Mexico_City"}
    branch = {"id": "cm3branch000000000000001", **seed_data.BRANCH_ROW, "phone": "+52 55 8765 4321"}
    users = {
        u.email: {
            "id": f"cm3user00000000000000{i:03d}",
            "email": u.email,
            "firstName": u.first_name,
            "lastName": u.last_name,
            "role": u.role,
            "phone": u.phone,
            "tenantId": tenant["id"],
            "branchId": branch["id"],
        }
        for i, u in enumerate(seed_data.USERS[:3])
    }
    first = seed_data.SERVICES[0]
    services = {
        first.name: {
            "id": "cm3service00000000000001",
            "name": first.name,
            "description": first.description,
            "duration": first.duration,
            "price": first.price + 150.0,
            "color": first.color,
        }
    }
    taken = seed_data.CLIENTS[1]
    holder = {
        "id": "cm3client00000000000042",
        "firstName": taken.first_name,
        "lastName": taken.last_name,
        "email": "d.hernandez@otro-correo.mx",
        "phone": taken.phone,
        "address": None,
        "notes": None,
    }
    snapshot = Snapshot(
        tenant=tenant,
        tenant_count=1,
        branch=branch,
        branch_hours=6,
        users=users,
        services=services,
        clients_by_phone={taken.phone: holder},
        tenant_has_appointments=True,
    )
    return decide(snapshot, now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now)


def load_progress(plan: RestorePlan) -> Progress:
    """Half-way through the load, 30 s after the start, the load having begun at 9 s."""
    return Progress("load", plan.archive_size // 2, plan.archive_size, "", elapsed=30.0)


# -- put a screen in one step (snapshots, screenshots) ---------------------------------------
def stage_restore(wizard, step: str, plan: RestorePlan, now: datetime) -> None:
    """Show ``step`` of the restore wizard with the sample plan (``pick`` needs nothing)."""
    from citaplanner_tui.tui.screens.restore.outcome import OutcomeStep, outcome_lines
    from citaplanner_tui.tui.screens.restore.preflight import PreflightStep
    from citaplanner_tui.tui.screens.restore.progress import ProgressStep
    from citaplanner_tui.tui.widgets.run_log import RunLog

    if step == "pick":
        return
    wizard.plan = plan
    wizard.query_one(PreflightStep).show(plan)
    wizard.go("preflight")
    if step == "preflight":
        return
    wizard.action_next()
    if step in ("plan", "confirm"):
        if step == "confirm":
            wizard.action_restore()
        return
    log = wizard.query_one(RunLog)
    progress = wizard.query_one(ProgressStep)
    progress.start(plan)
    finished = step == "outcome"
    for record in restore_log(plan, now, finished=finished):
        log.add(record)
    if finished:
        progress.show(plan.steps, len(plan.steps), None, 0.0, finished=True)
        wizard.query_one(OutcomeStep).show(outcome_lines(restore_outcome(plan)))
    else:
        progress.show(plan.steps, 2, load_progress(plan), 9.0)
    wizard.go(step)


def _restore_stage(step: str, keys: tuple[str, ...] = ()):
    async def stage(pilot, now: datetime) -> None:
        app = pilot.app
        archive = app.data.catalog.backups("daily")[1].path  # not the newest: the preselection shows
        app.open_restore(archive)
        await settle(pilot)
        stage_restore(app.screen, step, restore_plan(archive, now), now)
        await settle(pilot)
        if keys:  # typed into the confirmation, which has the focus
            await pilot.press(*keys)
            await settle(pilot)

    return stage


async def _rollback_stage(pilot, now: datetime) -> None:
    """``U`` after a restore stamped at ``now``, then a name one letter short and Enter: the refusal."""
    from citaplanner_tui.core.restore.plan import new_stamp, pre_restore_name
    from citaplanner_tui.tui.data import Rollback

    app = pilot.app
    app.data = replace(app.data, rollback=Rollback("citaplanner", pre_restore_name("citaplanner", new_stamp(now))))
    app.refresh_bindings()
    await settle(pilot)
    await pilot.press("U", *"citaplanne", "enter")
    await settle(pilot)


def _seed_stage(*keys: str):
    async def stage(pilot, now: datetime) -> None:
        app = pilot.app
        app.settings = replace(app.settings, database_url=UNREACHABLE_URL)  # names the database
        await pilot.press("S")
        await settle(pilot)
        app.screen.show_plan(seed_plan(now))
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
        await settle(pilot)

    return stage


SAMPLE_STAGES = {
    "restore_pick": _restore_stage("pick"),
    "restore_preflight": _restore_stage("preflight"),
    "restore_plan": _restore_stage("plan"),
    "restore_confirm": _restore_stage("confirm", tuple("citaplan")),
    "restore_progress": _restore_stage("progress"),
    "restore_outcome": _restore_stage("outcome"),
    "rollback_refused": _rollback_stage,
    "seed": _seed_stage("down", "down"),
    "seed_conflicts": _seed_stage("4"),
    "seed_differs": _seed_stage("3", "down"),
}
"""Screens reached by staging (``stage(pilot, now)`` after the console settled)."""
