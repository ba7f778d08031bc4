"""The ``[[offsite]]`` config: every mistake refused in one sentence at load time, credentials never shown."""

from __future__ import annotations

import pytest

from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.offsite.targets import Target, credentials, find
from citaplanner_tui.core.settings import load


def settings_from_toml(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load({"config_file": str(path)}, env={})


GOOD = """
[[offsite]]
name = "primary"
url = "s3://citaplanner-backups/prod/db/"
endpoint_url = "https://s3.example.com:9000"
region = "eu-west-1"
object_lock_days = 30
[[offsite]]
name = "second"
url = "s3://other-bucket"
"""


def test_targets_are_read_whole(tmp_path):
    first, second = settings_from_toml(tmp_path, GOOD).offsite
    assert first == Target("primary", "citaplanner-backups", "prod/db", "https://s3.example.com:9000", "eu-west-1", 30)
    assert first.key("daily/x.sql.gz") == "prod/db/daily/x.sql.gz" and first.url == "s3://citaplanner-backups/prod/db"
    assert second.key("RECOVERY.md") == "RECOVERY.md" and second.endpoint_url is None
    assert find((first, second), "second") == (second,)


@pytest.mark.parametrize(
    "table, sentence",
    [
        ('name = "a"\nurl = "http://bucket/x"', "must look like s3://bucket/prefix"),
        ('name = "a"\nurl = "s3://Bad_Bucket/x"', "not a valid S3 bucket name"),
        ('name = "a"\nurl = "s3://bucket/a//b"', "empty, '.' or '..' part"),
        ('name = "a"\nurl = "s3://bucket/../b"', "empty, '.' or '..' part"),
        ('url = "s3://bucket"', "has no name"),
        ('name = "a"\nurl = "s3://bucket"\nendpoint_url = "ftp://x"', "must look like https://host[:port]"),
        ('name = "a"\nurl = "s3://bucket"\nobject_lock_days = 0', "must be at least 1"),
        ('name = "a"\nurl = "s3://bucket"\nobject_lock_days = "30"', "must be a whole number"),
        ('name = "a"\nurl = "s3://bucket"\nsecret_access_key = "x"', "unknown setting offsite.secret_access_key"),
        ('name = "a"\nurl = "s3://bucket"\naccess_key_id_file = "/k"', "needs both access_key_id_file"),
        ('name = "a b"\nurl = "s3://bucket"', "must be letters, digits"),
    ],
)
def test_a_bad_target_is_one_sentence(tmp_path, table, sentence):
    with pytest.raises(ConfigError, match=sentence.replace("[", r"\[").replace(".", r"\.")) as info:
        settings_from_toml(tmp_path, f"[[offsite]]\n{table}\n")
    assert "\n" not in info.value.sentence and "secret_access_key = " not in info.value.sentence


def test_duplicate_names_and_a_table_that_is_not_a_list(tmp_path):
    with pytest.raises(ConfigError, match="two \\[\\[offsite\\]\\] targets .* are named 'a'"):
        settings_from_toml(
            tmp_path, '[[offsite]]\nname = "a"\nurl = "s3://b1b"\n[[offsite]]\nname = "a"\nurl = "s3://b2b"\n'
        )
    with pytest.raises(ConfigError, match="must be a list of \\[\\[offsite\\]\\] tables"):
        settings_from_toml(tmp_path, 'offsite = "s3://x"\n')


def test_unknown_target_and_none_configured():
    with pytest.raises(ConfigError, match="no off-site target named 'nope' \\(configured: a\\)"):
        find((Target("a", "bucket"),), "nope")
    with pytest.raises(ConfigError, match="no off-site targets are configured"):
        find((), None)


def test_credentials_from_files_else_environment(tmp_path):
    (tmp_path / "id").write_text("AKIDFILE\n")
    (tmp_path / "secret").write_text("file-secret\n")
    from_files = Target("a", "bucket", access_key_id_file=tmp_path / "id", secret_access_key_file=tmp_path / "secret")
    env = {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret"}
    assert credentials(from_files, env) == ("AKIDFILE", "file-secret")
    assert credentials(Target("a", "bucket"), env) == ("AKIDENV", "env-secret")
    assert credentials(Target("a", "bucket"), {}) is None
    missing = Target("a", "bucket", access_key_id_file=tmp_path / "no", secret_access_key_file=tmp_path / "secret")
    with pytest.raises(ConfigError, match="cannot read the credentials file .*no of target 'a'"):
        credentials(missing, env)
    assert set(from_files.shown()) == {"name", "url", "endpoint_url", "region", "object_lock_days"}
