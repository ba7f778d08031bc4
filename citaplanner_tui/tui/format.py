"""How numbers read on screen: ages, sizes, rates, health words.

Ages are relative to the app's clock (injected in tests, so screenshots do not
drift); health is always a word plus a colour, the word alone carries the meaning
in 16 colours and with ``NO_COLOR``.  Colours are theme variables, not literals.
"""

from __future__ import annotations

from datetime import datetime

from citaplanner_tui.core.i18n import _
from citaplanner_tui.core.report import units

HEALTH_STYLE = {"OK": "bold $success", "NOTE": "bold $accent", "WARN": "bold $warning", "FAIL": "bold reverse $error"}


def health(word: str) -> str:
    """Content markup for a health word, padded to 4 cells so columns line up."""
    word = (word or "?").upper()
    return f"[{HEALTH_STYLE.get(word, 'bold')}]{word:<4}[/]"


def age(when: datetime | None, now: datetime) -> str:
    if when is None:
        return _("never")
    import humanize  # imported on first use: start-up paints before any age is shown

    return humanize.naturaltime(now - when, when=now)


def size(n: int | None) -> str:
    return _("unknown") if n is None else units.size(n)


def rate(bytes_per_s: float | None) -> str:
    return "-" if not bytes_per_s else f"{size(int(bytes_per_s))}/s"


def seconds(s: float | None) -> str:
    if s is None:
        return "-"
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def bar(fraction: float, width: int) -> str:
    """A text bar that reads without colour: filled blocks then light shade."""
    fraction = min(1.0, max(0.0, fraction))
    filled = round(fraction * width)
    return "█" * filled + "░" * (width - filled)


def short_age(when: datetime | None, now: datetime) -> str:
    """``5m``, ``3h``, ``2d``: for table columns where ``3 hours ago`` does not fit."""
    if when is None:
        return _("never")
    s = max(0, int((now - when).total_seconds()))
    for unit, width in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= width:
            return f"{s // width}{unit}"
    return f"{s}s"


def check_cell(at: datetime | None, ok: bool | None, now: datetime) -> str:
    """A verify's or drill's cell: ``never``, or how long ago and ``ok`` / ``FAILED``."""
    return _("never") if at is None else f"{short_age(at, now)} {_('ok') if ok else _('FAILED')}"
