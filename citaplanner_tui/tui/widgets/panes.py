"""The dashboard's panes: each renders one part of ``app.data`` and nothing else.

Panes watch the app's ``data`` reactive (set on the event loop when a refresh
worker finishes), so they never load anything themselves.  Text is plain content
markup: health words carry the meaning, colours are theme variables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from textual.widgets import Static

from citaplanner_tui.core.i18n import N_, _, ngettext, shown
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.node import ConsoleNode

if TYPE_CHECKING:
    from citaplanner_tui.tui.data import DashboardData


def pack(cells: list[str], width: int, first_prefix: str = "", prefix: str = "") -> list[str]:
    """Lay ``cells`` out on lines of at most ``width`` cells, never splitting one.

    ``first_prefix``/``prefix`` are content markup whose visible width is 5 (a health word).
    """
    lines, line = [], ""
    for cell in cells:
        joined = f"{line} · {cell}" if line else cell
        if line and len(joined) + 5 * bool(first_prefix or prefix) > width:
            lines.append(line)
            line = cell
        else:
            line = joined
    if line:
        lines.append(line)
    return [(first_prefix if i == 0 else prefix) + escape(text) for i, text in enumerate(lines)]


class Pane(ConsoleNode, Static):
    """A bordered pane that redraws whenever the app's data changes (or its width does)."""

    TITLE = ""
    _loading = False  # shows "loading…": the first layout's resize need not lay the screen out again

    def on_mount(self) -> None:
        self.border_title = _(self.TITLE)
        self.watch(self.app, "data", self._redraw, init=True)

    def on_resize(self) -> None:
        self._redraw(self.app.data)

    @property
    def width(self) -> int:
        return self.content_size.width or 30

    def _redraw(self, data: DashboardData | None) -> None:
        if data is None and self._loading:  # an update lays the screen out again, whatever the text
            return
        self._loading = data is None
        self.update(_("loading…") if data is None else self.render_data(data))

    def render_data(self, data: DashboardData) -> str:
        raise NotImplementedError


class TiersPane(Pane):
    """Per tier: health, newest good backup and its age, count, total size.

    A tier's reason for WARN or FAIL is on the problems line above (``ProblemsLine``).
    """

    TITLE = N_("Backups by tier")

    def render_data(self, data: DashboardData) -> str:
        """Columns as wide as their words: Spanish ages (``hace 10 horas``) are longer, its header shorter."""
        now = data.now
        rows = [
            (_(t.tier), t.health.word, fmt.age(t.newest_good.taken_at if t.newest_good else None, now), t)
            for t in data.report.tiers  # core.report.status.TierStatus
        ]
        tier_w = max([8] + [len(tier) + 1 for tier, *_rest in rows])
        health_w = max(5, len(_("Health")) + 1)  # a health word is 4 cells
        age_w = max([12] + [len(age) for _tier, _word, age, _t in rows])
        lines = [
            f"[b]{_('Tier'):<{tier_w}}{_('Health'):<{health_w}}{_('Newest good'):<{age_w}}{'#':>3} {_('Size'):>9}[/]"
        ]
        for tier, word, age, t in rows:
            lines.append(
                f"{tier:<{tier_w}}{fmt.health(word)}{' ' * (health_w - 4)}{age:<{age_w}}"
                f"{t.backups:>3} {fmt.size(t.size):>9}"
            )
        return "\n".join(lines)


class ChecksumPane(Pane):
    """Counts per state, not yet verified, the last drill, then the problem files."""

    TITLE = N_("Checksums")

    MAX_PROBLEMS = 3

    def render_data(self, data: DashboardData) -> str:
        c = data.checks
        cells = [f"{_(word)} {n}" for word, n in c.counts] + [_("not verified yet {n}").format(n=c.unverified)]
        drill = (
            _("never")
            if c.last_drill is None
            else f"{fmt.age(c.last_drill, data.now)}, {_('passed') if c.last_drill_ok else _('FAILED')}"
        )
        lines = pack(cells, self.width, fmt.health(c.health) + " ", "     ") + [
            _("last drill {drill}").format(drill=drill)
        ]
        room = self.content_size.height - len(lines) if self.content_size.height else self.MAX_PROBLEMS
        shown = min(self.MAX_PROBLEMS, len(c.problems) if len(c.problems) <= room else max(0, room - 1))
        for p in c.problems[:shown]:
            lines.append(f"{fmt.health(p.health)} {escape(p.label)} [dim]{escape(_(p.word))}[/]")
        if len(c.problems) > shown:
            more = len(c.problems) - shown
            lines.append(
                ngettext("+ {n} more problem file (b: Backups)", "+ {n} more problem files (b: Backups)", more).format(
                    n=more
                )
            )
        if not c.problems:
            lines.append(_("no problem files"))
        return "\n".join(lines)


class DiskPane(Pane):
    """The backup volume as a bar, size per tier, database size, days until full."""

    TITLE = N_("Disk")

    def render_data(self, data: DashboardData) -> str:
        d, verdict, db_size = (
            data.report.disk,
            data.verdict("disk"),
            data.report.database.size,
        )  # core.volume.disk.DiskReport
        space = d.space
        if space and space.total:
            used = space.used / space.total
            head = f"{fmt.health(verdict.word)} [{fmt.bar(used, 20)}] " + _(
                "{used} used · {free} free of {total}"
            ).format(used=f"{used:.0%}", free=fmt.size(space.free), total=fmt.size(space.total))
        else:
            head = f"{fmt.health(verdict.word)} {escape(verdict.reason or _('volume size unknown'))}"
        db = _("database {size}").format(size=fmt.size(db_size)) if db_size is not None else _("database size unknown")
        sizes = pack([f"{_(tier)} {fmt.size(n)}" for tier, n in d.tier_sizes.items()] + [db], self.width)
        if d.days_left is None:
            days = _("no growth measured yet")
        elif d.days_left > 365:
            days = _("full in over a year at recent growth")
        else:
            days = _("full in ~{days} days at recent growth").format(days=f"{d.days_left:.0f}")
        if verdict.reason:
            days = f"{days} · {verdict.reason}"
        if data.db_error:
            days = f"{days} · {data.db_error}"
        return "\n".join([head, *sizes, escape(days)])


class ProblemsLine(ConsoleNode, Static):
    """Why the header is not OK: the reason of every check that has one, as ``status`` prints them.

    Hidden when there is nothing to say.  Taller terminals show more of them; the
    last line counts what did not fit, so the most severe come first (a database that
    cannot be reached first of all: it is often why the others fail), after the swap
    the console finished or undid at start-up, which always leads.
    """

    MAX_LINES = 3
    SEVERITY = {"FAIL": 0, "ERROR": 0, "WARN": 1, "NOTE": 2}

    def on_mount(self) -> None:
        self.watch(self.app, "data", self._redraw, init=True)

    def _redraw(self, data: DashboardData | None) -> None:
        problems = data.problems if data is not None else ()
        recovery = self.app.recovery  # the swap the console finished or undid at start-up comes first
        problems = tuple(sorted(problems, key=lambda p: (self.SEVERITY.get(p[0], 3), p[1] != "database")))
        problems = ((("WARN", "restore", recovery),) if recovery else ()) + tuple(problems)
        self.display = bool(problems)
        lines = [
            f"{fmt.health(word)} {escape(_(subject))}: {escape(shown(reason))}" for word, subject, reason in problems
        ]
        if len(lines) > self.MAX_LINES:
            rest = len(lines) - self.MAX_LINES + 1
            lines = lines[: self.MAX_LINES - 1] + [
                _("+ {n} more (citaplanner-tui status lists them all)").format(n=rest)
            ]
        self.update("\n".join(lines))


class DaemonLine(Static):
    """The scheduler, when one is configured: what it is doing, when it last said so, and the
    next run of each job (from its heartbeat file).  Hidden when no schedule is configured."""

    def on_mount(self) -> None:
        self.watch(self.app, "data", self._redraw, init=True)

    def _redraw(self, data: DashboardData | None) -> None:
        daemon = data.daemon if data is not None else None
        self.display = daemon is not None
        if daemon is None:
            return
        heard = f"{daemon.doing or _('never ran')}" + (
            _(" at {when}").format(when=f"{daemon.at:%m-%d %H:%M}") if daemon.at else ""
        )
        runs = [
            f"{job} {at:%m-%d %H:%M}" if at else _("{job} not scheduled").format(job=job)
            for job, at in daemon.next_runs
        ]
        cells = [_("daemon {heard}").format(heard=heard)] + (
            [_("next: {run}").format(run=runs[0]), *runs[1:]] if runs else []
        )
        self.update("\n".join(pack(cells, (self.content_size.width or 78) - 5, fmt.health(daemon.word) + " ", "     ")))
