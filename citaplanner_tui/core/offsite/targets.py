"""``[[offsite]]`` targets: where off-site copies go, checked whole at start-up, no network.

::

    [[offsite]]
    name = "primary"
    url = "s3://citaplanner-backups/prod"   # bucket and optional prefix
    endpoint_url = "https://s3.example.com" # omit for AWS
    region = "us-east-1"
    object_lock_days = 30                   # optional: uploads locked (COMPLIANCE) for 30 days
    access_key_id_file = "/run/secrets/s3_key_id"          # optional; else AWS_ACCESS_KEY_ID
    secret_access_key_file = "/run/secrets/s3_secret_key"  # optional; else AWS_SECRET_ACCESS_KEY
    max_attempts = 5                        # per request, with exponential backoff
    timeout_seconds = 60                    # connect and read timeout of one request

Credentials are never part of the config itself, so the config as shown (``shown()``)
holds nothing secret.  A remote key mirrors the volume: ``<prefix>/<tier>/<file>``, with
``RECOVERY.md`` at ``<prefix>/RECOVERY.md``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.i18n import N_, say

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
# S3's bucket rules: 3-63 lower-case letters, digits, dots and hyphens, starting and ending alphanumeric.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ENDPOINT = re.compile(r"^https?://[^\s/?#@]+(:\d+)?/?$")
_KEYS = {
    "name": str,
    "url": str,
    "endpoint_url": str,
    "region": str,
    "object_lock_days": int,
    "access_key_id_file": str,
    "secret_access_key_file": str,
    "max_attempts": int,
    "timeout_seconds": float,
}


@dataclass(frozen=True)
class Target:
    """One off-site destination: a bucket and prefix on an S3-compatible server."""

    name: str
    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str = "us-east-1"
    object_lock_days: int | None = None
    access_key_id_file: Path | None = None
    secret_access_key_file: Path | None = None
    max_attempts: int = 5
    timeout_seconds: float = 60.0

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def key(self, relative: str) -> str:
        """The object key of ``relative`` (``daily/<file>``, ``RECOVERY.md``) under this target's prefix."""
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def relative(self, key: str) -> str:
        """``key`` without this target's prefix (the path the file has on the volume)."""
        return key[len(self.prefix) + 1 :] if self.prefix else key

    def shown(self) -> dict[str, Any]:
        """The target as the tool shows it: where, never with what credentials."""
        return {
            "name": self.name,
            "url": self.url,
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "object_lock_days": self.object_lock_days,
        }


def parse(raw: Any, path: Path) -> tuple[Target, ...]:
    """The ``[[offsite]]`` tables of the config file at ``path``; one sentence for the first thing wrong."""
    if raw in (None, ()):
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ConfigError(say("offsite in the config file {path} must be a list of [[offsite]] tables", path=path))
    targets = [_target(t, i, path) for i, t in enumerate(raw, 1)]
    seen: set[str] = set()
    for t in targets:
        if t.name in seen:
            raise ConfigError(
                say("two [[offsite]] targets in the config file {path} are named {name!r}", path=path, name=t.name)
            )
        seen.add(t.name)
    return tuple(targets)


def _target(table: Mapping[str, Any], number: int, path: Path) -> Target:
    where = say("[[offsite]] number {number} in the config file {path}", number=number, path=path)
    for key, value in table.items():
        wanted = _KEYS.get(key)
        if wanted is None:
            raise ConfigError(say("unknown setting offsite.{key} in {where}", key=key, where=where))
        ok = isinstance(value, (int, float)) if wanted is float else isinstance(value, wanted)
        if isinstance(value, bool) or not ok:
            raise ConfigError(
                say(
                    "offsite.{key} in {where} must be {word}, not {value!r}",
                    key=key,
                    where=where,
                    word=_word(wanted),
                    value=value,
                )
            )
    for key in ("name", "url"):
        if key not in table:
            raise ConfigError(say("{where} has no {key}", where=where, key=key))
    name = table["name"]
    if not _NAME.match(name):
        raise ConfigError(
            say("offsite name {name!r} in {where} must be letters, digits, '.', '_' or '-'", name=name, where=where)
        )
    bucket, prefix = parse_url(table["url"], say("of target {name!r}", name=name))
    endpoint = table.get("endpoint_url")
    if endpoint is not None and not _ENDPOINT.match(endpoint):
        raise ConfigError(
            say(
                "endpoint_url of target {name!r} must look like https://host[:port], not {endpoint!r}",
                name=name,
                endpoint=endpoint,
            )
        )
    lock_days = table.get("object_lock_days")
    if lock_days is not None and lock_days < 1:
        raise ConfigError(say("object_lock_days of target {name!r} must be at least 1", name=name))
    if table.get("max_attempts", 1) < 1 or table.get("timeout_seconds", 1) <= 0:
        raise ConfigError(say("max_attempts and timeout_seconds of target {name!r} must be positive", name=name))
    files = [table.get(k) for k in ("access_key_id_file", "secret_access_key_file")]
    if (files[0] is None) != (files[1] is None):
        raise ConfigError(
            say("target {name!r} needs both access_key_id_file and secret_access_key_file, or neither", name=name)
        )
    return Target(
        name=name,
        bucket=bucket,
        prefix=prefix,
        endpoint_url=endpoint.rstrip("/") if endpoint else None,
        region=table.get("region", "us-east-1"),
        object_lock_days=lock_days,
        access_key_id_file=Path(files[0]) if files[0] else None,
        secret_access_key_file=Path(files[1]) if files[1] else None,
        max_attempts=table.get("max_attempts", 5),
        timeout_seconds=float(table.get("timeout_seconds", 60.0)),
    )


def parse_url(url: str, of: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` as ``(bucket, prefix)``; a malformed one is refused in one sentence."""
    if not url.startswith("s3://"):
        raise ConfigError(say("the url {of} must look like s3://bucket/prefix, not {url!r}", of=of, url=url))
    bucket, _, prefix = url[len("s3://") :].partition("/")
    prefix = prefix.strip("/")
    if not _BUCKET.match(bucket):
        raise ConfigError(
            say(
                "the url {of} names the bucket {bucket!r}, which is not a valid S3 bucket name "
                "(3-63 lower-case letters, digits, dots and hyphens)",
                of=of,
                bucket=bucket,
            )
        )
    if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
        raise ConfigError(say("the prefix of the url {of} has an empty, '.' or '..' part: {url!r}", of=of, url=url))
    return bucket, prefix


def _word(wanted: type) -> str:
    return say({str: N_("a string"), int: N_("a whole number"), float: N_("a number")}[wanted])


def find(targets: tuple[Target, ...], name: str | None) -> tuple[Target, ...]:
    """The target named ``name`` (all of them for None); an unknown name or none configured is one sentence."""
    if not targets:
        raise ConfigError(say("no off-site targets are configured (add an [[offsite]] table to the config file)"))
    if name is None:
        return targets
    chosen = tuple(t for t in targets if t.name == name)
    if not chosen:
        known = ", ".join(t.name for t in targets)
        raise ConfigError(
            say("there is no off-site target named {name!r} (configured: {known})", name=name, known=known)
        )
    return chosen


def credentials(target: Target, env: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """``(access key id, secret)`` from the target's files, else ``AWS_*`` in the environment, else
    None (boto3's own chain: ~/.aws, instance roles)."""
    env = os.environ if env is None else env
    if target.access_key_id_file is not None and target.secret_access_key_file is not None:
        return _read_secret(target.access_key_id_file, target), _read_secret(target.secret_access_key_file, target)
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    return None


def _read_secret(path: Path, target: Target) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else say("it is not UTF-8 text")
        raise ConfigError(
            say(
                "cannot read the credentials file {path} of target {name!r}: {reason}",
                path=path,
                name=target.name,
                reason=reason,
            )
        ) from None
    if not value:
        raise ConfigError(say("the credentials file {path} of target {name!r} is empty", path=path, name=target.name))
    return value
