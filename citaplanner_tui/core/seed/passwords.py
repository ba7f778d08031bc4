"""Password hashes the app's ``bcryptjs`` 2.4.3 accepts: bcrypt cost 10 in ``$2a$`` form.

The ``bcrypt`` package writes ``$2b$``; for passwords under 72 bytes ``$2a$`` and ``$2b$``
compute the same hash, so swapping the prefix gives exactly what bcryptjs would have made
(bcryptjs 2.4.3 rejects nothing here but writes ``$2a$`` itself, and the seed's old rows
all start with ``$2a$10$``).
"""

from __future__ import annotations

import bcrypt

COST = 10


def hash_password(plain: str, *, salt: bytes | None = None) -> str:
    """``$2a$10$...`` for ``plain``; pass ``salt`` (from ``bcrypt.gensalt``) for a fixed result."""
    hashed = bcrypt.hashpw(plain.encode("utf-8"), salt or bcrypt.gensalt(COST)).decode("ascii")
    return "$2a$" + hashed[4:]


def check_password(plain: str, stored: str) -> bool:
    """True when ``stored`` (``$2a$`` or ``$2b$``) is the hash of ``plain``."""
    if stored.startswith("$2a$"):
        stored = "$2b$" + stored[4:]
    return bcrypt.checkpw(plain.encode("utf-8"), stored.encode("ascii"))
