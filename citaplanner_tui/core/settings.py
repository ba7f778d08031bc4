"""Settings: command-line flags, then environment, then a TOML file, then defaults.

The environment variable names are the old script's (``DATABASE_URL``, ``BACKUP_DIR``,
``LOG_DIR``) so existing deployments keep working.  The TOML file lives in
platformdirs' user config dir (``CITAPLANNER_TUI_CONFIG`` overrides the path) and uses
the same names in lower case, e.g.::

    database_url = "postgresql://citaplanner@db/citaplanner"
    backup_dir = "/backup-citaplanner"
    read_only = true
    [retention]
    daily = 7
    [thresholds]
    daily_fail_hours = 26
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from citaplanner_tui.core.errors import ConfigError

APP_NAME = "citaplanner-tui"
DEFAULT_BACKUP_DIR = "/backup-citaplanner"


@dataclass(frozen=True)
class Retention:
    """How many backups of each tier to keep (the old script's knobs, now settable)."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 6


@dataclass(frozen=True)
class Thresholds:
    """When the newest backup of a tier is too old: WARN after ``*_warn``, FAIL after ``*_fail``."""

    daily_warn_hours: float = 25
    daily_fail_hours: float = 26
    weekly_warn_hours: float = 8 * 24
    weekly_fail_hours: float = 15 * 24
    monthly_warn_hours: float = 32 * 24
    monthly_fail_hours: float = 62 * 24
    shrink_warn_ratio: float = 0.5
    disk_warn_days: float = 14
    disk_fail_days: float = 3


@dataclass(frozen=True)
class Settings:
    """Everything the engine needs to find the database, the tools and the backups."""

    database_url: str = field(default="", repr=False)
    backup_dir: Path = Path(DEFAULT_BACKUP_DIR)
    log_dir: Path | None = None
    pg_bindir: Path | None = None
    compression: str = "gzip"
    gzip_level: int = 6
    read_only: bool = False
    retention: Retention = Retention()
    thresholds: Thresholds = Thresholds()
    config_file: Path | None = None
    # The daemon's sections, kept raw here and checked by core/unattended (issue 12).
    schedule: Any = field(default_factory=dict)
    notify: Any = ()
    smtp: Any = field(default_factory=dict)

    @property
    def logs(self) -> Path:
        """``LOG_DIR``, defaulting to ``$BACKUP_DIR/logs`` as the old script did."""
        return self.log_dir if self.log_dir is not None else self.backup_dir / "logs"

    @property
    def state_dir(self) -> Path:
        """Where verify and drill results are kept, beside the backups they describe."""
        return self.backup_dir / ".citaplanner-tui"

    def require_writable(self, what: str) -> None:
        """The one read-only gate: every engine entry point that writes calls this first.

        (Verify and status still record their own results in the state file and log.)
        """
        if self.read_only:
            from citaplanner_tui.core.errors import ReadOnly

            raise ReadOnly(f"read-only mode is on, so {what} is disabled "
                           "(drop --read-only or read_only = true)")

    def conninfo(self):
        """The parsed ``DATABASE_URL`` (raises ``ConfigError`` in one sentence)."""
        from citaplanner_tui.core.conninfo import parse

        return parse(self.database_url)


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("CITAPLANNER_TUI_CONFIG"):
        return Path(env["CITAPLANNER_TUI_CONFIG"])
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from None


def _sub(cls, data: Mapping[str, Any], where: str):
    known = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise ConfigError(f"unknown setting {where}.{sorted(unknown)[0]} in the config file")
    try:
        return cls(**{k: type(getattr(cls(), k))(v) for k, v in data.items()})
    except (TypeError, ValueError):
        raise ConfigError(f"a value under [{where}] in the config file is not a number") from None


def load(flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Merge the sources; ``flags`` holds only what the operator passed (None = not given)."""
    env = os.environ if env is None else env
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    path = Path(flags["config_file"]) if flags.get("config_file") else default_config_path(env)
    toml = _read_toml(path)

    def pick(key: str, env_name: str | None = None, default: Any = None) -> Any:
        if key in flags:
            return flags[key]
        if env_name and env.get(env_name):
            return env[env_name]
        return toml.get(key, default)

    compression = str(pick("compression", "CITAPLANNER_TUI_COMPRESSION", "gzip"))
    if compression not in ("gzip", "zstd"):
        raise ConfigError(f"compression must be gzip or zstd, not {compression!r}")
    retention = _sub(Retention, toml.get("retention", {}), "retention")
    overrides = {t: flags[f"keep_{t}"] for t in ("daily", "weekly", "monthly") if f"keep_{t}" in flags}
    if overrides:
        retention = Retention(**{**retention.__dict__, **overrides})
    if min(retention.daily, retention.weekly, retention.monthly) < 1:
        raise ConfigError("retention must keep at least one backup of each tier")
    log_dir = pick("log_dir", "LOG_DIR")
    bindir = pick("pg_bindir", "PG_BINDIR")
    read_only = pick("read_only", None, False) or env.get("CITAPLANNER_TUI_READ_ONLY", "") in ("1", "true", "yes")
    try:
        gzip_level = int(pick("gzip_level", None, 6))
    except (TypeError, ValueError):
        raise ConfigError("gzip_level must be a whole number from 1 to 9") from None
    if not 1 <= gzip_level <= 9:
        raise ConfigError("gzip_level must be a whole number from 1 to 9")
    return Settings(
        database_url=str(pick("database_url", "DATABASE_URL", "")),
        backup_dir=Path(pick("backup_dir", "BACKUP_DIR", DEFAULT_BACKUP_DIR)),
        log_dir=Path(log_dir) if log_dir else None,
        pg_bindir=Path(bindir) if bindir else None,
        compression=compression,
        gzip_level=gzip_level,
        read_only=bool(read_only),
        retention=retention,
        thresholds=_sub(Thresholds, toml.get("thresholds", {}), "thresholds"),
        config_file=path,
        schedule=toml.get("schedule", {}),
        notify=toml.get("notify", ()),
        smtp=toml.get("smtp", {}),
    )
