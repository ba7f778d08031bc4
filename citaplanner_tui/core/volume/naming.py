"""Backup file names: the old script's and ours are the same shape.

``citaplanner_<tier>_<YYYYMMDD>_<HHMMSS>.sql.gz`` (or ``.sql.zst`` for the opt-in zstd
format) in ``BACKUP_DIR/<tier>/``, with a ``<name>.sha256`` sidecar beside it.  The
timestamp is local time, as ``date +%Y%m%d_%H%M%S`` wrote it.  With ``[encryption]``
the compressed dump is age-encrypted and the name says so: ``.sql.gz.age`` /
``.sql.zst.age`` (``core/stream/age.py``); everything keyed by name (catalog, tiers,
retention, prune, status) sees them as backups like the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

# Rotated tiers (the old script's), then ours: "manual" (taken on demand, kept by
# rotation) and "safety" (taken before a restore, never rotated automatically).
ROTATED_TIERS = ("daily", "weekly", "monthly")
TIERS = ROTATED_TIERS + ("manual", "safety")
FORMATS = {".sql.gz": "gzip", ".sql.zst": "zstd"}
AGE_SUFFIX = ".age"
SIDECAR_SUFFIX = ".sha256"
# Other files of the same backup, named after its dump: what it holds (``core/volume/manifest.py``)
# and the roles saved with ``--with-globals``.  They live and go with the dump.
MANIFEST_SUFFIX = ".manifest.json"
GLOBALS_SUFFIX = ".globals.sql"
# The roles are encrypted like the dump when backups are (".globals.sql.age").
COMPANION_SUFFIXES = (MANIFEST_SUFFIX, GLOBALS_SUFFIX, GLOBALS_SUFFIX + AGE_SUFFIX)
PARTIAL_SUFFIX = ".partial"
STAMP = "%Y%m%d_%H%M%S"

_NAME = re.compile(
    r"^citaplanner_(?P<tier>" + "|".join(TIERS) + r")_(?P<stamp>\d{8}_\d{6})(?P<ext>\.sql\.(?:gz|zst)(?:\.age)?)$"
)


@dataclass(frozen=True)
class BackupName:
    """A parsed backup file name."""

    tier: str
    taken_at: datetime
    ext: str = ".sql.gz"

    @cached_property
    def filename(self) -> str:
        # Cached: views over a 5,000-backup catalog ask for it tens of thousands of times.
        return f"citaplanner_{self.tier}_{self.taken_at.strftime(STAMP)}{self.ext}"

    @property
    def sidecar(self) -> str:
        return self.filename + SIDECAR_SUFFIX

    @property
    def partial(self) -> str:
        return self.filename + PARTIAL_SUFFIX

    @property
    def compression(self) -> str:
        """``gzip`` or ``zstd``: how the dump inside is compressed (under any encryption)."""
        return FORMATS[self.ext.removesuffix(AGE_SUFFIX)]

    @property
    def encrypted(self) -> bool:
        """Encrypted with age after compression (``.sql.gz.age``)."""
        return self.ext.endswith(AGE_SUFFIX)

    def for_tier(self, tier: str) -> BackupName:
        """The same dump filed under another tier (weekly/monthly share the daily's dump)."""
        return BackupName(tier, self.taken_at, self.ext)


def parse_name(filename: str) -> BackupName | None:
    """The parsed name, or None if the file is not one of ours (or has an impossible date)."""
    match = _NAME.match(filename)
    if not match:
        return None
    s = match["stamp"]
    try:  # by hand: strptime costs ~10 us a call, most of a 10,000-file catalog scan
        taken = datetime(int(s[0:4]), int(s[4:6]), int(s[6:8]), int(s[9:11]), int(s[11:13]), int(s[13:15]))
    except ValueError:
        return None
    return BackupName(match["tier"], taken, match["ext"])


def make_name(tier: str, taken_at: datetime, fmt: str = "gzip", *, encrypted: bool = False) -> BackupName:
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}")
    ext = {v: k for k, v in FORMATS.items()}[fmt] + (AGE_SUFFIX if encrypted else "")
    return BackupName(tier, taken_at.replace(microsecond=0, tzinfo=None), ext)
