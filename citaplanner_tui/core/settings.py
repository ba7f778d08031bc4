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
    [backup]
    with_globals = true
    [restore]
    keep = 3   # safety backups and parked pre-restore databases kept
    jobs = 0   # connections a swap restore or drill loads over (0: one per core; 1: one transaction)
    maintenance_work_mem_mb = 256   # per loading session, for index builds and key checks (0: the server's)
    [encryption]
    age_recipients = ["age1..."]   # public keys: backups become .sql.gz.age
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, TypeVar

import platformdirs

from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.errors import ConfigError, ReadOnly
from citaplanner_tui.core.offsite import targets as offsite_targets
from citaplanner_tui.core.pg.conninfo import ConnInfo, parse

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Table = TypeVar("_Table", bound="DataclassInstance")

APP_NAME = "citaplanner-tui"
DEFAULT_BACKUP_DIR = "/backup-citaplanner"
# The age identity file that decrypts encrypted backups (``--age-identity`` sets it for a run).
# Never a setting kept in the config: the key belongs to the operator, not the volume's host.
AGE_IDENTITY_ENV = "CITAPLANNER_TUI_AGE_IDENTITY"
MAX_WORK_MEM_MB = 2097151  # PostgreSQL's ceiling for maintenance_work_mem (2147483647 kB)


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
class BackupOptions:
    """What a backup saves besides the database: ``with_globals`` adds the roles (``pg_dumpall -g``)."""

    with_globals: bool = False


@dataclass(frozen=True)
class RestoreKeep:
    """How many restore leftovers to keep: the newest ``keep`` safety backups and parked databases;
    and ``jobs``, the connections a swap restore or a drill loads over (0: one per core; 1: serial,
    one transaction).  One per core by default: with the foreign keys validated in parallel, the
    whole swap restore of 1 GB measured 1.04x to 1.15x the plain pipe over 2 connections against
    1.32x to 1.42x serial on 2 cores (bench/restore.py, five runs, best of 2 each); 3 connections
    on 2 cores loaded no faster than 2 (0.84x the plain pipe, in a run between two at 0.79x and
    0.84x with 2).

    ``maintenance_work_mem_mb``: what each loading session may sort or hash in memory while it
    builds an index or checks a foreign key (the server's ``maintenance_work_mem``, raised for
    the load's own sessions only, never lowered; 0 keeps the server's).  At the server's
    default 64 MB the primary key of 1.2 million appointments was sorted through 52 MB of
    temporary files (34 MB at 256 MB), and the foreign keys of 500 MB of CitaPlanner data were
    checked in 2.2 s instead of 2.5 s (means of three interleaved pairs of parallel loads)."""

    keep: int = 3
    jobs: int = 0
    maintenance_work_mem_mb: int = 256


@dataclass(frozen=True)
class Encryption:
    """Who backups are encrypted to: age X25519 recipients (public keys, ``age1...``).

    None: backups are not encrypted.  Only public keys live here; the identity that
    decrypts is the operator's, given to restore, deep verify and drill per run.
    """

    age_recipients: tuple[str, ...] = ()


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
    lang: str = ""  # the config's ``lang``; the language is chosen by ``core.i18n.choose``
    retention: Retention = Retention()
    thresholds: Thresholds = Thresholds()
    backup: BackupOptions = BackupOptions()
    restore: RestoreKeep = RestoreKeep()
    encryption: Encryption = Encryption()
    config_file: Path | None = None
    # The daemon's sections, kept raw here and checked by core/unattended (issue 12).
    schedule: Any = field(default_factory=dict)
    notify: Any = ()
    smtp: Any = field(default_factory=dict)
    offsite: tuple[offsite_targets.Target, ...] = ()  # [[offsite]], checked by core/offsite/targets.py

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

        (Verify and status write nothing in read-only mode either: their results stay in memory.)
        """
        if self.read_only:
            raise ReadOnly(
                say(
                    "read-only mode is on, so {what} is disabled (drop --read-only or read_only = true)", what=say(what)
                )
            )

    def conninfo(self) -> ConnInfo:
        """The parsed ``DATABASE_URL`` (raises ``ConfigError`` in one sentence)."""
        return parse(self.database_url)


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("CITAPLANNER_TUI_CONFIG"):
        return Path(env["CITAPLANNER_TUI_CONFIG"])
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def _require_named_file(path: Path, named_by: str | None) -> None:
    """A config file the operator named must be there; only the default one may be missing.

    Ignoring a misspelt ``--config`` would silently drop what it says, ``read_only = true`` first.
    """
    if named_by and not path.exists():
        raise ConfigError(
            say("the config file {path} given by {named_by} does not exist", path=path, named_by=named_by)
        )


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(say("cannot read the config file {path}: {why}", path=path, why=str(exc))) from None
    except UnicodeDecodeError:  # tomllib decodes the bytes itself and lets this through
        raise ConfigError(say("cannot read the config file {path}: it is not UTF-8 text", path=path)) from None


# The file's top-level settings and their TOML types; tables are checked by ``_table``.
_TOP = {
    "database_url": str,
    "backup_dir": str,
    "log_dir": str,
    "pg_bindir": str,
    "compression": str,
    "gzip_level": int,
    "read_only": bool,
    "lang": str,
}
_TABLES = {
    "retention": Retention,
    "thresholds": Thresholds,
    "backup": BackupOptions,
    "restore": RestoreKeep,
    "encryption": Encryption,
}
# Sections the daemon reads and checks key by key itself (core/unattended), so other commands
# do not import its parsers (croniter) at start-up.
_UNATTENDED = {"schedule", "notify", "smtp"}
# Checked by their own parser, at load time like the rest (core/offsite/targets.py, no network).
_OWN_PARSER = {"offsite"}
_WORDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false", tuple: "a list of strings"}


def _type_ok(value: Any, wanted: type) -> bool:
    """TOML's own types; a bool is never a number (``daily = true`` is not 1)."""
    if isinstance(value, bool) or wanted is bool:
        return isinstance(value, bool) and wanted is bool
    if wanted is float:
        return isinstance(value, (int, float))
    if wanted is tuple:  # a TOML array of strings
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, wanted)


def _check(key: str, value: Any, wanted: type, path: Path) -> None:
    if not _type_ok(value, wanted):
        shown = str(value).lower() if isinstance(value, bool) else repr(value)
        raise ConfigError(f"{key} in the config file {path} must be {_WORDS[wanted]}, not {shown}")


def _checked(toml: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The file's settings, every key known and of its type; else one sentence naming the key.

    An unknown key is refused rather than ignored: a misspelt ``backup_dri`` would
    otherwise send backups to the default folder without a word.
    """
    for key, value in toml.items():
        if key in _TABLES:
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{key} in the config file {path} must be a table ([{key}] with its own keys), not {value!r}"
                )
            _table(key, value, _TABLES[key], path)
        elif key in _TOP:
            _check(key, value, _TOP[key], path)
        elif key not in _UNATTENDED | _OWN_PARSER:
            raise ConfigError(say("unknown setting {key} in the config file {path}", key=key, path=path))
    return dict(toml)


def _table(where: str, data: Mapping[str, Any], cls: type[DataclassInstance], path: Path) -> None:
    known = _field_types(cls)
    for key, value in data.items():
        if key not in known:
            raise ConfigError(say("unknown setting {key} in the config file {path}", key=f"{where}.{key}", path=path))
        _check(f"{where}.{key}", value, known[key], path)


def _field_types(cls: type[DataclassInstance]) -> dict[str, type]:
    """Each field's declared type (``25`` as a default does not make a field an int)."""
    names = {"int": int, "float": float, "bool": bool, "str": str, "tuple[str, ...]": tuple}
    return {f.name: names[str(f.type)] for f in fields(cls)}


def _sub(cls: type[_Table], data: Mapping[str, Any]) -> _Table:
    """A checked table as its dataclass (floats where the field is a float)."""
    types = _field_types(cls)
    return cls(**{k: types[k](v) for k, v in data.items()})


def load(flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Merge the sources; ``flags`` holds only what the operator passed (None = not given)."""
    env = os.environ if env is None else env
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    path = Path(flags["config_file"]) if flags.get("config_file") else default_config_path(env)
    _require_named_file(
        path,
        "--config"
        if flags.get("config_file")
        else "CITAPLANNER_TUI_CONFIG"
        if env.get("CITAPLANNER_TUI_CONFIG")
        else None,
    )
    toml = _checked(_read_toml(path), path)

    def pick(key: str, env_name: str | None = None, default: Any = None) -> Any:
        if key in flags:
            return flags[key]
        if env_name and env.get(env_name):
            return env[env_name]
        return toml.get(key, default)

    compression = str(pick("compression", "CITAPLANNER_TUI_COMPRESSION", "gzip"))
    if compression not in ("gzip", "zstd"):
        raise ConfigError(f"compression must be gzip or zstd, not {compression!r}")
    retention = _sub(Retention, toml.get("retention", {}))
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
        lang=str(toml.get("lang", "")),
        retention=retention,
        thresholds=_sub(Thresholds, toml.get("thresholds", {})),
        backup=_sub(BackupOptions, toml.get("backup", {})),
        restore=_restore_keep(toml),
        encryption=_encryption(toml, path),
        config_file=path,
        schedule=toml.get("schedule", {}),
        notify=toml.get("notify", ()),
        smtp=toml.get("smtp", {}),
        offsite=offsite_targets.parse(toml.get("offsite"), path),
    )


def _restore_keep(toml: Mapping[str, Any]) -> RestoreKeep:
    keep = _sub(RestoreKeep, toml.get("restore", {}))
    if keep.keep < 1:
        raise ConfigError("[restore] keep must keep at least one safety backup and parked database")
    if keep.jobs < 0:
        raise ConfigError("[restore] jobs must be 0 (one per core) or more")
    if not 0 <= keep.maintenance_work_mem_mb <= MAX_WORK_MEM_MB:
        raise ConfigError(
            f"[restore] maintenance_work_mem_mb must be 0 (the server's own) or a number of MB up to {MAX_WORK_MEM_MB}"
        )
    return keep


def _encryption(toml: Mapping[str, Any], path: Path) -> Encryption:
    """``[encryption]``, every recipient a valid age public key (a typo would lock backups away)."""
    found = _sub(Encryption, toml.get("encryption", {}))
    if found.age_recipients:
        from citaplanner_tui.core.stream.age import AgeError, Recipient  # cryptography only when encrypting

        for i, text in enumerate(found.age_recipients, 1):
            try:
                Recipient.parse(text)
            except AgeError:
                if text.strip().upper().startswith("AGE-SECRET-KEY-"):  # never echoed: it is a secret
                    raise ConfigError(
                        say(
                            "[encryption] age_recipients entry {i} in the config file {path} is an age secret "
                            "key, not a recipient: put its public key (age-keygen -y) there and keep the secret "
                            "key off this machine",
                            i=i,
                            path=path,
                        )
                    ) from None
                raise ConfigError(
                    say(
                        "[encryption] age_recipients entry {i} in the config file {path} is not an age "
                        "recipient (an age1... public key, as age-keygen -y prints it)",
                        i=i,
                        path=path,
                    )
                ) from None
    return found
