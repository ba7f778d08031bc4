"""``citaplanner-tui verify [--deep] [FILE ...]``: check backups without a database.

Exit 0 when every file passed, 1 when any failed (all are checked either way) or when
there was nothing to verify: a cron job must not report success over an empty volume.

The engine is imported inside ``run``, not at the top: building the parser imports every
command module, so ``--help`` and a bad option would otherwise load all the engines
(and psycopg, ~0.4 s) for nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from citaplanner_tui.core.i18n import _, ngettext, shown
from citaplanner_tui.cli.output import progress, write_json, write_text

if TYPE_CHECKING:
    from citaplanner_tui.core.settings import Settings

ORDER = 20


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "verify",
        help=_("check backups against their checksums (no database needed)"),
        description=_(
            "Compare every backup's SHA-256 with its .sha256 sidecar; with --deep also "
            "decompress each one to the end and check it is a complete pg_dump. "
            "Every file is checked; the exit code is 1 if any failed."
        ),
    )
    p.add_argument("files", nargs="*", metavar="FILE", help=_("backup files to check (default: all)"))
    p.add_argument("--deep", action="store_true", help=_("also decompress and check the dump's end marker"))
    p.add_argument("--json", action="store_true", help=_("print the results as JSON on stdout"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core.verify import verify

    with progress() as reporter:
        results = verify(settings, args.files or None, deep=args.deep, reporter=reporter)
    if not results:
        print(
            "citaplanner-tui: " + _("there are no backups to verify in {dir}").format(dir=settings.backup_dir),
            file=sys.stderr,
        )
        return 1
    failed = [r for r in results if not r.ok]
    if args.json:
        write_json(
            {
                "deep": args.deep,
                "checked": len(results),
                "failed": len(failed),
                "results": [r.to_json() for r in results],
            }
        )
    else:
        for r in results:
            where = _shown(r.path, settings)
            write_text(f"{'OK' if r.ok else 'FAIL':4}  {where}" + ("" if r.ok else f"\n      {shown(r.detail)}"))
        if failed:
            write_text(_("{failed} of {checked} backups FAILED").format(failed=len(failed), checked=len(results)))
        else:
            write_text(_every(len(results), args.deep))
    return 1 if failed else 0


def _every(n: int, deep: bool) -> str:
    """``all 3 backups verified``, but ``1 backup verified`` (``units.every``, in the operator's language)."""
    if deep:
        return ngettext("1 backup deep-verified", "all {n} backups deep-verified", n).format(n=n)
    return ngettext("1 backup verified", "all {n} backups verified", n).format(n=n)


def _shown(path: Path, settings: Settings) -> str:
    """``daily/NAME`` inside BACKUP_DIR's tier folders; elsewhere the whole path, never a
    misleading ``tmp/NAME``."""
    inside = path.parent.parent == Path(os.path.abspath(settings.backup_dir))
    return f"{path.parent.name}/{path.name}" if inside else str(path)
