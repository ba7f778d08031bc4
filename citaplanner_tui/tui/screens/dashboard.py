"""The dashboard: is the data safe?  Tiers, checksums, disk and today's log at a glance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal

from citaplanner_tui.core.i18n import N_, _
from citaplanner_tui.core.logs.writer import log_path
from citaplanner_tui.tui import actions, gate
from citaplanner_tui.tui.actions import ActionSpec
from citaplanner_tui.tui.gate import GatedScreen
from citaplanner_tui.tui.widgets.keys_footer import KeysFooter
from citaplanner_tui.tui.widgets.log_view import LogView
from citaplanner_tui.tui.widgets.panes import ChecksumPane, DaemonLine, DiskPane, ProblemsLine, TiersPane
from citaplanner_tui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from pathlib import Path


actions.register(
    ActionSpec(
        "restore_newest",
        N_("Restore newest good"),
        N_("Restore the newest good daily, weekly or monthly backup: pre-flight starts at once"),
        "R",
        "DashboardScreen",
    ),
)


class DashboardScreen(GatedScreen):
    TITLE = N_("Dashboard")
    BINDINGS = actions.bindings_for("DashboardScreen")
    _load_asked = False  # the first load: asked once, after the first paint or when covered before it

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield ProblemsLine(id="problems")
        yield DaemonLine(id="daemon")
        with Horizontal(id="top-row"):
            yield TiersPane(id="tiers")
            yield ChecksumPane(id="checks")
        yield DiskPane(id="disk")
        log = LogView(self.todays_log(), poll=self.app.log_poll, id="log-pane")
        log.border_title = _("Today's log")
        yield log
        yield KeysFooter(show_command_palette=False)  # its room goes to the screen's keys (^p still opens it)

    def todays_log(self) -> Path:
        return log_path(self.app.settings.logs, "backup", self.app.now())

    def on_mount(self) -> None:
        self.watch(self.app, "data", self._day_changed, init=False)
        # Load after the first paint: the loader's imports and scan would compete with it.
        self.call_after_refresh(self._first_load)

    def on_screen_suspend(self) -> None:
        """A screen opened before the first paint (a key typed at start) needs the data now: the
        dashboard's after-paint callbacks wait until it is shown again."""
        self._first_load()

    def _first_load(self) -> None:
        if not self._load_asked:
            self._load_asked = True
            self.app.action_refresh()

    @gate.writes
    def action_restore_newest(self) -> None:
        """The incident path: ``R Enter Enter`` + the name + ``Enter``."""
        from citaplanner_tui.tui.screens.restore.pick import newest_good_rotated

        data = self.app.data
        archive = newest_good_rotated(data.catalog) if data is not None else None
        if archive is None:
            self.notify(_("no good daily, weekly or monthly backup to restore yet: pick one"), severity="warning")
        self.app.open_restore(archive, preflight=archive is not None)

    def _day_changed(self, _data: object) -> None:
        """After midnight the day's log is another file."""
        log = self.query_one(LogView)
        if log.path != self.todays_log():
            log.open(self.todays_log())
