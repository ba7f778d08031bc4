"""Every backup on the volume, and what can be done with one.

The table is the catalog of the last refresh (``app.data.catalog``), newest first,
with its state, last verify and last drill.  ``/`` filters by any text in the row.
Actions run the core engines as app jobs: verify and deep verify (``core.verify``),
drill (``core.restore.drill``), delete (``core.volume.delete``, after a typed confirmation;
the newest good backup of a tier is refused there), and restore, which hands the
chosen file to the restore wizard (``app.open_restore``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from citaplanner_tui.core.i18n import N_, _, ngettext, shown
from citaplanner_tui.core.volume.delete import delete_backup, refusal
from citaplanner_tui.tui import actions, engine_jobs, gate
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.actions import ActionSpec
from citaplanner_tui.tui.job_result import JobOutcome
from citaplanner_tui.tui.screens.confirm import ConfirmScreen
from citaplanner_tui.tui.widgets.backup_table import BackupTable
from citaplanner_tui.tui.widgets.job_line import JobLine
from citaplanner_tui.tui.widgets.keys_footer import KeysFooter
from citaplanner_tui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from citaplanner_tui.core.events import Reporter
    from citaplanner_tui.core.restore.leftovers import Leftover
    from citaplanner_tui.core.volume.catalog import Entry

actions.register(
    ActionSpec(
        "filter", N_("Filter"), N_("Show only rows containing some text"), "slash", "BackupsScreen", key_display="/"
    ),
    ActionSpec(
        "verify", N_("Verify"), N_("Check the selected backup's SHA-256 against its sidecar"), "v", "BackupsScreen"
    ),
    ActionSpec(
        "deep_verify",
        N_("Deep verify"),
        N_("Checksum, decompress to the end and check the dump's end marker"),
        "V",
        "BackupsScreen",
    ),
    ActionSpec(
        "drill",
        N_("Drill"),
        N_("Restore the selected backup into a scratch database and count rows"),
        "t",
        "BackupsScreen",
    ),
    ActionSpec("restore", N_("Restore"), N_("Restore the selected backup (guided, confirmed)"), "R", "BackupsScreen"),
    ActionSpec(
        "delete",
        N_("Delete"),
        N_("Delete the selected backup and its sidecar (typed confirmation)"),
        "x",
        "BackupsScreen",
    ),
)

COLUMNS = (
    (N_("Tier"), 7),
    (N_("Taken"), 16),
    (N_("Age"), 4),
    (N_("Size"), 9),
    (N_("State"), 17),
    (N_("Verified"), 10),
    (N_("Drill"), 10),
)
# With off-site targets, Where (``local+primary``) takes the Drill column's room (the drill stays on the
# detail line) and the year leaves the date (``tui.data.backup_row``).
OFFSITE_COLUMNS = (*COLUMNS[:1], (N_("Taken"), 11), *COLUMNS[2:6], (N_("Where"), 15))


MAX_LEFTOVERS = 3  # lines of them at 80x24; ``status`` lists them all


def leftover_lines(kept: Sequence[Leftover]) -> list[str]:
    """The safety backups and parked databases restores kept, as ``status`` prints them."""
    from citaplanner_tui.core.restore.leftovers import lines  # here: core.restore imports psycopg

    head, *rows = lines(list(kept))[1:] or [""]
    if len(rows) > MAX_LEFTOVERS:
        more = len(rows) - MAX_LEFTOVERS + 1
        rows = rows[: MAX_LEFTOVERS - 1] + [_("  + {n} more (citaplanner-tui status)").format(n=more)]
    return [head, *rows] if kept else []


class BackupsScreen(gate.GatedScreen):
    TITLE = N_("Backups")
    DEFAULT_CSS = """
    #backups-table { height: 1fr; }
    #backup-detail { height: 2; padding: 0 1; color: $text-muted; }
    /* what restores kept: safety backups and parked databases (core.restore.leftovers) */
    #leftovers { height: auto; max-height: 4; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [Binding("escape", "back", N_("Back"), id="backups.back"), *actions.bindings_for("BackupsScreen")]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield BackupTable(OFFSITE_COLUMNS if self.app.settings.offsite else COLUMNS, id="backups-table")
        yield Static(id="backup-detail")
        yield Static(id="leftovers")
        yield Input(placeholder=_("filter: any text in the row (Esc clears)"), id="backups-filter")
        yield JobLine()
        yield KeysFooter(show_command_palette=False)  # its room goes to the screen's keys (^p still opens it)

    def on_mount(self) -> None:
        self.query_one("#backups-filter").display = False
        self.query_one(BackupTable).focus()
        self.watch(self.app, "data", lambda _: self.fill(), init=True)

    # -- the table ----------------------------------------------------------------------
    @property
    def filter_text(self) -> str:
        return self.query_one("#backups-filter", Input).value.strip().lower()

    def fill(self) -> None:
        """Rows prepared by the refresh worker, filtered here; drawing cost does not grow with the count."""
        data = self.app.data
        if data is None:
            return
        needle = self.filter_text
        rows = [(key, cells, health) for key, cells, health, text in data.backup_rows if not needle or needle in text]
        self.query_one(BackupTable).set_rows(rows)
        leftovers = self.query_one("#leftovers", Static)
        leftovers.display = bool(data.leftovers)
        leftovers.update(escape("\n".join(leftover_lines(data.leftovers))))

    def selected_entry(self) -> Entry | None:
        data, path = self.app.data, self.selected_path()
        return None if data is None or path is None else data.catalog.find(path)

    def selected_path(self) -> Path | None:
        key = self.query_one(BackupTable).cursor_key
        return None if key is None else Path(key)

    def selected_remote(self) -> str | None:
        """The row's ``TARGET:tier/file`` when the backup is only on off-site targets (local keys are paths)."""
        key = self.query_one(BackupTable).cursor_key
        return key if key is not None and not key.startswith("/") else None

    def _only_remote(self, spec: str) -> str:
        name, where = spec.rpartition("/")[2], self.query_one(BackupTable).cells(spec)[-1]
        only = _("{name} is only on {where}: R downloads it, checks it, then restores it")
        return only.format(name=name, where=where.replace("+", ", "))

    @on(BackupTable.Highlighted)
    def show_detail(self) -> None:
        entry = self.selected_entry()
        detail = self.query_one("#backup-detail", Static)
        remote = self.selected_remote()
        if remote:
            detail.update(escape(self._only_remote(remote)))
            return
        if entry is None:
            if self.app.data is None:
                detail.update(_("loading…"))
            elif self.filter_text and self.app.data.backup_rows:  # a filter that matches nothing: not an empty volume
                detail.update(
                    escape(_("no backup matches {text} (Esc clears the filter)").format(text=repr(self.filter_text)))
                )
            else:
                detail.update(_("no backups"))
            return
        notes = [entry.path.name, entry.reason, entry.sidecar_elsewhere or "", entry.verify_detail, entry.drill_detail]
        data = self.app.data
        if self.app.settings.offsite and entry.is_dump and data is not None:  # Drill gave its room to Where
            drill = fmt.check_cell(entry.last_drill_at, entry.drill_ok, data.now)
            where = self.query_one(BackupTable).cells(str(entry.path))[-1]
            notes[1:1] = [
                _("on {where}").format(where=where.replace("+", ", ")),
                _("drill {drill}").format(drill=drill),
            ]
        detail.update(escape(" · ".join(shown(n) for n in notes if n)))

    # -- filter ---------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#backups-filter", Input)
        box.display = True
        self.set_focus(box)  # now, not after the queued keys: they are the text (App._on_key)

    @on(Input.Changed, "#backups-filter")
    def _filter_changed(self) -> None:
        self.fill()

    @on(Input.Submitted, "#backups-filter")
    def _filter_done(self) -> None:
        self.query_one(BackupTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#backups-filter", Input)
        if box.display:
            box.value, box.display = "", False
            self.query_one(BackupTable).focus()
            return
        self.app.pop_screen()

    # -- actions --------------------------------------------------------------------------
    def _dump_or_say(self) -> Entry | None:
        entry = self.selected_entry()
        remote = self.selected_remote()
        if remote:
            self.notify(self._only_remote(remote), severity="warning")
            return None
        if entry is None or not entry.is_dump:
            self.notify(_("select a backup dump first"), severity="warning")
            return None
        return entry

    def action_verify(self, deep: bool = False) -> None:
        entry = self._dump_or_say()
        if entry is None:
            return
        title = _("deep verify {name}") if deep else _("verify {name}")
        self.app.start_engine_job(
            "verify", title.format(name=entry.path.name), engine_jobs.verify, self.app.settings, [entry.path], deep=deep
        )

    def action_deep_verify(self) -> None:
        self.action_verify(deep=True)

    @gate.writes
    def action_drill(self) -> None:
        entry = self._dump_or_say()
        if entry is None:
            return
        self.app.start_engine_job(
            "drill", _("drill {name}").format(name=entry.path.name), engine_jobs.drill, self.app.settings, entry.path
        )

    @gate.writes
    def action_restore(self) -> None:
        remote = self.selected_remote()
        if remote:  # the wizard lists that target, this backup picked
            self.app.open_restore(remote)
            return
        entry = self._dump_or_say()
        if entry is not None:
            self.app.open_restore(entry.path)

    @gate.writes
    def action_delete(self) -> None:
        entry, data = self._dump_or_say(), self.app.data
        if entry is None or data is None:  # an entry comes from the data
            return
        why = refusal(data.catalog, entry)
        if why:
            self.notify(shown(why), title=_("Not deleted"), severity="warning")
            return
        where = f"{entry.path.parent.name}/{entry.path.name}"
        kept = len(data.catalog.backups(entry.tier)) - 1
        steps = [
            _("delete the dump {where} from the backup volume").format(where=where),
            _("then its sidecar {name}").format(name=entry.sidecar.name) if entry.sidecar else _("(it has no sidecar)"),
            ngettext(
                "{tier} keeps {n} backup; the newest good one stays",
                "{tier} keeps {n} backups; the newest good one stays",
                kept,
            ).format(tier=_(entry.tier), n=kept),
        ]
        settings, path = self.app.settings, entry.path

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return

            def work(reporter: Reporter) -> JobOutcome:
                return JobOutcome.ok(
                    delete_backup(settings, path), _("deleted {name} and its sidecar").format(name=path.name)
                )

            self.app.start_job("delete", _("delete {name}").format(name=path.name), work)

        self.app.push_screen(
            ConfirmScreen(_("Delete the backup {name}?").format(name=path.name), steps, path.name, N_("Delete")),
            confirmed,
        )
