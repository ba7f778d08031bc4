"""What the console does when a screen raises: a crash log and one sentence, never a traceback.

Textual's default prints a traceback with the locals of every frame (a DSN with its
password can be one of them) and the console exits 0 through ``launch``.  Instead the
traceback, without locals, goes to a file of its own in a folder only the operator can
read, and the terminal gets one sentence naming that file once it has been restored.
"""

from __future__ import annotations

import os
import traceback
from datetime import datetime
from pathlib import Path

import platformdirs

from citaplanner_tui.core.settings import APP_NAME
from citaplanner_tui.core.i18n import _

CRASH_EXIT = 70  # EX_SOFTWARE: the console itself failed, not the operator's input


def crash_dir() -> Path:
    """``$XDG_STATE_HOME/citaplanner-tui/crashes`` (platformdirs' user state dir)."""
    return Path(platformdirs.user_state_dir(APP_NAME)) / "crashes"


def write_crash_log(error: BaseException, when: datetime | None = None) -> Path:
    """Write the traceback to a new 0600 file in a 0700 folder; return its path."""
    folder = crash_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # an older folder made with a looser umask
    stamp = (when or datetime.now()).strftime("%Y%m%d_%H%M%S_%f")
    path = folder / f"crash_{stamp}.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.writelines(traceback.format_exception(error))
    return path


def crash_sentence(error: BaseException) -> str:
    """The one sentence the operator reads after a crash (the log is written here)."""
    try:
        where = _("the traceback is in {path}").format(path=write_crash_log(error))
    except OSError as exc:
        where = _("no crash log could be written ({why})").format(why=exc.strerror or exc)
    return _("citaplanner-tui stopped on an internal error ({error}); {where}.").format(
        error=type(error).__name__, where=where
    )
