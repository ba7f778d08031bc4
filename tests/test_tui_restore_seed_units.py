"""The wizard's and the seed screen's pure text decisions, without a terminal or a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from textual.content import Content

from citaplanner_tui.cli.restore import render_plan
from citaplanner_tui.core.events import Progress
from citaplanner_tui.core.restore import Check, Outcome, RollbackOutcome
from citaplanner_tui.core.restore.plan import steps_for
from citaplanner_tui.core.seed import Status
import tests.support.sample_plans as sample_plans
from citaplanner_tui.tui.screens.restore.outcome import outcome_lines, rollback_lines
from citaplanner_tui.tui.screens.restore.plan import plan_foot
from citaplanner_tui.tui.screens.restore.preflight import check_rows, verdict
from citaplanner_tui.tui.screens.restore.progress import stats_line, step_lines, step_of
from citaplanner_tui.tui.screens.seed import detail_lines, summary_line

NOW = datetime(2026, 11, 27, 12, 0, 0)


def plan(tmp_path, **changes):
    archive = tmp_path / "citaplanner_manual_20261127_090000.sql.gz"
    archive.write_bytes(b"x" * 1000)
    return replace(sample_plans.restore_plan(archive, NOW), **changes)


def test_check_words_are_the_clis(tmp_path):
    """One word per check, decided in the core: the console's pre-flight reads what ``restore --plan`` prints."""
    checks = [
        Check("lock", True, "free"),
        Check("space", False, "full"),
        Check("checksum", True, "no sidecar", blocking=False),
        Check("versions", False, "newer", blocking=False),
    ]
    p = replace(plan(tmp_path), checks=checks)
    cli_words = [
        line.split()[0]
        for line in render_plan(p).splitlines()
        if line.startswith("  ") and line.split()[-1] in ("free", "full", "sidecar", "newer")
    ]
    console_words = [Content.from_markup(word).plain.split()[0] for word, _ in check_rows(p)]
    assert cli_words == console_words == ["OK", "FAIL", "NOTE", "WARN"]


def test_verdict_and_foot_follow_the_blocking_checks(tmp_path):
    good = plan(tmp_path)
    assert "Every blocking check passed (1 NOTE" in verdict(good)
    assert "Enter (or R) restores" in plan_foot(good) and "citaplanner" in plan_foot(good)
    assert "READ-ONLY" in plan_foot(good, read_only=True)
    bad = replace(good, checks=[*good.checks, Check("space", False, "full"), Check("lock", False, "busy")])
    assert "2 checks FAIL" in verdict(bad)
    assert "will not run" in plan_foot(bad)


def test_engine_phases_map_to_plan_steps():
    swap = steps_for("swap", "db", "20261127120000", leftovers=["db__restore_1"])
    names = [s.name for s in swap]
    assert names == ["drop leftovers", "safety backup", "create scratch", "load", "validate", "swap"]
    assert step_of(swap, "safety backup", 0) == 1
    assert step_of(swap, "dump", 1) == 1  # the safety backup's own phases stay on its step
    assert step_of(swap, "load", 1) == 3 and step_of(swap, "validate", 3) == 4 and step_of(swap, "swap", 4) == 5
    inplace = steps_for("in-place", "db", "20261127120000")
    assert step_of(inplace, "load", 0) == [s.name for s in inplace].index("load in place")
    lines = step_lines(swap, 3)
    assert ["done" in line for line in lines] == [True, True, True, False, False, False]
    assert "running" in lines[3] and "waiting" in lines[4]
    assert "FAILED" in step_lines(swap, 3, failed=True)[3]
    assert all("done" in line for line in step_lines(swap, 3, finished=True))


def test_rate_and_time_left_are_per_phase():
    # 30 s since the job started, the load began at 10 s: 20 MiB in 20 s is 1 MiB/s, 20 s left.
    line = stats_line(Progress("load", 20 * 2**20, 40 * 2**20, "", 30.0), 10.0)
    assert line == "load · 20.0 MiB of 40.0 MiB · 1.0 MiB/s · 0:20 left"
    assert (
        stats_line(Progress("validate", message="counting rows per table", elapsed=31.0), 31.0)
        == "validate · counting rows per table"
    )
    assert stats_line(None, 0.0) == "starting…"


def test_outcome_says_what_was_kept(tmp_path):
    p = plan(tmp_path)
    outcome = sample_plans.restore_outcome(p)
    swap = outcome_lines(outcome, width=76)
    text = "\n".join(swap)
    assert swap[0].startswith("[bold $success]OK  [/] restored")
    assert p.pre_restore in text and "safety/" in text and "U rolls back" in text
    tables = [line for line in swap if line.startswith("  ")]
    assert all(len(line) <= 76 for line in tables) and len(tables) <= 3  # 10 tables fit at 80x24
    assert sum(line.count(" · ") + 1 for line in tables) == len(outcome.rows)
    inplace = Outcome("citaplanner", "in-place", str(p.archive), "/b/safety/x.sql.gz", None, {"public.t": 3})
    text = "\n".join(outcome_lines(inplace))
    assert "No rollback in in-place mode" in text and "safety/x.sql.gz" in text
    done = RollbackOutcome("citaplanner", p.pre_restore, "citaplanner__pre_restore_20261127130000", 1)
    assert rollback_lines(done)[0].startswith("[bold $success]OK  [/] rolled back")
    assert "U rolls back" not in "\n".join(outcome_lines(outcome, rolled_back=True))


def test_seed_sample_has_every_status_and_details_explain_them():
    seed = sample_plans.seed_plan(datetime(2026, 11, 27, 12, tzinfo=timezone.utc))
    counts = seed.counts
    assert all(counts[s] for s in Status), counts
    by_status = {s: next(i for i in seed.items if i.status is s) for s in Status}
    service = next(i for i in seed.items if i.status is Status.DIFFERS and i.kind == "service")
    assert detail_lines(service)[1] == "  price: database 1000.0 · seed 850.0"
    assert "cm3client00000000000042" in "\n".join(detail_lines(by_status[Status.CONFLICT]))
    assert "already" in "\n".join(detail_lines(by_status[Status.SKIP]))
    assert "matches the seed" in detail_lines(by_status[Status.EXISTS])[0]
    assert "apply inserts it" in detail_lines(by_status[Status.CREATE])[0]
    header = summary_line(seed, "citaplanner", Status.CONFLICT)
    for status, n in counts.items():
        assert f"{n} [" in header and status.value in header
    assert "showing CONFLICT only" in header


def test_run_reads_only_its_own_complete_log_lines(tmp_path):
    from citaplanner_tui.core.logs.writer import Log, log_path
    from citaplanner_tui.tui.screens.restore.wizard import Run

    log = Log(tmp_path, "restore")
    log.info("an earlier restore")
    run = Run(plan=None, log_dir=tmp_path)
    run.start_log()
    log.info("restore started")
    with open(log_path(tmp_path, "restore", datetime.now()), "a") as fh:
        fh.write("[2026-11-27 12:00:01] OK half a li")  # the engine is still writing this line
    run.read_log()
    assert [(r.level, r.message) for r in run.records] == [("INFO", "restore started")]
    with open(log_path(tmp_path, "restore", datetime.now()), "a") as fh:
        fh.write("ne\n")
    log.warn("done")
    run.read_log()
    assert [(r.level, r.message) for r in run.records] == [
        ("INFO", "restore started"),
        ("OK", "half a line"),
        ("WARN", "done"),
    ]


def test_rollback_dialog_says_what_it_swaps_and_when_the_restore_happened():
    from citaplanner_tui.tui.rollback import restored_at, rollback_dialog

    parked = "citaplanner__pre_restore_20261127120500"
    assert restored_at(parked) == datetime(2026, 11, 27, 12, 5, 0)
    assert restored_at("citaplanner_old") is None
    dialog = rollback_dialog("citaplanner", parked)
    assert dialog.expected == "citaplanner" and "restore at 2026-11-27 12:05:00" in dialog.title_text
    steps = "\n".join(dialog.steps)
    assert f"rename {parked!r}" in steps and "back to 'citaplanner'" in steps and "kept" in steps


def test_after_a_rollback_the_dialog_says_it_undoes_that_rollback_not_a_restore():
    """The parked copy of a rollback holds the restored data: "before the restore" was the opposite."""
    from citaplanner_tui.tui.rollback import rollback_dialog

    parked = "citaplanner__pre_restore_20261127092302"  # named by the rollback's swap
    dialog = rollback_dialog("citaplanner", parked, "rollback", datetime(2026, 11, 27, 9, 23, 2))
    assert dialog.title_text == (
        "Undo the rollback at 2026-11-27 09:23:02: put the restored data back into 'citaplanner'?"
    )
    steps = "\n".join(dialog.steps)
    assert "before that restore" not in steps and "restored data that rollback set aside" in steps
    assert f"rename {parked!r}" in steps and "back to 'citaplanner'" in steps
    restored = rollback_dialog("citaplanner", parked, "restore", datetime(2026, 11, 27, 9, 20, 0))
    assert "before the restore at 2026-11-27 09:20:00" in restored.title_text  # the record's time wins
