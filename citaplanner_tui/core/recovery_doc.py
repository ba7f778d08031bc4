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

from datetime import datetime
from pathlib import Path

from citaplanner_tui import __version__
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


def render(settings: Settings, *, now: datetime | None = None) -> str:
    """The page, from ``settings`` and what is on the volume now."""
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
    out = [
        "# Recovering CitaPlanner's database without citaplanner-tui",
        "",
        f"Written by citaplanner-tui {__version__} at {at}, from its settings; it is rewritten after "
        "every backup. It holds no password and no key. Every command below is a standard tool: "
        "`sha256sum` (coreutils), `gunzip` or `zstd`, "
        + ("`age`, " if recipients or encrypted else "")
        + "`createdb` and `psql` (PostgreSQL's client, the server's major version or newer).",
        "",
        "## What is where",
        "",
        f"- Backups live in `{settings.backup_dir}`, one folder per tier: "
        + ", ".join(f"`{t}/`" for t in TIERS)
        + " (`safety/` holds the backup taken just before each restore).",
        "- Each backup is one file named `citaplanner_<tier>_<YYYYMMDD>_<HHMMSS>.sql.gz` (`.sql.zst` when "
        "compressed with zstd; `.age` added when encrypted), in the local time of the backup; weekly and "
        "monthly are the same dump as that day's daily.",
        f"- Beside it: `<file>{SIDECAR_SUFFIX}` (its SHA-256, for `sha256sum -c` inside the folder), "
        f"`<file>{MANIFEST_SUFFIX}` (JSON: when, from which server, the rows of every table, the "
        "newest Prisma migration)"
        + (
            f", and `<file>{GLOBALS_SUFFIX}` (the roles, `pg_dumpall --globals-only`)"
            if settings.backup.with_globals
            else ""
        )
        + ".",
        f"- The database: `{db}` on `{host}` port {port}, used by the app as the role `{user}`; the password is "
        "the one in the app's `DATABASE_URL` (psql asks for it, or set `PGPASSWORD`).",
    ]
    if recipients:
        out += [
            "- Backups are encrypted with age (compressed first, then encrypted) to these recipients (public keys):",
            *[f"  - `{r}`" for r in recipients],
            "  Decrypting needs the matching identity file (`AGE-SECRET-KEY-1...`, made by `age-keygen`), which "
            "the operators keep away from this machine. Without it the backups cannot be read by anyone.",
        ]
    out += ["", *copies_section(settings), "## Steps", ""]
    step = iter(range(1, 20))
    out += [
        f"{next(step)}. Find the backup: the newest good one is named below (`ls -l {settings.backup_dir}/*/` "
        "lists them all; any other one works the same way).",
        "",
        "   ```sh",
        f'   cd "{folder}"',
        "   ```",
        "",
        f"{next(step)}. Check it is intact: this must print `{name}: OK`.",
        "",
        "   ```sh",
        f'   sha256sum -c "{name}{SIDECAR_SUFFIX}"',
        "   ```",
        "",
    ]
    test = "zstd -tq" if compressed.endswith(".zst") else "gunzip -t"
    opened = f'age -d -i {IDENTITY_PLACEHOLDER} "{name}" | {test}' if encrypted else f'{test} "{name}"'
    out += [
        f"{next(step)}. Check it "
        + ("decrypts and " if encrypted else "")
        + "decompresses to its end (silent when it does)"
        + (f", with your identity file in place of `{IDENTITY_PLACEHOLDER}`:" if encrypted else ":"),
        "",
        "   ```sh",
        f"   {opened}",
        "   ```",
        "",
    ]
    out += [
        f"{next(step)}. Create an empty database to restore into (never restore over the live one: "
        "the dump has no DROP statements). The dump was taken with `--no-owner --no-acl`, so its "
        f"objects belong to whoever loads it: load it as `{user}`, the app's role."
        + (
            f" On a new server, create the roles first, as a superuser: `{_roles(name, encrypted)} | psql -h "
            f'"{host}" -p {port} -U postgres -d postgres`.'
            if settings.backup.with_globals
            else f" On a new server, create that role first (`createuser -P {user}` as a superuser)."
        ),
        "",
        "   ```sh",
        f'   createdb {target} -O "{user}" "{restored}"',
        "   ```",
        "",
        f"{next(step)}. Load it, in one transaction (any error stops it and leaves the new database empty):",
        "",
        "   ```sh",
        f"   {source} | {psql}",
        "   ```",
        "",
        f"{next(step)}. Check the rows: compare a few tables with `rows` in `{name}{MANIFEST_SUFFIX}`.",
        "",
        "   ```sh",
        f'   psql {target} -d "{restored}" -c "SELECT count(*) FROM clients" -c "SELECT count(*) FROM appointments"',
        "   ```",
        "",
        f"{next(step)}. Switch the app over: stop it, then, connected to `postgres`, "
        f'`ALTER DATABASE "{db}" RENAME TO "{db}_old";` and `ALTER DATABASE "{restored}" RENAME TO "{db}";`, '
        f"start it again, and run its migrations if the manifest's migration is older than the app's. "
        f"Keep `{db}_old` until the restored data is confirmed.",
        "",
    ]
    return "\n".join(out)


def copies_section(settings: Settings) -> list[str]:
    """ "Where copies live": this volume, then each off-site target and how to fetch from it."""
    lines = ["## Where copies live", "", "- This volume (the folders above)."]
    for target in settings.offsite:
        endpoint = f" --endpoint-url {target.endpoint_url}" if target.endpoint_url else ""
        lock = f", each object locked for {target.object_lock_days} days" if target.object_lock_days else ""
        lines += [
            f"- `{target.url}` (off-site target `{target.name}`, region `{target.region}`{lock}), laid out as",
            "  here (`<tier>/<file>`, its `.sha256` and `.manifest.json` beside it). With the target's keys",
            "  in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, any S3 client fetches one, e.g.:",
            f"  `aws s3 cp{endpoint} {target.url.rstrip('/')}/daily/FILE .` (and `FILE.sha256`).",
        ]
    return [*lines, ""]


def _roles(name: str, encrypted: bool) -> str:
    """The command that prints the roles saved beside ``name``."""
    if encrypted:
        return f'age -d -i {IDENTITY_PLACEHOLDER} "{name}{GLOBALS_SUFFIX}{AGE_SUFFIX}"'
    return f'cat "{name}{GLOBALS_SUFFIX}"'
