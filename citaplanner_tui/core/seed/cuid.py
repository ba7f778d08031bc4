"""Ids in the shape Prisma's ``@default(cuid())`` gives: ``'c'`` + 24 lowercase base36 chars.

The app generates ids on the client side and the columns have no default, so every row
we insert must bring one. Like cuid v1, the id starts with the time (so new rows sort
after old ones), then a process counter, then randomness from ``secrets``.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_counter = itertools.count(secrets.randbelow(36**4))
CUID_RE = re.compile(r"^c[0-9a-z]{24}$")


def base36(number: int, width: int) -> str:
    """``number`` in base 36, left-padded to ``width`` and keeping its low ``width`` digits."""
    digits = []
    for _ in range(width):
        number, rem = divmod(number, 36)
        digits.append(_ALPHABET[rem])
    return "".join(reversed(digits))


def new_cuid() -> str:
    """A fresh cuid: 8 chars of milliseconds, 4 of counter, 12 random."""
    millis = int(time.time() * 1000)
    return "c" + base36(millis, 8) + base36(next(_counter), 4) + base36(secrets.randbelow(36**12), 12)


def is_cuid(value: str) -> bool:
    return bool(CUID_RE.match(value))
