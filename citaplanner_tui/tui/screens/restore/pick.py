"""Wizard step 1: pick the backup to restore, newest first, each with its state.

The list is the catalog of the app's last refresh (``core.volume.catalog.scan``: every
finished dump, any state, newest first).  A backup in a bad state can still be
picked: pre-flight then says exactly why it cannot be restored.
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from citaplanner_tui.core.i18n import N_, _
from citaplanner_tui.core.volume.naming import ROTATED_TIERS
from citaplanner_tui.tui import format as fmt

COLUMNS = (N_("Tier"), N_("Taken"), N_("Age"), N_("Size"), N_("State"), N_("Verified"))


def pick_row(entry, now) -> tuple[str, ...]:
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


def newest_good_rotated(catalog) -> Path | None:
    """What an incident restores first: the newest good daily, weekly or monthly backup.

    Never a safety backup (the state just before a restore, often the broken one) or
    a manual one, even when newer.
    """
    entries = [e for e in map(catalog.newest_good, ROTATED_TIERS) if e is not None]
    return max(entries, key=lambda e: e.when).path if entries else None


class PickStep(Vertical):
    def compose(self) -> ComposeResult:
        yield Static(
            _("Pick the backup to restore (newest first). Enter runs the pre-flight checks, which change nothing."),
            classes="step-hint",
        )
        yield DataTable(id="pick-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="pick-detail", classes="step-note")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*map(_, COLUMNS))

    def fill(self, catalog, now, chosen: Path | None) -> None:
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

    def selected(self) -> Path | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return Path(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def describe(self, entry) -> None:
        notes = [entry.path.name, entry.reason, entry.verify_detail] if entry else []
        self.query_one("#pick-detail", Static).update(escape(" · ".join(n for n in notes if n)))
