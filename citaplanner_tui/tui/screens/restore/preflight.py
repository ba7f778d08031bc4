"""Wizard step 2: pre-flight, run by the engine in a worker; each check as OK, NOTE, WARN or FAIL.

``core.restore.preflight`` reads the archive end to end (a deep verify) and asks the
server about the target, the role's rights, the client tools, free space and the
lock; it changes nothing.  This step shows its progress while it runs, then every
check with the core's word: FAIL blocks the restore, WARN and NOTE do not but deserve a look.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ProgressBar, Static

from citaplanner_tui.core.i18n import _, ngettext, shown
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.screens.restore.rows import Rows

if TYPE_CHECKING:
    from citaplanner_tui.core.events import Progress
    from citaplanner_tui.core.restore.plan import RestorePlan


def check_rows(plan: RestorePlan) -> list[tuple[str, str]]:
    """Content markup: per check, the core's word (``Check.word``, as the CLI prints it) and its name,
    then its detail."""
    return [(f"{fmt.health(c.word)}  {escape(_(c.name))}", escape(shown(c.detail))) for c in plan.checks]


def verdict(plan: RestorePlan) -> str:
    fails = len(plan.problems)
    if fails:
        return (
            "[b]"
            + ngettext("{n} check FAIL", "{n} checks FAIL", fails).format(n=fails)
            + "[/]: "
            + _("the restore cannot run until fixed. Enter shows the plan anyway; Esc goes back to the list.")
        )
    advisory = [c.word for c in plan.checks if c.word in ("WARN", "NOTE")]
    counted = ", ".join(f"{advisory.count(w)} {w}" for w in ("WARN", "NOTE") if w in advisory)
    note = _(" ({counted}: read them first)").format(counted=counted) if counted else ""
    return _("Every blocking check passed{note}. Enter shows the plan, step by step.").format(note=note)


class PreflightStep(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(id="preflight-title", classes="step-hint")
        yield ProgressBar(show_eta=False, id="preflight-bar")
        yield Static(id="preflight-status", classes="step-note")
        with VerticalScroll(id="preflight-scroll"):
            yield Rows(19, id="preflight-checks")
        yield Static(id="preflight-verdict")

    def running(self, archive_name: str, target: str, progress: Progress | None) -> None:
        """While the engine works: what it is reading or asking, and how far it got."""
        self.query_one("#preflight-title", Static).update(
            escape(
                _(
                    "Pre-flight of {archive} for {target}: reading it end to end and asking "
                    "the server; nothing is changed."
                ).format(archive=archive_name, target=repr(target))
            )
        )
        bar = self.query_one("#preflight-bar", ProgressBar)
        bar.display = True
        if progress is not None and progress.phase == "verify":
            bar.update(total=progress.total or None, progress=progress.done)
            line = _("read {size}").format(size=fmt.size(progress.done)) + (
                _(" of {size}").format(size=fmt.size(progress.total)) if progress.total else ""
            )
        else:
            line = shown(progress.message) if progress is not None and progress.message else _("starting…")
        self.query_one("#preflight-status", Static).update(escape(line))
        self.query_one(Rows).set([])
        self.query_one("#preflight-verdict", Static).update("")

    def downloading(self, spec: str, progress: Progress | None) -> None:
        """While a backup picked on an off-site target comes down (``core.offsite.pull``)."""
        target, _sep, rel = spec.partition(":")
        self.query_one("#preflight-title", Static).update(
            escape(
                _("Downloading {rel} from {target}; it is checked against its sidecar, then pre-flight runs.").format(
                    rel=rel, target=target
                )
            )
        )
        bar = self.query_one("#preflight-bar", ProgressBar)
        bar.display = True
        if progress is not None and progress.total:
            bar.update(total=progress.total, progress=progress.done)
        line = _("starting…") if progress is None else _("downloaded {size}").format(size=fmt.size(progress.done))
        if progress is not None and progress.total:
            line += _(" of {size} · {rate}").format(size=fmt.size(progress.total), rate=fmt.rate(progress.rate))
        self.query_one("#preflight-status", Static).update(escape(line))
        self.query_one(Rows).set([])
        self.query_one("#preflight-verdict", Static).update("")

    def show(self, plan: RestorePlan) -> None:
        """The engine's checks, in its order."""
        self.query_one("#preflight-title", Static).update(
            escape(
                _("Pre-flight of {archive} for {target} on {server}").format(
                    archive=plan.archive.name, target=repr(plan.target), server=plan.server
                )
            )
        )
        self.query_one("#preflight-bar", ProgressBar).display = False
        self.query_one("#preflight-status", Static).update("")
        self.query_one(Rows).set(check_rows(plan))
        self.query_one("#preflight-verdict", Static).update(verdict(plan))

    def failed(self, sentence: str) -> None:
        self.query_one("#preflight-bar", ProgressBar).display = False
        self.query_one("#preflight-status", Static).update(f"{fmt.health('FAIL')} {escape(shown(sentence))}")
        self.query_one("#preflight-verdict", Static).update(_("Esc goes back to the list."))
