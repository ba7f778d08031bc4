"""Wizard step 1: pick the backup to restore, newest first, each with its state.

The list is the catalog of the app's last refresh (``core.volume.catalog.scan``: every
finished dump, any state, newest first).  A backup in a bad state can still be
picked: pre-flight then says exactly why it cannot be restored.  With off-site targets
the source can be one of them (``s``): the list is then what that target holds
(``TargetReport.held``), and picking one downloads it first (``core.offsite.pull``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from citaplanner_tui.core.i18n import N_, _, shown
from citaplanner_tui.core.volume.naming import ROTATED_TIERS
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.node import ConsoleNode

if TYPE_CHECKING:
    from datetime import datetime

    from citaplanner_tui.core.offsite.report import TargetReport
    from citaplanner_tui.core.volume.catalog import Catalog, Entry
    from citaplanner_tui.tui.data import DashboardData

COLUMNS = (N_("Tier"), N_("Taken"), N_("Age"), N_("Size"), N_("State"), N_("Verified"))


def pick_row(entry: Entry, now: datetime) -> tuple[str, ...]:
    """One backup as table cells; the state is a word (``ok``, ``checksum mismatch``...)."""
    if entry.last_verified_at is None:
        verified = _("never")
    else:
        verified = f"{fmt.short_age(entry.last_verified_at, now)} {_('ok') if entry.verify_ok else _('FAILED')}"
    return (
        _(entry.tier),
        entry.when.strftime("%Y-%m-%d %H:%M"),
        fmt.short_age(entry.when, now),
        fmt.size(entry.size),
        _(entry.state.word),
        verified,
    )


def newest_good_rotated(catalog: Catalog) -> Path | None:
    """What an incident restores first: the newest good daily, weekly or monthly backup.

    Never a safety backup (the state just before a restore, often the broken one) or
    a manual one, even when newer.
    """
    entries = [e for e in map(catalog.newest_good, ROTATED_TIERS) if e is not None]
    return max(entries, key=lambda e: e.when).path if entries else None


class PickStep(ConsoleNode, Vertical):
    source = "local"
    """Where the list comes from: ``local`` (the volume) or an off-site target's name."""

    def compose(self) -> ComposeResult:
        yield Static(
            _("Pick the backup to restore (newest first). Enter runs the pre-flight checks, which change nothing."),
            classes="step-hint",
        )
        yield Static(id="pick-source")
        yield DataTable(id="pick-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="pick-detail", classes="step-note")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*map(_, COLUMNS))
        targets = [t.name for t in self.app.settings.offsite]
        self.query_one("#pick-source", Static).display = bool(targets)
        self.query_one("#pick-source", Static).update(source_line("local", targets))

    def choose_source(self, data: DashboardData | None, source: str, chosen: str | None = None) -> None:
        """List ``source``'s backups (``local`` or a target's name), the cursor on ``chosen`` if given."""
        self.source = source
        self.query_one("#pick-source", Static).update(source_line(source, [t.name for t in self.app.settings.offsite]))
        self.query_one(DataTable).clear()
        if data is not None and source == "local":
            self.fill(data.catalog, data.now, None)
        elif data is not None:
            self.fill_remote(data, source, chosen)

    def fill_from(self, data: DashboardData, chosen: Path | None) -> None:
        if self.source == "local":
            self.fill(data.catalog, data.now, chosen)
        else:
            self.fill_remote(data, self.source)

    def remote_report(self, data: DashboardData | None) -> TargetReport | None:
        """The last report of the target the list comes from (None: not asked yet)."""
        return next((t for t in data.report.offsite if t.name == self.source), None) if data is not None else None

    def fill_remote(self, data: DashboardData, name: str, chosen: str | None = None) -> None:
        """What target ``name`` held at the last refresh, newest first; the cursor on ``chosen`` or where it was."""
        table = self.query_one(DataTable)
        keep = chosen or self.selected_key()
        table.clear()
        report = self.remote_report(data)
        for entry in report.held if report is not None else ():
            # Verified is the volume's record: a remote copy is checked against its sidecar when pulled.
            table.add_row(*pick_row(entry, data.now)[:-1], "-", key=f"{name}:{entry.path}")
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))
        if report is None:
            note = _("asking {target} what it holds…").format(target=name)
        elif report.problem:
            note = shown(report.problem)
        else:
            empty = _("{target} holds no backups yet: push them first (p on the o screen)")
            note = "" if table.row_count else empty.format(target=name)
        self.query_one("#pick-detail", Static).update(escape(note))

    def fill(self, catalog: Catalog, now: datetime, chosen: Path | None) -> None:
        """Show ``catalog``'s dumps; keep the cursor on ``chosen``, the current row, or the newest good."""
        table = self.query_one(DataTable)
        keep = chosen or self.selected() or newest_good_rotated(catalog)
        table.clear()
        for entry in catalog.backups():
            table.add_row(*pick_row(entry, now), key=str(entry.path))
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)))
        self.query_one("#pick-detail", Static).update(
            "" if table.row_count else _("no backups on the volume yet: take one first (n on the dashboard)")
        )

    def selected_key(self) -> str | None:
        """The current row's key: a local path, or ``TARGET:tier/file`` (what ``core.offsite.pull.fetch`` takes)."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def selected(self) -> Path | None:
        """The local backup picked (None for none, or for one on a target)."""
        key = self.selected_key()
        return Path(key) if key is not None and self.source == "local" else None

    def selected_entry(self, data: DashboardData | None) -> Entry | None:
        """The picked backup's catalog entry, local or remote."""
        key = self.selected_key()
        if data is None or key is None:
            return None
        if self.source == "local":
            return data.catalog.find(key)
        report = self.remote_report(data)
        rel = key.partition(":")[2]
        return next((e for e in report.held if str(e.path) == rel), None) if report else None

    def describe(self, entry: Entry | None) -> None:
        notes = [entry.path.name, shown(entry.reason), shown(entry.verify_detail)] if entry else []
        if entry and self.source != "local":
            notes.append(
                _("on {target}: Enter downloads it, checks it against its sidecar, then pre-flight").format(
                    target=self.source
                )
            )
        self.query_one("#pick-detail", Static).update(escape(" · ".join(shown(n) for n in notes if n)))


def source_line(source: str, targets: list[str]) -> str:
    """``Source: [local] primary backup2  (s: next)``: the current one marked, in words too."""
    marks = [f"[b reverse]▶{escape(n)}[/]" if n == source else escape(n) for n in ("local", *targets)]
    return _("Source: {sources}  [dim](s: next source)[/]").format(sources=" ".join(marks))
