"""Errors an operator can act on.

Every failure the operator should see is an ``OperatorError`` whose message is one
clear sentence; the CLI prints it and exits non-zero, the TUI shows it in a dialog.
Anything else is a bug and keeps its traceback.
"""


class OperatorError(Exception):
    """A failure explained in one sentence, with the exit code the CLI should use."""

    exit_code = 1

    def __init__(self, sentence: str, *, exit_code: int | None = None):
        super().__init__(sentence)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def sentence(self) -> str:
        """The sentence as it was given: a ``core.i18n.Message`` stays one, so a screen can translate it."""
        return self.args[0] if self.args and isinstance(self.args[0], str) else str(self)


class ConfigError(OperatorError):
    """Bad settings: a malformed connection string, an unknown tier, a bad path."""


class ToolError(OperatorError):
    """No usable PostgreSQL client tool (pg_dump, psql, pg_restore)."""


class ConnectionFailed(OperatorError):
    """The database server could not be reached or refused us."""


class BusyError(OperatorError):
    """Another run holds the lock."""


class ReadOnly(OperatorError):
    """A write was asked for while read-only mode is on."""


class Cancelled(OperatorError):
    """The operator cancelled a long-running job; nothing was left half-done."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or a signal stopped a step that checked what it left: ``sentence`` says what was undone."""

    def __init__(self, sentence: str):
        super().__init__(sentence)
        self.sentence = sentence
