"""Wizard step 5: the restore running, phase by phase, with bytes, rate and time left.

The engine reports phases (``safety backup``, the backup's own ``dump``..., ``load``,
``validate``, ``swap``) through its Reporter; they are matched to the plan's steps so
the operator sees which step runs, which are done and which wait, as words.  Rates
and time left are per phase: the Reporter's clock starts with the job, and the load
should not look slow because the safety backup came first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from citaplanner_tui.core.i18n import _, shown
from citaplanner_tui.tui import format as fmt

if TYPE_CHECKING:
    from citaplanner_tui.core.events import Progress
    from citaplanner_tui.core.restore.plan import RestorePlan, Step

# Engine phases, by the plan step they belong to; any other phase (the safety backup's
# own connect/dump/finish/done) belongs to the step that is running.
PHASE_STEP = {
    "stop writes": "stop writes",
    "safety backup": "safety backup",
    "load": "load",
    "validate": "validate",
    "swap": "swap",
    "allow writes": "allow writes",
}


def step_of(steps: Sequence[Step], phase: str, current: int) -> int:
    """Index in ``steps`` of the step an engine phase belongs to (``current`` if unknown)."""
    name = PHASE_STEP.get(phase)
    if name is None:
        return current
    for i, step in enumerate(steps):
        if step.name == name or (name == "load" and step.name == "load in place"):
            return i
    return current


def step_lines(steps: Sequence[Step], current: int, *, finished: bool = False, failed: bool = False) -> list[str]:
    """Each step with a word: done, running (FAILED/stopped at the failing one), waiting."""
    lines = []
    for i, step in enumerate(steps):
        if finished or i < current:
            word = f"[b $success]{_('done'):<7}[/]"
        elif i == current:
            word = f"[b reverse $error]{_('FAILED'):<7}[/]" if failed else f"[b $accent]{_('running'):<7}[/]"
        else:
            word = f"[dim]{_('waiting'):<7}[/]"
        lines.append(f"{word} {i + 1}. {escape(shown(step.name))}")
    return lines


def stats_line(progress: Progress | None, phase_started: float) -> str:
    """``load 12.0 MiB of 40.0 MiB · 4.0 MiB/s · 0:07 left`` (rate and ETA of this phase)."""
    if progress is None:
        return _("starting…")
    seconds = max(0.0, progress.elapsed - phase_started)
    rate = progress.done / seconds if seconds > 0 and progress.done else None
    parts = [progress.phase]
    if progress.done or progress.total:
        parts.append(
            fmt.size(progress.done) + (_(" of {size}").format(size=fmt.size(progress.total)) if progress.total else "")
        )
        parts.append(fmt.rate(rate))
        if rate and progress.total:
            parts.append(_("{time} left").format(time=fmt.seconds(max(0, progress.total - progress.done) / rate)))
    if progress.message:
        parts.append(shown(progress.message))
    return " · ".join(parts)


class ProgressStep(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(id="progress-title", classes="step-hint")
        yield Static(id="progress-steps")
        yield ProgressBar(show_eta=False, id="progress-bar")
        yield Static(id="progress-stats", classes="step-note")

    def start(self, plan: RestorePlan) -> None:
        self.query_one("#progress-title", Static).update(
            escape(
                _("Restoring {archive} into {target} ({mode} mode). c cancels safely until the swap starts.").format(
                    archive=plan.archive.name, target=repr(plan.target), mode=plan.mode
                )
            )
        )
        self.show(plan.steps, 0, None, 0.0)

    def show(
        self,
        steps: Sequence[Step],
        current: int,
        progress: Progress | None,
        phase_started: float,
        *,
        finished: bool = False,
        failed: bool = False,
    ) -> None:
        self.query_one("#progress-steps", Static).update(
            "\n".join(step_lines(steps, current, finished=finished, failed=failed))
        )
        bar = self.query_one(ProgressBar)
        if finished:
            bar.update(total=100, progress=100)
        elif progress is not None and progress.total:
            bar.update(total=progress.total, progress=progress.done)
        else:
            bar.update(total=None)
        self.query_one("#progress-stats", Static).update(escape(stats_line(progress, phase_started)))

    def note(self, text: str) -> None:
        self.query_one("#progress-stats", Static).update(text)
