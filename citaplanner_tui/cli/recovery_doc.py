"""``citaplanner-tui recovery-doc``: write (or print) BACKUP_DIR/RECOVERY.md now.

Every backup rewrites it; this is for a volume whose settings changed since (a new
recipient, another database) or to read it without opening the volume.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from citaplanner_tui.cli.output import write_json, write_text
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import _

if TYPE_CHECKING:
    from citaplanner_tui.core.settings import Settings

ORDER = 65


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "recovery-doc",
        help=_("write BACKUP_DIR/RECOVERY.md: restoring by hand, with standard tools only"),
        description=_(
            "Write the page of numbered steps (find, check, decrypt, restore a backup with "
            "sha256sum, age, gunzip/zstd and psql) generated from the settings, without any secret."
        ),
    )
    p.add_argument("--print", action="store_true", help=_("print it on stdout instead of writing it"))
    p.add_argument("--json", action="store_true", help=_("print where it was written as JSON"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from citaplanner_tui.core import recovery_doc

    if args.print:
        write_text(recovery_doc.render(settings))
        return 0
    try:
        path = recovery_doc.write(settings)
    except OSError as exc:
        raise OperatorError(
            _("cannot write {path}: {why}").format(path=recovery_doc.path_for(settings), why=exc.strerror)
        ) from None
    if args.json:
        write_json({"written": str(path)})
    else:
        write_text(_("wrote {path}").format(path=path))
    return 0
