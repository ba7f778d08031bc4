"""The seed screen: what CitaPlanner's seed would create here, what exists, what differs.

The plan is ``core.seed.plan_seed`` (read-only, bounded reads) run in a thread worker;
the table shows every seed row with its status as a word (CREATE / EXISTS / DIFFERS /
CONFLICT / SKIP) and a colour, the header counts them, ``0``-``5`` filter by status,
and the pane below explains the selected row: the differing fields (database value
and seed value), the row a create would collide with, or why it is skipped.
``a`` applies after the typed confirmation (``ConfirmScreen``, ``screens/confirm.py``) as an
app job: ``core.seed.apply_seed`` re-plans under its lock and writes, or refuses with one
sentence (a CONFLICT) and writes nothing; the plan is then computed again.  Apply is
``@gate.writes``, so read-only mode hides and refuses it.  The engine (psycopg) is
imported here at module level: the app imports this screen only when it is opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import N_, _, pgettext, say, shown
from citaplanner_tui.core.pg.connect import connect
from citaplanner_tui.core.report import units
from citaplanner_tui.core.seed import apply_seed, plan_seed
from citaplanner_tui.core.seed.plan import Status
from citaplanner_tui.tui import actions, gate
from citaplanner_tui.tui import format as fmt
from citaplanner_tui.tui.actions import ActionSpec
from citaplanner_tui.tui.job_result import JobOutcome
from citaplanner_tui.tui.screens.confirm import ConfirmScreen
from citaplanner_tui.tui.widgets.keys_footer import KeysFooter
from citaplanner_tui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from citaplanner_tui.core.events import Reporter
    from citaplanner_tui.core.seed.apply import ApplyResult
    from citaplanner_tui.core.seed.plan import Item, SeedPlan
    from citaplanner_tui.tui.jobs import Job

STYLES = Path(__file__).parents[1] / "styles"
# Theme variable and emphasis per status (header counts); the word itself carries the meaning.
STATUS_STYLE = {
    Status.CREATE: ("accent", "bold"),
    Status.EXISTS: ("success", ""),
    Status.DIFFERS: ("warning", "bold"),
    Status.CONFLICT: ("error", "bold reverse"),
    Status.SKIP: ("text-muted", ""),
}
FILTER_KEYS = {
    "0": None,
    "1": Status.CREATE,
    "2": Status.EXISTS,
    "3": Status.DIFFERS,
    "4": Status.CONFLICT,
    "5": Status.SKIP,
}

actions.register(
    ActionSpec(
        "apply",
        N_("Apply…"),
        N_("Write the seed's CREATE rows (typed confirmation; never changes existing rows)"),
        "a",
        "SeedScreen",
    ),
    ActionSpec("replan", N_("Re-plan"), N_("Read the database again and re-compute the plan"), "r", "SeedScreen"),
    *(
        ActionSpec(
            f"filter({repr(s.value) if s else ''})",
            say("Show {status}", status=s.value) if s else N_("Show all"),
            say("Show only {status} rows", status=s.value) if s else N_("Show every row"),
            key,
            "SeedScreen",
            show=False,
        )
        for key, s in FILTER_KEYS.items()
    ),
)


class PlanTable(DataTable):
    """The plan's rows; the status cell is coloured by a component class per status."""

    COMPONENT_CLASSES = {f"plan-table--{s.value.lower()}" for s in Status}
    DEFAULT_CSS = """
    PlanTable > .plan-table--create { color: $accent; text-style: bold; }
    PlanTable > .plan-table--exists { color: $success; }
    PlanTable > .plan-table--differs { color: $warning; text-style: bold; }
    PlanTable > .plan-table--conflict { color: $error; text-style: bold reverse; }
    PlanTable > .plan-table--skip { color: $text-muted; }
    """

    def status_cell(self, status: Status) -> Text:
        """The status word, padded, in its colour (DataTable cells are Rich text)."""
        return Text(f"{status.value:<8}", style=self.get_component_rich_style(f"plan-table--{status.value.lower()}"))


def summary_line(plan: SeedPlan, dbname: str, shown: Status | None) -> str:
    """Content markup: the counts per status, and what the table shows now."""
    parts = []
    for status, n in plan.counts.items():
        variable, emphasis = STATUS_STYLE[status]
        parts.append(f"{n} [{emphasis} ${variable}]{status.value}[/]")
    showing = _("showing {status} only").format(status=shown.value) if shown else _("showing all")
    return (
        _("Seed for {db}: ").format(db=f"[b]{escape(dbname)}[/]")
        + " · ".join(parts)
        + _("  ({showing}; 0-5 filter)").format(showing=showing)
    )


def _value(value: object, limit: int = 36) -> str:
    text = _("none") if value is None else str(value)
    return units.clipped(" ".join(text.split()), limit)


def detail_lines(item: Item) -> list[str]:
    """What the operator needs to know about one seed row (plain text)."""
    head = _("{status} {kind} {key} (table {table})").format(
        status=item.status.value, kind=item.kind, key=item.key, table=item.table
    )
    if item.status is Status.DIFFERS:
        lines = [head + _(": the seed leaves it as it is")]
        lines += [
            _("  {column}: database {db} · seed {seed}").format(column=column, db=_value(db), seed=_value(seed))
            for column, (db, seed) in item.differs.items()
        ]
        lines += [f"  {shown(item.reason)}"] if item.reason else []
    elif item.status is Status.CONFLICT:
        lines = [head + _(": apply refuses while it collides"), f"  {shown(item.conflict or '')}"]
    elif item.status is Status.SKIP:
        lines = [head, f"  {shown(item.reason or '')}"]
    elif item.status is Status.EXISTS:
        lines = [head + _(": row {id} matches the seed").format(id=item.row_id)] + (
            [f"  {shown(item.reason)}"] if item.reason else []
        )
    else:
        values = ", ".join(f"{k}={_value(v, 24)}" for k, v in item.values.items())
        lines = [head + _(": apply inserts it"), f"  {values}"]
    return lines


class SeedScreen(gate.GatedScreen):
    TITLE = N_("Seed")
    CSS_PATH = STYLES / "seed.tcss"
    BINDINGS = [Binding("escape", "back", N_("Back"), id="seed.back"), *actions.bindings_for("SeedScreen")]

    def __init__(self) -> None:
        super().__init__()
        self.plan: SeedPlan | None = None
        self.shown: Status | None = None
        self.job: Job | None = None
        self.loading = False

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(_("reading the database…"), id="seed-summary")
        yield Static(id="seed-message")
        yield PlanTable(id="seed-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="seed-detail", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(_("Status"), _("Kind"), pgettext("seed row", "Key"))
        self.app.job_signal.subscribe(self, self.on_job)
        self.action_replan()

    @property
    def dbname(self) -> str:
        try:
            return self.app.settings.conninfo().dbname
        except OperatorError:
            return "?"

    # -- the plan -------------------------------------------------------------------------
    def action_replan(self) -> None:
        """Plan in a thread (never two at once); the result comes back on the event loop."""
        if self.loading:
            return
        self.loading = True
        settings = self.app.settings

        def plan_it() -> None:
            try:
                with connect(settings.conninfo()) as conn:
                    plan, error = plan_seed(conn), None
            except OperatorError as exc:
                plan, error = None, exc.sentence
            self.app.call_from_thread(self._planned, plan, error)

        self.run_worker(plan_it, thread=True, group="seed-plan", name="seed plan", exit_on_error=False)

    def _planned(self, plan: SeedPlan | None, error: str | None) -> None:
        self.loading = False
        if not self.is_attached:  # the operator left before the plan came back
            return
        if error:
            self.query_one("#seed-summary", Static).update(
                f"{fmt.health('FAIL')} " + _("cannot plan the seed: {why}").format(why=escape(shown(error)))
            )
            return
        if plan is not None:
            self.show_plan(plan)

    def show_plan(self, plan: SeedPlan) -> None:
        self.plan = plan
        self.fill()
        self.refresh_bindings()

    def fill(self) -> None:
        plan, table = self.plan, self.query_one(PlanTable)
        if plan is None:
            return
        self.query_one("#seed-summary", Static).update(summary_line(plan, self.dbname, self.shown))
        table.clear()
        for n, item in enumerate(plan.items):
            if self.shown is None or item.status is self.shown:
                table.add_row(table.status_cell(item.status), item.kind, item.key, key=str(n))
        self.show_detail()

    def selected_item(self) -> Item | None:
        table = self.query_one(DataTable)
        if self.plan is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.plan.items[int(key)] if key is not None else None  # rows are keyed by their index

    @on(DataTable.RowHighlighted, "#seed-table")
    def show_detail(self) -> None:
        item = self.selected_item()
        text = "\n".join(detail_lines(item)) if item is not None else _("no rows with this status")
        self.query_one("#seed-detail", Static).update(text)

    def action_filter(self, status: str = "") -> None:
        self.shown = Status(status) if status else None
        self.fill()

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- apply ----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply" and (self.plan is None or (self.job is not None and self.job.running)):
            return None if gate.allowed(self, action) else False
        return super().check_action(action, parameters)

    @gate.writes
    def action_apply(self) -> None:
        plan = self.plan
        if plan is None or (self.job is not None and self.job.running):
            return
        per_table = ", ".join(f"{t} {n}" for t, n in plan.creates_by_table().items()) or pgettext("no tables", "none")
        counts = plan.counts
        steps = [
            _("lock, re-read {db} and re-compute the plan in one transaction").format(db=repr(self.dbname)),
            _("insert the CREATE rows: {n} ({tables})").format(n=counts[Status.CREATE], tables=per_table),
            _("leave the {n} existing rows as they are ({differ} differ from the seed)").format(
                n=counts[Status.EXISTS] + counts[Status.DIFFERS], differ=counts[Status.DIFFERS]
            ),
        ]
        if plan.conflicts:
            steps.append(_("{n} CONFLICT: the engine will refuse and write nothing").format(n=len(plan.conflicts)))
        self.app.push_screen(
            ConfirmScreen(
                _("Apply the seed to {db}?").format(db=repr(self.dbname)), steps, self.dbname, N_("Apply seed")
            ),
            self._confirmed,
        )

    def _confirmed(self, yes: bool | None) -> None:
        if not yes:
            return
        settings, dbname = self.app.settings, self.dbname

        def work(reporter: Reporter) -> JobOutcome:
            with connect(settings.conninfo()) as conn:
                result = apply_seed(conn, confirm=dbname)
                plan = plan_seed(conn)
            made = sum(result.created.values())
            return JobOutcome.ok(
                (result, plan),
                _("created {n} rows in {db}").format(n=made, db=dbname)
                if made
                else _("nothing to create: {db} already has the seed").format(db=dbname),
            )

        self.query_one("#seed-message", Static).update(_("applying…"))
        self.job = self.app.start_job("seed", _("seed apply to {db}").format(db=dbname), work)
        self.refresh_bindings()

    def on_job(self, job: Job) -> None:
        if job is not self.job or job.running:
            return
        message = self.query_one("#seed-message", Static)
        if job.error:
            message.update(f"{fmt.health('FAIL')} {escape(shown(job.error))}")
        elif job.result is not None:
            result, plan = cast("tuple[ApplyResult, SeedPlan]", job.result.value)  # what work() returns
            made = ", ".join(f"{t} {n}" for t, n in result.created.items())
            message.update(
                f"{fmt.health('OK')} {escape(shown(job.result.summary))}"
                + (f" ({escape(made)})" if made else "")
                + _("; the plan below is computed again")
            )
            self.show_plan(plan)
        self.refresh_bindings()
