"""Config-file mistakes are refused in one sentence naming the key; nothing is guessed."""

from __future__ import annotations

import pytest

from citaplanner_tui.core import settings
from citaplanner_tui.core.errors import ConfigError
from tests.support.backup import cli


def _load(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return settings.load({"config_file": str(path)}, env={})


@pytest.mark.parametrize(
    "text, sentence",
    [
        (
            "retention = 5\n",
            "retention in the config file .* must be a table \\(\\[retention\\] with its own keys\\), not 5",
        ),
        ("thresholds = 'x'\n", "thresholds in the config file .* must be a table"),
        ("[retention]\ndaily = true\n", "retention.daily in the config file .* must be a whole number, not true"),
        ("[retention]\ndaily = 2.5\n", "retention.daily .* must be a whole number, not 2.5"),
        ("[retention]\ndaily = '7'\n", "retention.daily .* must be a whole number, not '7'"),
        ("[retention]\nhourly = 3\n", "unknown setting retention.hourly in the config file"),
        ("[thresholds]\ndaily_warn_hours = false\n", "thresholds.daily_warn_hours .* must be a number, not false"),
        ("backup_dri = '/srv/backups'\n", "unknown setting backup_dri in the config file"),
        ("backup_dir = 5\n", "backup_dir in the config file .* must be a string, not 5"),
        ("read_only = 'no'\n", "read_only .* must be true or false, not 'no'"),
        ("gzip_level = true\n", "gzip_level .* must be a whole number, not true"),
    ],
)
def test_bad_config_is_one_sentence_naming_the_key(tmp_path, text, sentence):
    with pytest.raises(ConfigError, match=sentence) as caught:
        _load(tmp_path, text)
    assert "\n" not in caught.value.sentence


def test_good_config_keeps_its_types(tmp_path):
    loaded = _load(
        tmp_path,
        "backup_dir = '/srv/b'\nread_only = true\n[retention]\ndaily = 3\n"
        "[thresholds]\ndaily_warn_hours = 25.5\ndaily_fail_hours = 30\n",
    )
    assert loaded.retention.daily == 3 and loaded.read_only is True
    assert loaded.thresholds.daily_warn_hours == 25.5  # not cut to 25
    assert isinstance(loaded.thresholds.daily_fail_hours, float)


def test_cli_refuses_a_non_table_section_without_a_traceback(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("retention = 5\n")
    done = cli(
        "status", env={"CITAPLANNER_TUI_CONFIG": str(path), "BACKUP_DIR": str(tmp_path / "b"), "PATH": "/usr/bin:/bin"}
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("must be a table ([retention] with its own keys), not 5")


def test_the_daemons_sections_load_and_are_checked_where_the_daemon_reads_them(tmp_path):
    """[schedule], [[notify]] and [smtp] are not unknown keys; a typo inside them is still one sentence."""
    from citaplanner_tui.core.unattended import notify

    loaded = _load(
        tmp_path,
        "[schedule]\nbackup = '0 2 * * *'\n[[notify]]\nemail = 'ops@example.com'\n[smtp]\nhots = 'smtp.example.com'\n",
    )
    assert loaded.schedule == {"backup": "0 2 * * *"} and loaded.notify == [{"email": "ops@example.com"}]
    with pytest.raises(ConfigError, match="smtp"):
        notify.channels(loaded, env={})
