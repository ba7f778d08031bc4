"""Bad input through the real CLI: one sentence on stderr, a non-zero exit, never a traceback."""

import json
import os
import shlex
import subprocess
import sys
from importlib import resources

import pytest

SECRET = "SECRET123"


def cli(*args, env=None, shell_tail=None):
    """Run ``python -m citaplanner_tui ARGS`` with no terminal; optionally piped into ``shell_tail``.

    Piped, the command's own exit code comes back as a last ``rc=N`` line on stderr.
    """
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CITAPLANNER_TUI_CONFIG")}
    full_env["XDG_CONFIG_HOME"] = "/nonexistent/citaplanner-tui-tests"  # no config file by default
    full_env.update(env or {})
    command = [sys.executable, "-m", "citaplanner_tui", *args]
    if shell_tail:
        line = " ".join(map(shlex.quote, command)) + f' | {shell_tail}; echo "rc=${{PIPESTATUS[0]}}" >&2'
        return subprocess.run(
            ["bash", "-c", line], capture_output=True, text=True, env=full_env, stdin=subprocess.DEVNULL, timeout=60
        )
    return subprocess.run(command, capture_output=True, text=True, env=full_env, stdin=subprocess.DEVNULL, timeout=60)


def one_sentence(result, *needles):
    err = result.stderr.strip()
    assert result.returncode != 0, result
    assert "Traceback" not in err and "Error:" not in err, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("citaplanner-tui: "), err
    for needle in needles:
        assert needle in err, err
    return err


def test_a_config_file_that_is_not_utf8_is_one_sentence(tmp_path):
    config = tmp_path / "c.toml"
    config.write_bytes(b"\xff\xfe")
    err = one_sentence(cli("--config", str(config), "status", "--backup-dir", str(tmp_path)), str(config))
    assert "UTF-8" in err


@pytest.mark.parametrize("command", [["status"], ["backup"], ["seed", "plan"]])
def test_a_malformed_ipv6_host_is_one_sentence_without_the_password(tmp_path, command):
    url = f"postgresql://x:{SECRET}@[::1/y"
    result = cli("--backup-dir", str(tmp_path), *command, env={"DATABASE_URL": url})
    said = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in said, said
    assert "the connection string is not a valid URL" in said, said
    assert SECRET not in said and "[::1" not in said
    if command != ["status"]:  # status reports it as the database's FAIL line instead
        one_sentence(result)


def test_a_malformed_ipv6_host_is_refused_by_the_parser_for_the_console():
    from citaplanner_tui.core.errors import ConfigError
    from citaplanner_tui.core.pg.conninfo import parse, redact

    with pytest.raises(ConfigError) as caught:
        parse(f"postgresql://x:{SECRET}@[::1/y")
    assert SECRET not in caught.value.sentence
    assert redact(f"postgresql://x:{SECRET}@[::1/y") == "<unparseable connection string>"


def _seed_file(tmp_path, change):
    doc = json.loads(resources.files("citaplanner_tui.core.seed").joinpath("definition.json").read_text("utf-8"))
    change(doc)
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(doc), "utf-8")  # Python writes and reads NaN and Infinity in JSON
    return path


@pytest.mark.parametrize(
    "field,value,needle",
    [
        ("day", 99999999, "appointments[0].day"),
        ("day", -99999999, "appointments[0].day"),
    ],
)
def test_seed_plan_refuses_out_of_range_day_offsets(tmp_path, field, value, needle):
    path = _seed_file(tmp_path, lambda d: d["appointments"][0].__setitem__(field, value))
    one_sentence(
        _plan(tmp_path, path),
        needle,
    )


def _plan(tmp_path, seed_file):
    """``seed plan --seed-file`` against a server that is never reached: the file is refused first."""
    return cli(
        "--backup-dir",
        str(tmp_path),
        "seed",
        "plan",
        "--seed-file",
        str(seed_file),
        env={"DATABASE_URL": "postgresql://u@127.0.0.1:1/x"},
    )


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_seed_plan_refuses_non_finite_prices(tmp_path, value):
    path = _seed_file(tmp_path, lambda d: d["services"][0].__setitem__("price", value))
    one_sentence(
        _plan(tmp_path, path),
        "services[0].price",
        "finite",
    )


def test_a_non_finite_fallback_amount_is_refused():
    from citaplanner_tui.core.errors import OperatorError
    from citaplanner_tui.core.seed.data import build_definition

    doc = json.loads(resources.files("citaplanner_tui.core.seed").joinpath("definition.json").read_text("utf-8"))
    doc["payments"]["fallbackAmount"] = float("nan")
    with pytest.raises(OperatorError, match="fallbackAmount"):
        build_definition(doc, "test")


def test_an_explicit_config_path_that_does_not_exist_is_refused(tmp_path):
    missing = tmp_path / "nonexist.toml"
    one_sentence(cli("--config", str(missing), "--backup-dir", str(tmp_path), "status"), str(missing))
    one_sentence(
        cli("--backup-dir", str(tmp_path), "status", env={"CITAPLANNER_TUI_CONFIG": str(missing)}),
        str(missing),
        "CITAPLANNER_TUI_CONFIG",
    )


def test_the_default_config_path_missing_is_fine(tmp_path):
    done = cli("--backup-dir", str(tmp_path), "status", "--json", env={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert "config file" not in done.stderr, done.stderr
    assert json.loads(done.stdout)["backup_dir"] == str(tmp_path)


def test_demo_with_a_subcommand_is_refused(tmp_path):
    result = cli("--demo", "status")
    one_sentence(result, "--demo opens the console", "drop --demo ")
    assert result.returncode == 2 and result.stdout == ""
    reset = cli("--reset", "status")
    one_sentence(reset, "--demo opens the console", "drop --reset ")
    assert reset.returncode == 2 and reset.stdout == ""


def test_the_no_terminal_sentence_names_the_program_once():
    err = one_sentence(cli())
    assert err.count("citaplanner-tui: ") == 1 and "citaplanner-tui: citaplanner-tui" not in err


def _piped(args, env):
    """The command's run into a reader that has already gone: every write meets a closed pipe."""
    return cli(*args, env=env, shell_tail="true")


def _assert_pipe_closed_cleanly(piped, whole):
    lines = piped.stderr.strip().splitlines()
    assert "Traceback" not in piped.stderr and "Exception ignored" not in piped.stderr, piped.stderr
    assert "BrokenPipe" not in piped.stderr, piped.stderr
    assert lines[-1] in (f"rc={whole.returncode}", "rc=141"), piped.stderr
    assert lines[:-1] == whole.stderr.strip().splitlines(), piped.stderr


def test_status_piped_into_a_closed_reader_exits_with_its_own_code(tmp_path):
    args, env = ["--backup-dir", str(tmp_path), "status"], {"DATABASE_URL": "postgresql://u@127.0.0.1:1/x"}
    whole = cli(*args, env=env)
    assert whole.stdout and whole.returncode == 2, whole
    _assert_pipe_closed_cleanly(_piped(args, env), whole)
    head = cli(*args, env=env, shell_tail="head -c 10")
    assert head.stdout == whole.stdout[:10] and "Traceback" not in head.stderr


def test_verify_seed_plan_and_help_piped_into_a_closed_reader_exit_cleanly(app_db, tmp_path):
    env = {"DATABASE_URL": app_db.url}
    made = cli("--backup-dir", str(tmp_path), "backup", env=env)
    assert made.returncode == 0, made.stderr
    for args in (
        ["--backup-dir", str(tmp_path), "verify"],
        ["--backup-dir", str(tmp_path), "seed", "plan"],
        ["--help"],
    ):
        whole = cli(*args, env=env)
        assert whole.stdout, whole
        _assert_pipe_closed_cleanly(_piped(args, env), whole)
