"""The command line: settings flags on either side of the subcommand, no TTY refusal."""

import subprocess
import sys

from citaplanner_tui.cli.main import build_parser, settings_from


def test_settings_flags_work_before_and_after_the_subcommand(tmp_path):
    before = build_parser().parse_args(["--backup-dir", str(tmp_path), "status"])
    after = build_parser().parse_args(["status", "--backup-dir", str(tmp_path), "--read-only"])
    assert settings_from(before).backup_dir == tmp_path
    assert settings_from(after).backup_dir == tmp_path and settings_from(after).read_only
    assert settings_from(before).read_only is False


def test_console_without_a_terminal_names_the_headless_commands():
    result = subprocess.run(
        [sys.executable, "-m", "citaplanner_tui"], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60
    )
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and "citaplanner-tui status" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_read_only_refuses_every_write_command_in_one_sentence(tmp_path, capsys):
    from citaplanner_tui.cli.main import main

    (tmp_path / "daily").mkdir()
    dummy = tmp_path / "daily" / "citaplanner_daily_20261127_020000.sql.gz"
    commands = [
        ["backup"],
        ["prune"],
        ["restore", str(dummy), "--confirm", "x"],
        ["drill"],
        ["seed", "apply", "--confirm", "x"],
    ]
    for command in commands:
        code = main(
            [
                "--read-only",
                "--backup-dir",
                str(tmp_path),
                "--database-url",
                "postgresql://u:secretpw@127.0.0.1:1/x",
                *command,
            ]
        )
        err = capsys.readouterr().err
        assert code != 0, command
        assert "read-only mode is on" in err and "secretpw" not in err, (command, err)
        assert len(err.strip().splitlines()) == 1, (command, err)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["daily"]
