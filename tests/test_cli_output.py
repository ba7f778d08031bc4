"""Every command that draws a progress line ends it before anything else reaches stderr,
when the work fails or is interrupted as well as when it finishes, so the error sentence
starts on a clean line instead of being glued to ``load  12.0 MiB ...``."""

from __future__ import annotations

import io
import json
import sys
from contextlib import nullcontext
from datetime import date

import pytest

from citaplanner_tui.cli import output
from citaplanner_tui.cli.main import main
from tests.support.backup import cli_env
from tests.support.restore import fill, take_backup


class Terminal(io.StringIO):
    """stderr as a terminal: every write kept apart; optionally Ctrl-C at the first drawn line."""

    def __init__(self, interrupt: bool = False):
        super().__init__()
        self.writes: list[str] = []
        self.interrupt = interrupt

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.writes.append(text)
        if self.interrupt and _is_draw(text):
            self.interrupt = False
            raise KeyboardInterrupt  # the operator's Ctrl-C while the line is on screen
        return super().write(text)


def _is_draw(text: str) -> bool:
    return text.startswith(output.CLEAR) and len(text) > len(output.CLEAR)


def _run(monkeypatch, env: dict[str, str], *argv: str, interrupt: bool = False) -> tuple[int, Terminal]:
    for key in ("DATABASE_URL", "BACKUP_DIR", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.delenv("CITAPLANNER_TUI_CONFIG", raising=False)
    terminal = Terminal(interrupt)
    monkeypatch.setattr(sys, "stderr", terminal)
    return main(list(argv)), terminal


def _assert_line_ended_before_the_sentence(terminal: Terminal, sentence: str) -> None:
    writes = terminal.writes
    draws = [i for i, w in enumerate(writes) if _is_draw(w)]
    assert draws, "no progress line was drawn: the test proves nothing"
    after = writes[draws[-1] + 1 :]
    assert after and after[0] == output.CLEAR, f"progress line left dangling: {writes[draws[-1] :][:3]!r}"
    assert sentence in "".join(after)


def test_an_interrupted_verify_ends_its_progress_line(monkeypatch, app_db, backup_dir):
    fill(app_db)
    take_backup(app_db, backup_dir)
    code, terminal = _run(monkeypatch, cli_env(app_db.url, backup_dir), "verify", "--deep", interrupt=True)
    assert code == 130
    _assert_line_ended_before_the_sentence(terminal, "citaplanner-tui: interrupted")


@pytest.mark.parametrize(
    "command, sentence",
    [
        (("drill",), "changed since it was checked"),  # the drill refuses the cut archive: not its sidecar's bytes
        (("restore", "--confirm"), "Restore plan: "),  # pre-flight refuses, the plan goes to stderr
    ],
)
def test_a_failed_drill_or_restore_ends_its_progress_line(monkeypatch, app_db, backup_dir, command, sentence):
    fill(app_db)
    archive = take_backup(app_db, backup_dir)
    archive.write_bytes(archive.read_bytes()[:-100])
    argv = [command[0], str(archive), *command[1:]] + ([app_db.name] if "--confirm" in command else [])
    code, terminal = _run(monkeypatch, cli_env(app_db.url, backup_dir), *argv)
    assert code == 1
    _assert_line_ended_before_the_sentence(terminal, sentence)


def test_json_is_one_shape_for_every_command(capsys):
    output.write_json({"name": "Salón Núñez", "when": date(2026, 1, 2)})
    out = capsys.readouterr().out
    assert out == '{\n "name": "Salón Núñez",\n "when": "2026-01-02"\n}\n'
    assert json.loads(out)["when"] == "2026-01-02"


@pytest.mark.parametrize("fails", [False, True])
def test_progress_block_ends_the_line_however_it_ends(fails):
    terminal = Terminal()
    with pytest.raises(RuntimeError) if fails else nullcontext():
        with output.progress(terminal) as reporter:
            reporter("load", 10, 100, force=True)
            if fails:
                raise RuntimeError("boom")
    assert _is_draw(terminal.writes[0]) and terminal.writes[-1] == output.CLEAR
