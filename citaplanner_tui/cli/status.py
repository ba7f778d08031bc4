"""``citaplanner-tui status``: is the data safe?  For people (80 columns) and monitoring.

Exit code 0 OK, 1 WARN, 2 FAIL (e.g. the newest daily backup older than 26 hours).
Works while the database is down: the backups are still described and the database
line says FAIL with the reason.

The engine is imported inside ``run``, not at the top: building the parser imports every
command module, so ``--help`` and a bad option would otherwise load all the engines
(and psycopg, ~0.4 s) for nothing.
"""

from __future__ import annotations

import argparse
import textwrap
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

from citaplanner_tui.cli.output import write_json, write_text
from citaplanner_tui.core.i18n import _, ngettext, shown
from citaplanner_tui.core.report import units
from citaplanner_tui.core.report.health import hours

if TYPE_CHECKING:
    from citaplanner_tui.core.offsite.report import TargetReport
    from citaplanner_tui.core.report.status import StatusReport
    from citaplanner_tui.core.settings import Settings

ORDER = 30


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "status",
        help=_("health of the backups, the volume and the database (exit 0/1/2)"),
        description=_(
            "Newest good backup and its age per tier, files by state, the backup volume's "
            "space, and the database's size. Exit code 0 OK, 1 WARN, 2 FAIL, for monitoring."
        ),
    )
    p.add_argument("--json", action="store_true", help=_("print the report as JSON on stdout"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.report.status import build
    from citaplanner_tui.core.restore import leftovers
    from citaplanner_tui.core.volume.catalog import scan

    volume = scan(settings)
    report = build(settings, catalog=volume)
    kept = leftovers.leftovers(settings, volume)  # safety backups and parked databases, with sizes
    if args.json:
        write_json({**report.to_json(), "leftovers": [asdict(k) for k in kept]})
    else:
        write_text(*render(report), *leftovers.lines(kept))
    return int(report.overall.level)


def _size(n: float | None) -> str:
    return "-" if n is None else units.size(n)


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return _("never")

    return _("{hours} ago").format(hours=hours(max(0.0, (now - when).total_seconds() / 3600)))


def render(report: StatusReport) -> list[str]:
    """The human report, every line within 80 columns."""
    now = report.generated_at
    lines = [
        f"{report.overall.word:4}  {now:%Y-%m-%d %H:%M}  "
        + _("backups in {dir}").format(dir=_fit(str(report.backup_dir), 44))
    ]
    if report.overall.reason:
        lines.append(_wrap(f"      {shown(report.overall.reason)}"))
    lines += [
        "",
        f"{_('TIER'):8} {_('HEALTH'):6} {_('NEWEST GOOD'):16} {_('AGE'):>7} {_('FILES'):>5} {_('SIZE'):>10}  "
        + _("VERIFIED"),
    ]
    for t in report.tiers:
        e = t.newest_good
        newest = f"{e.taken_at:%Y-%m-%d %H:%M}" if e else _("none")
        age = hours(max(0.0, (now - e.taken_at).total_seconds() / 3600)) if e and e.taken_at else "-"
        verified = "-" if e is None else ("FAILED" if e.verify_ok is False else _ago(e.last_verified_at, now))
        lines.append(
            f"{_(t.tier):8} {t.health.word:6} {newest:16} {age:>7} {t.backups:>5} {_size(t.size):>10}  {verified}"
        )
    states = [f"{n} {_(s.word)}" for s, n in report.counts.items() if n]
    lines += ["", _("files:    ") + (", ".join(states) if states else _("none"))]
    space = report.disk.space
    if space:
        lines.append(
            _("volume:   {used} used of {total}, {free} free; backups {backups}").format(
                used=_size(space.used),
                total=_size(space.total),
                free=_size(space.free),
                backups=_size(report.disk.backup_bytes),
            )
        )
    growth = report.disk.growth_per_day
    if growth is not None:
        days = report.disk.days_left
        lasts = (
            ""
            if days is None
            else (
                _(", full in about {days} days").format(days=f"{days:.0f}") if days < 3650 else _(", lasts for years")
            )
        )
        trend = _("growth:   grows by {size}/day") if growth >= 0 else _("growth:   shrinks by {size}/day")
        lines.append(trend.format(size=_size(abs(growth))) + lasts)
    db = report.database
    lines.append(
        _("database: {target}  ").format(target=_fit(db.target or "-", 56))
        + (_size(db.size) if db.problem is None else "FAIL")
    )
    lines += [_wrap(_("offsite:  {line}").format(line=_offsite_line(t, now))) for t in report.offsite]
    if report.running:
        lines.append(_("running:  {job}").format(job=report.running))
    problems = report.problems
    if problems:
        lines += ["", _("problems:")] + [_wrap(f"  {h.word:4} {h.subject}: {shown(h.reason)}") for h in problems]
    return lines


def _offsite_line(t: TargetReport, now: datetime) -> str:
    """``primary: 12 backups, newest 3 h ago, 2 not pushed`` (or FAIL: its reason is under problems)."""
    if t.problem:
        return f"{t.name}: FAIL"
    newest = t.newest_any
    line = ngettext("{n} backup, newest {age}", "{n} backups, newest {age}", t.backups).format(
        n=t.backups, age=_ago(newest.when if newest else None, now)
    )
    lag = _(", {hours} behind").format(hours=hours(t.lag_hours)) if t.lag_hours else ""
    missing = _(", {n} not pushed").format(n=t.missing) if t.missing else ""
    return f"{t.name}: {line}{lag}{missing}"


def _fit(text: str, width: int) -> str:
    """Keep the end of a long path or target (the part that tells them apart)."""
    return text if len(text) <= width else "..." + text[-(width - 3) :]


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, 79, subsequent_indent=" " * 7))
