"""``RECOVERY.md``: how to bring a backup back with standard tools only, written beside the backups.

A backup is only as good as the knowledge of how to restore it, and the night it is
needed this tool may be gone with the host.  So every backup leaves, in ``BACKUP_DIR``,
a plain page of numbered steps generated from the real settings: where the files are
and what they are called, how to check one (``sha256sum -c``), decrypt it (``age -d``)
when it is encrypted, and load it (``gunzip | psql`` or ``zstd -d | psql``) into a new
database, with the real host, port, database, role and newest backup filled in.

No secret goes in: the connection is written from its parts without the password (psql
asks, or ``PGPASSWORD``), and the age identity is named only as "the identity file you
keep"; the recipients listed are public keys.  The off-site targets of the settings are
listed with how to download from them (never with their credentials); ``write`` replaces
the file atomically (0600), so a crash leaves the old page or the new one.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Callable

from citaplanner_tui import __version__
from citaplanner_tui.core import i18n
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.volume import catalog, private
from citaplanner_tui.core.volume.catalog import Entry
from citaplanner_tui.core.volume.naming import (
    AGE_SUFFIX,
    GLOBALS_SUFFIX,
    MANIFEST_SUFFIX,
    ROTATED_TIERS,
    SIDECAR_SUFFIX,
    TIERS,
    make_name,
)

FILENAME = "RECOVERY.md"
# Said instead of a path: the identity must not live on the machine whose disk may be lost.
IDENTITY_PLACEHOLDER = "/path/to/your-age-identity.txt"


def path_for(settings: Settings) -> Path:
    return settings.backup_dir / FILENAME


def write(settings: Settings, *, now: datetime | None = None) -> Path:
    """Write ``BACKUP_DIR/RECOVERY.md`` atomically; its path.  ``OSError`` when the volume refuses."""
    settings.require_writable("writing RECOVERY.md")
    path = path_for(settings)
    private.write_atomic(path, render(settings, now=now).encode("utf-8"))
    return path


def _example(settings: Settings) -> Entry | None:
    """The backup the steps name: the newest good one of a rotated tier, else the newest good one."""
    scanned = catalog.scan(settings)
    for tiers in (ROTATED_TIERS, TIERS):
        good = [e for t in tiers for e in scanned.backups(t) if e.is_dump and e.good]
        if good:
            return max(good, key=lambda e: (e.when, e.path.name))
    return None


def language_for(settings: Settings) -> str:
    """The page's language: ``CITAPLANNER_TUI_LANG``, the locale, then the config's ``lang``.

    Not ``--lang``: the CLI, the daemon and the console's backup job (a child process) all see
    the same environment and config, so each backup rewrites the page in the same language
    (and a push does not upload it again for having changed words only).
    """
    try:
        return i18n.choose(None, os.environ, settings.lang)
    except OperatorError:  # an unknown language stops the command before a backup gets here
        return "en"


def render(settings: Settings, *, now: datetime | None = None, lang: str | None = None) -> str:
    """The page, from ``settings`` and what is on the volume now, in ``lang`` (``language_for``).

    Only the prose is translated: every command, path and name is a field, the same in every language.
    """
    _ = i18n.translations(lang or language_for(settings)).gettext
    try:
        info = settings.conninfo()
        db, user, host, port = info.dbname, info.user, info.host, str(info.port)
    except OperatorError:  # no usable DATABASE_URL here: the steps still read, with placeholders
        db, user, host, port = "citaplanner", "citaplanner", "DB_HOST", "5432"
    recipients = settings.encryption.age_recipients
    example = _example(settings)
    if example is not None:
        name, folder = example.path.name, example.path.parent
    else:
        made = make_name("daily", now or datetime.now(), settings.compression, encrypted=bool(recipients))
        name, folder = made.filename, settings.backup_dir / "daily"
    encrypted = name.endswith(AGE_SUFFIX)
    compressed = name.removesuffix(AGE_SUFFIX)
    unpack = "zstd -dc" if compressed.endswith(".zst") else "gunzip -c"
    restored = f"{db}_restored"
    target = f'-h "{host}" -p {port} -U "{user}"'
    psql = f'psql -X -v ON_ERROR_STOP=1 --single-transaction {target} -d "{restored}"'
    source = f'age -d -i {IDENTITY_PLACEHOLDER} "{name}" | {unpack}' if encrypted else f'{unpack} "{name}"'
    at = (now or datetime.now()).isoformat(timespec="seconds")
    tools = _("`sha256sum` (coreutils), `gunzip` or `zstd`, ") + ("`age`, " if recipients or encrypted else "")
    out = [
        _("# Recovering CitaPlanner's database without citaplanner-tui"),
        "",
        _(
            "Written by citaplanner-tui {version} at {at}, from its settings; it is rewritten after "
            "every backup. It holds no password and no key. Every command below is a standard tool: "
            "{tools}`createdb` and `psql` (PostgreSQL's client, the server's major version or newer)."
        ).format(version=__version__, at=at, tools=tools),
        "",
        _("## What is where"),
        "",
        _(
            "- Backups live in `{dir}`, one folder per tier: {tiers} (`safety/` holds the backup taken just "
            "before each restore)."
        ).format(dir=settings.backup_dir, tiers=", ".join(f"`{t}/`" for t in TIERS)),
        _(
            "- Each backup is one file named `citaplanner_<tier>_<YYYYMMDD>_<HHMMSS>.sql.gz` (`.sql.zst` when "
            "compressed with zstd; `.age` added when encrypted), in the local time of the backup; weekly and "
            "monthly are the same dump as that day's daily."
        ),
        (
            _(
                "- Beside it: `<file>{sidecar}` (its SHA-256, for `sha256sum -c` inside the folder), "
                "`<file>{manifest}` (JSON: when, from which server, the rows of every table, the newest Prisma "
                "migration), and `<file>{globals}` (the roles, `pg_dumpall --globals-only`)."
            )
            if settings.backup.with_globals
            else _(
                "- Beside it: `<file>{sidecar}` (its SHA-256, for `sha256sum -c` inside the folder), "
                "`<file>{manifest}` (JSON: when, from which server, the rows of every table, the newest Prisma "
                "migration)."
            )
        ).format(sidecar=SIDECAR_SUFFIX, manifest=MANIFEST_SUFFIX, globals=GLOBALS_SUFFIX),
        _(
            "- The database: `{db}` on `{host}` port {port}, used by the app as the role `{user}`; the password "
            "is the one in the app's `DATABASE_URL` (psql asks for it, or set `PGPASSWORD`)."
        ).format(db=db, host=host, port=port, user=user),
    ]
    if recipients:
        out += [
            _("- Backups are encrypted with age (compressed first, then encrypted) to these recipients (public keys):"),
            *[f"  - `{r}`" for r in recipients],
            _(
                "  Decrypting needs the matching identity file (`AGE-SECRET-KEY-1...`, made by `age-keygen`), "
                "which the operators keep away from this machine. Without it the backups cannot be read by anyone."
            ),
        ]
    out += ["", *copies_section(settings, _), _("## Steps"), ""]
    step = iter(range(1, 20))
    out += [
        _(
            "{n}. Find the backup: the newest good one is named below (`ls -l {dir}/*/` lists them all; any "
            "other one works the same way)."
        ).format(n=next(step), dir=settings.backup_dir),
        "",
        "   ```sh",
        f'   cd "{folder}"',
        "   ```",
        "",
        _("{n}. Check it is intact: this must print `{name}: OK`.").format(n=next(step), name=name),
        "",
        "   ```sh",
        f'   sha256sum -c "{name}{SIDECAR_SUFFIX}"',
        "   ```",
        "",
    ]
    test = "zstd -tq" if compressed.endswith(".zst") else "gunzip -t"
    opened = f'age -d -i {IDENTITY_PLACEHOLDER} "{name}" | {test}' if encrypted else f'{test} "{name}"'
    check = (
        _(
            "{n}. Check it decrypts and decompresses to its end (silent when it does), with your identity "
            "file in place of `{placeholder}`:"
        )
        if encrypted
        else _("{n}. Check it decompresses to its end (silent when it does):")
    )
    out += [
        check.format(n=next(step), placeholder=IDENTITY_PLACEHOLDER),
        "",
        "   ```sh",
        f"   {opened}",
        "   ```",
        "",
    ]
    roles = (
        _(" On a new server, create the roles first, as a superuser: `{roles}`.").format(
            roles=f'{_roles(name, encrypted)} | psql -h "{host}" -p {port} -U postgres -d postgres'
        )
        if settings.backup.with_globals
        else _(" On a new server, create that role first (`{command}` as a superuser).").format(
            command=f"createuser -P {user}"
        )
    )
    out += [
        _(
            "{n}. Create an empty database to restore into (never restore over the live one: the dump has "
            "no DROP statements). The dump was taken with `--no-owner --no-acl`, so its objects belong to "
            "whoever loads it: load it as `{user}`, the app's role."
        ).format(n=next(step), user=user)
        + roles,
        "",
        "   ```sh",
        f'   createdb {target} -O "{user}" "{restored}"',
        "   ```",
        "",
        _("{n}. Load it, in one transaction (any error stops it and leaves the new database empty):").format(
            n=next(step)
        ),
        "",
        "   ```sh",
        f"   {source} | {psql}",
        "   ```",
        "",
        _("{n}. Check the rows: compare a few tables with `rows` in `{manifest}`.").format(
            n=next(step), manifest=f"{name}{MANIFEST_SUFFIX}"
        ),
        "",
        "   ```sh",
        f'   psql {target} -d "{restored}" -c "SELECT count(*) FROM clients" -c "SELECT count(*) FROM appointments"',
        "   ```",
        "",
        _(
            "{n}. Switch the app over: stop it, then, connected to `postgres`, `{park}` and `{swap}`, start it "
            "again, and run its migrations if the manifest's migration is older than the app's. Keep `{old}` "
            "until the restored data is confirmed."
        ).format(
            n=next(step),
            park=f'ALTER DATABASE "{db}" RENAME TO "{db}_old";',
            swap=f'ALTER DATABASE "{restored}" RENAME TO "{db}";',
            old=f"{db}_old",
        ),
        "",
    ]
    return "\n".join(out)


def copies_section(settings: Settings, _: Callable[[str], str] = i18n._) -> list[str]:
    """ "Where copies live": this volume, then each off-site target and how to fetch from it.

    ``_`` translates into the page's language."""
    lines = [_("## Where copies live"), "", _("- This volume (the folders above).")]
    for target in settings.offsite:
        endpoint = f" --endpoint-url {target.endpoint_url}" if target.endpoint_url else ""
        lock = (
            _(", each object locked for {days} days").format(days=target.object_lock_days)
            if target.object_lock_days
            else ""
        )
        held = _(
            "- `{url}` (off-site target `{name}`, region `{region}`{lock}), laid out as\n"
            "  here (`<tier>/<file>`, its `.sha256` and `.manifest.json` beside it). With the target's keys\n"
            "  in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, any S3 client fetches one, e.g.:\n"
            "  `{command}` (and `FILE.sha256`)."
        )
        command = f"aws s3 cp{endpoint} {target.url.rstrip('/')}/daily/FILE ."
        lines += held.format(url=target.url, name=target.name, region=target.region, lock=lock, command=command).split(
            "\n"
        )
    return [*lines, ""]


def _roles(name: str, encrypted: bool) -> str:
    """The command that prints the roles saved beside ``name``."""
    if encrypted:
        return f'age -d -i {IDENTITY_PLACEHOLDER} "{name}{GLOBALS_SUFFIX}{AGE_SUFFIX}"'
    return f'cat "{name}{GLOBALS_SUFFIX}"'
