"""``citaplanner-tui``: the console when run in a terminal, headless subcommands otherwise.

Each subcommand lives in its own module under ``cli/`` and exposes ``ORDER`` (its place
in --help) and ``register(sub)``, which adds its parser and sets
``run(args, settings) -> int`` as the handler; modules are found by discovery, so
adding a command touches no shared list.
Every ``OperatorError`` becomes one sentence on stderr and its exit code.

Two imports wait inside functions, for start-up time: the console (Textual) only when the
console starts, and the restore engine (psycopg) only when a swap journal is there to
finish; ``--help``, cron's commands and their bad-argument sentences never load them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from typing import TYPE_CHECKING

import citaplanner_tui.cli as package
from citaplanner_tui import __version__
from citaplanner_tui.core import i18n
from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import N_, _, shown
from citaplanner_tui.core.settings import AGE_IDENTITY_ENV
from citaplanner_tui.core.settings import load as load_settings

if TYPE_CHECKING:
    from citaplanner_tui.core.settings import Settings

HEADLESS_HINT = N_(
    "the console needs a terminal; for scripts and cron use "
    "'citaplanner-tui status', 'backup', 'verify', 'restore', 'drill' or 'seed plan'"
)
# argparse's own words (``usage:``, ``options``, its errors), translated by our catalog (``_argparse_speaks``).
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("expected one argument"),
    N_("invalid %(type)s value: %(value)r"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citaplanner-tui",
        description=_("Operator console for CitaPlanner's database: backups, checks, restores, seed."),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_settings_flags(parser, default=None)
    parser.add_argument(
        "--demo", action="store_true", help=_("open the console on an embedded demo server with sample data")
    )
    parser.add_argument("--reset", action="store_true", help=_("with --demo: start the demo over"))
    sub = parser.add_subparsers(dest="command", metavar=_("COMMAND"))
    for module in _command_modules():
        module.register(sub)
    # Operators type `citaplanner-tui backup --backup-dir X` as often as the other order.
    for subparser in sub.choices.values():
        _add_settings_flags(subparser, default=argparse.SUPPRESS)
    return parser


def _add_settings_flags(parser: argparse.ArgumentParser, default: object) -> None:
    """The settings flags, accepted before or after the subcommand.

    On subcommands the default is SUPPRESS, so a flag given before the subcommand
    is not overwritten by the subcommand's unset one.
    """
    group = parser.add_argument_group(_("settings"))
    group.add_argument("--database-url", default=default, help=_("connection string (default: $DATABASE_URL)"))
    group.add_argument(
        "--backup-dir", default=default, help=_("backup volume (default: $BACKUP_DIR or /backup-citaplanner)")
    )
    group.add_argument("--log-dir", default=default, help=_("log folder (default: $LOG_DIR or BACKUP_DIR/logs)"))
    group.add_argument("--pg-bindir", default=default, help=_("folder holding pg_dump and psql to use"))
    group.add_argument("--config", dest="config_file", default=default, help=_("TOML settings file"))
    group.add_argument("--read-only", action="store_true", default=default, help=_("disable every action that writes"))
    group.add_argument(
        "--lang",
        default=default,
        help=_("language of the messages, en or es (default: $CITAPLANNER_TUI_LANG, the locale, lang in the config)"),
    )
    group.add_argument(
        "--age-identity",
        metavar="FILE",
        default=default,
        help=_("age identity file that decrypts encrypted backups (default: ${env})").format(env=AGE_IDENTITY_ENV),
    )


def _command_modules() -> list:
    modules = [
        importlib.import_module(f"{package.__name__}.{info.name}") for info in pkgutil.iter_modules(package.__path__)
    ]
    return sorted((m for m in modules if hasattr(m, "register")), key=lambda m: m.ORDER)


def settings_from(args: argparse.Namespace) -> Settings:
    if getattr(args, "age_identity", None):  # the process's identity: the engine's readers and console jobs use it
        os.environ[AGE_IDENTITY_ENV] = os.path.abspath(args.age_identity)
    flags = {
        k: getattr(args, k, None)
        for k in ("database_url", "backup_dir", "log_dir", "pg_bindir", "config_file", "read_only")
    }
    for tier in ("daily", "weekly", "monthly"):
        flags[f"keep_{tier}"] = getattr(args, f"keep_{tier}", None)
    return load_settings(flags)


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code, also when its reader (``| head``) went away early.

    A closed pipe is the reader's choice, not a failure: the rest of the output goes to
    devnull (so the interpreter's last flush cannot print "Exception ignored") and the exit
    code is the command's own, or 141 (SIGPIPE's) if it was cut off before it returned.
    """
    code = 141
    try:
        code = _run(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return code


def _run(argv: list[str] | None) -> int:
    try:
        i18n.activate(_language(argv))
    except OperatorError as exc:
        print(f"citaplanner-tui: {exc.sentence}", file=sys.stderr)
        return exc.exit_code
    _argparse_speaks()
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = None
    try:
        if args.command is None:
            return _console(args)
        if args.demo or args.reset:
            given = " and ".join(f for f, on in (("--demo", args.demo), ("--reset", args.reset)) if on)
            raise OperatorError(
                _(
                    "--demo opens the console on the demo and takes no subcommand; drop {given} "
                    "to run {command} on your settings"
                ).format(given=given, command=args.command),
                exit_code=2,
            )
        settings = settings_from(args)
        _say(_recover(settings))
        return int(args.run(args, settings) or 0)
    except OperatorError as exc:
        print(f"citaplanner-tui: {shown(exc.sentence)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        left = _recover(settings) if settings is not None else None  # a swap journal is the one thing to check
        said = [shown(s) for s in (getattr(exc, "sentence", None), left) if s]  # a restore says what it undid
        _say(
            _("interrupted; {what}").format(what="; ".join(said))
            if said
            else _("interrupted; nothing was left half-written")
        )
        return 130


def _language(argv: list[str] | None) -> str:
    """``--lang`` (before or after the subcommand), then the environment, then the config's ``lang``.

    Chosen before the parser is built, so ``--help`` speaks it too.  A config file that cannot be
    read says nothing here: the command reports it, in the language chosen so far.
    """
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang")
    early.add_argument("--config", dest="config_file")
    known, _rest = early.parse_known_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load_settings({"config_file": known.config_file}).lang
    except OperatorError:
        config = None
    return i18n.choose(known.lang, os.environ, config)


def _argparse_speaks() -> None:
    """argparse looks its words up with ``gettext.gettext`` in a domain we have no ``.mo`` for: ours instead."""
    argparse._ = i18n._  # type: ignore[attr-defined]
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]


def _recover(settings: Settings) -> str | None:
    """Finish or undo a restore step a killed run left half-done; its one sentence, or None.

    Only a journal file there costs an import of the restore engine (core/restore/journal.py).
    """
    if not (settings.state_dir / "swap-journal.json").exists():
        return None
    from citaplanner_tui.core.restore import recover

    return recover(settings)


def _say(sentence: str | None) -> None:
    if sentence:
        print(f"citaplanner-tui: {shown(sentence)}", file=sys.stderr)


def _console(args: argparse.Namespace) -> int:
    if args.reset and not args.demo:
        raise OperatorError(_("--reset only goes with --demo"))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise OperatorError(_(HEADLESS_HINT), exit_code=2)
    from citaplanner_tui.tui.launch import launch

    return launch(args, settings_from(args))
