"""Connection strings: parse ``DATABASE_URL`` the way libpq does, and never leak its password.

The old shell script cut the URL apart with sed: no port broke it, and a password with
``@`` or ``:`` broke it.  We let libpq parse (via psycopg's conninfo functions), strip
Prisma's ``?schema=`` parameter that libpq rejects (keeping it as the search path),
and hand the password to client tools only through ``PGPASSWORD`` in their
environment, never in argv.

psycopg's conninfo functions are imported where they are used, not at the top: settings
import this module on every start-up, before the console's first paint, and importing
psycopg costs ~0.4 s (design.md's performance notes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from citaplanner_tui.core.i18n import N_, say
from citaplanner_tui.core.errors import ConfigError

_URL_SCHEMES = ("postgres://", "postgresql://")
# Prisma-only query parameters that libpq does not know.
_PRISMA_ONLY = {
    "schema",
    "connection_limit",
    "pool_timeout",
    "pgbouncer",
    "socket_timeout",
    "statement_cache_size",
    "connect_timeout_ms",
}


@dataclass(frozen=True)
class ConnInfo:
    """A parsed connection target.  ``params`` never holds the password."""

    params: dict[str, str]
    password: str | None = field(default=None, repr=False)
    schema: str = "public"

    @property
    def dbname(self) -> str:
        return self.params.get("dbname") or self.user

    @property
    def user(self) -> str:
        return self.params.get("user") or "postgres"

    @property
    def host(self) -> str:
        return self.params.get("host") or "localhost"

    @property
    def port(self) -> int:
        return int(self.params.get("port") or 5432)

    def with_dbname(self, dbname: str) -> ConnInfo:
        """The same server and credentials, another database (scratch, maintenance)."""
        return replace(self, params={**self.params, "dbname": dbname})

    def conninfo(self) -> str:
        """A libpq keyword string without the password: safe to put in argv."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo("", **self.params)

    def env(self) -> dict[str, str]:
        """Environment additions for client tools: the password goes here, not in argv."""
        extra = {"PGAPPNAME": "citaplanner-tui"}
        if self.password is not None:
            extra["PGPASSWORD"] = self.password
        return extra

    def connect_kwargs(self) -> dict[str, str]:
        """Keyword arguments for ``psycopg.connect``."""
        kwargs = dict(self.params)
        kwargs.setdefault("application_name", "citaplanner-tui")
        kwargs.setdefault("connect_timeout", "10")
        if self.password is not None:
            kwargs["password"] = self.password
        return kwargs

    def redacted(self) -> str:
        """For screens and logs: ``user@host:port/db``, never the password."""
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"


_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NEEDS_ENCODING = N_(
    "the user name or password in the connection string holds a character that must be "
    "percent-encoded in a URL (@ as %40, / as %2F, ? as %3F, # as %23, % as %25, "
    "[ ] as %5B %5D, space as %20); encode it, or use libpq key=value form"
)


def _check_userinfo(url: str) -> None:
    """Refuse a URL whose user or password is not percent-encoded, before libpq parses it.

    libpq would cut such a URL at the wrong ``@`` or ``/`` and then name the pieces
    (a "host" or "port" made of half the password) in its errors and ours, so the
    sentence here names no part of the URL at all.
    """
    rest = url.split("://", 1)[1]
    authority, slash, after = rest.partition("/")
    if "@" not in authority:
        # A "/" inside the password cuts the authority short; the "@" then comes after it.
        if slash and "@" in after.split("?", 1)[0]:
            raise ConfigError(say(_NEEDS_ENCODING))
        return
    userinfo = authority.rpartition("@")[0]
    if any(c in userinfo for c in "@?#[] ") or _PERCENT.search(userinfo):
        raise ConfigError(say(_NEEDS_ENCODING))


def _strip_prisma_params(url: str) -> tuple[str, str]:
    """Remove the query parameters libpq rejects; return the clean URL and the schema."""
    try:
        parts = urlsplit(url)
    except ValueError:
        # "Invalid IPv6 URL" (an unclosed "[" host): the message is safe, but say what to fix.
        raise ConfigError(
            say("the connection string is not a valid URL: a host in [ ] must be an IPv6 address with its closing ]")
        ) from None
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema" and v), "public")
    kept = [(k, v) for k, v in query if k not in _PRISMA_ONLY]
    return urlunsplit(parts._replace(query=urlencode(kept))), schema


def parse(dsn: str) -> ConnInfo:
    """Parse a URL or keyword connection string; raise ``ConfigError`` in one sentence."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    text = (dsn or "").strip()
    if not text:
        raise ConfigError(say("no database given: set DATABASE_URL or pass --database-url"))
    schema = "public"
    if "://" in text:
        if not text.startswith(_URL_SCHEMES):
            scheme = text.split("://", 1)[0]
            raise ConfigError(
                say(
                    "the connection string uses scheme {scheme}; expected postgresql:// or postgres://",
                    scheme=repr(scheme),
                )
            )
        _check_userinfo(text)
        text, schema = _strip_prisma_params(text)
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(text).items() if v is not None}
    except ProgrammingError:
        # libpq's message echoes parts of the string, which may hold the password.
        raise ConfigError(
            say(
                "the connection string is not valid: expected postgresql://user:password@host:port/db "
                "or libpq key=value pairs"
            )
        ) from None
    password = params.pop("password", None)
    if not all(part.isdigit() or not part for part in params.get("port", "").split(",")):
        raise ConfigError(say("the port {port} in the connection string is not a number", port=repr(params["port"])))
    return ConnInfo(params=params, password=password, schema=schema)


def redact(dsn: str) -> str:
    """Redact a raw connection string for display, even one that does not parse."""
    try:
        return parse(dsn).redacted()
    except ConfigError:
        return "<unparseable connection string>"
