"""The off-site pane: per target, what it holds and how far behind the volume it is.

It renders the core's ``core.offsite.report.TargetReport`` objects (``app.data.report.offsite``,
asked in a worker after the local load, ``app._ask_offsite``) and never talks to S3 itself.
Each target leads with the core's health word for it (the worst of its checks), then the
newest backup there, its lag behind the volume, object lock, what is not pushed yet, the
last push and its error, and the reason of every check that is not OK.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import TYPE_CHECKING

from citaplanner_tui.core.i18n import N_, _, ngettext, shown
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.widgets.panes import Pane, pack

if TYPE_CHECKING:
    from citaplanner_tui.core.offsite.report import TargetReport
    from citaplanner_tui.tui.data import DashboardData

NOT_CONFIGURED = N_("no off-site targets: add an [[offsite]] table (name, url) to the config file")


def escape(text: str) -> str:
    """``text`` shown as it is: every ``[`` escaped (rich's ``escape`` leaves the first of ``[[``, which
    Textual then draws with its backslash)."""
    return text.replace("[", "\\[")


def target_lines(t: TargetReport, now: datetime, width: int) -> list[str]:
    """Content markup for one ``TargetReport``: a head line, then indented facts and reasons."""
    from citaplanner_tui.core.report.health import hours, overall

    word = overall(t.checks).word
    lock = _("object lock {days} d").format(days=t.object_lock_days) if t.object_lock_days else _("no object lock")
    lines = [f"{fmt.health(word)} [b]{escape(t.name)}[/] {escape(t.target.url)} · {lock}"]
    indent = "     "
    if t.problem:
        return lines + [indent + escape(shown(t.problem))]
    newest = t.newest_any
    cells = [
        _("newest {when} ({age} ago)").format(when=f"{newest.when:%m-%d %H:%M}", age=fmt.short_age(newest.when, now))
        if newest
        else _("newest: none"),
        _("lag -") if t.lag_hours is None else _("lag {hours}").format(hours=hours(t.lag_hours)),
        _("{n} not pushed").format(n=t.missing) if t.missing else _("all pushed"),
        ngettext("{n} backup {size}", "{n} backups {size}", t.backups).format(n=t.backups, size=fmt.size(t.size)),
    ]
    push = t.last_push
    if push is None:
        cells.append(_("never pushed"))
    else:
        said = _("last push {when} ok") if push.ok else _("last push {when} FAILED")
        cells.append(said.format(when=f"{push.at:%m-%d %H:%M}"))
    lines += pack(cells, width - len(indent), indent, indent)
    if t.last_error:
        lines += hanging(indent, _("last error: {error}").format(error=shown(t.last_error)), width)
    for h in t.checks:
        if h.reason and not (t.last_error and t.last_error in h.reason):
            lines += hanging(indent + fmt.health(h.word) + " ", shown(h.reason), width, len(indent) + 5)
    return lines


def hanging(prefix: str, text: str, width: int, lead: int | None = None) -> list[str]:
    """``text`` wrapped under its first character (``prefix`` is markup ``lead`` cells wide), not under the border."""
    lead = len(prefix) if lead is None else lead
    pieces = textwrap.wrap(text, max(20, width - lead)) or [""]
    return [(prefix if i == 0 else " " * lead) + escape(piece) for i, piece in enumerate(pieces)]


class OffsitePane(Pane):
    """Every ``[[offsite]]`` target, or the one line saying none is configured and how to add one."""

    TITLE = N_("Off-site targets")

    def render_data(self, data: DashboardData) -> str:
        if not self.app.settings.offsite:
            return escape(_(NOT_CONFIGURED))
        if not data.offsite_known:
            names = ", ".join(t.name for t in self.app.settings.offsite)
            return escape(_("asking the off-site targets ({names})…").format(names=names))
        lines: list[str] = []
        for t in data.report.offsite:
            lines += target_lines(t, data.now, self.width)
        return "\n".join(lines)
