"""DATABASE_URL parsing: everything the old sed parser got wrong, and redaction."""

import pytest

from citaplanner_tui.core.errors import ConfigError, ConnectionFailed
from citaplanner_tui.core.pg.connect import server_version
from citaplanner_tui.core.pg.conninfo import parse, redact


def test_url_without_port_uses_default():
    info = parse("postgresql://citaplanner:pw@db/citaplanner")
    assert (info.host, info.port, info.dbname, info.user) == ("db", 5432, "citaplanner", "citaplanner")


def test_percent_encoded_password_is_decoded_and_kept_out_of_argv_string():
    info = parse("postgres://u:p%40ss%3Aw%2F1@h:5433/x")
    assert info.password == "p@ss:w/1"
    assert "p@ss" not in info.conninfo() and "password" not in info.conninfo()
    assert info.env()["PGPASSWORD"] == "p@ss:w/1"


def test_prisma_schema_param_is_stripped_and_kept_as_search_path():
    info = parse("postgresql://u:pw@h:5432/x?schema=tenant_a&sslmode=require")
    assert info.schema == "tenant_a"
    assert info.params["sslmode"] == "require"
    assert "schema" not in info.conninfo()


def test_keyword_strings_work():
    info = parse("host=/run/postgresql dbname=citaplanner user=app")
    assert info.host == "/run/postgresql" and info.dbname == "citaplanner"


@pytest.mark.parametrize("bad", ["", "mysql://u:secretpw@h/x", "this is not secretpw"])
def test_bad_strings_give_one_sentence_without_the_password(bad):
    with pytest.raises(ConfigError) as err:
        parse(bad)
    message = str(err.value)
    assert "secretpw" not in message and "\n" not in message


def test_redact_hides_password():
    assert redact("postgresql://u:hunter2@h:1/x") == "u@h:1/x"
    assert "hunter2" not in redact("garbage hunter2")


def test_real_server_accepts_encoded_password_and_refuses_a_wrong_one(app_db, pg):
    assert server_version(app_db.info)[0] == 18
    with pytest.raises(ConnectionFailed, match="refused the password"):
        server_version(parse(pg.url(app_db.name, "citaplanner", "wrong")))


def test_stopped_server_is_one_sentence(pg):
    url = "postgresql://u:pw@127.0.0.1:1/x"
    with pytest.raises(ConnectionFailed, match="cannot reach the server"):
        server_version(parse(url))


def test_port_that_is_not_a_number_is_one_sentence():
    with pytest.raises(ConfigError, match="the port 'port' in the connection string is not a number"):
        parse("postgresql://u:pw@db:port/citaplanner")


@pytest.mark.parametrize("password", ["Qz7@Wk!x9", "Qz7/Wk!x9", "Qz7?Wk!x9", "Qz7#Wk!x9", "Qz7%Wk!x9"])
def test_password_needing_percent_encoding_is_named_with_no_fragment_of_it(password, tmp_path):
    from tests.support.backup import cli, cli_env

    url = f"postgresql://citaplanner:{password}@127.0.0.1:5432/citaplanner"
    with pytest.raises(ConfigError, match="must be percent-encoded in a URL") as caught:
        parse(url)
    env = cli_env(url, tmp_path / "backups")
    outputs = []
    for command in (("backup",), ("status",), ("drill",)):
        done = cli(*command, env=env)
        outputs += [done.stdout, done.stderr]
        assert "Traceback" not in done.stderr
    assert "percent-encoded" in outputs[1]  # the backup's one sentence
    logs = tmp_path / "backups" / "logs"
    outputs += [p.read_text() for p in logs.iterdir()] if logs.exists() else []
    text = "\n".join(outputs + [caught.value.sentence])
    leaked = {password[i : i + 3] for i in range(len(password) - 2)} & {text[i : i + 3] for i in range(len(text) - 2)}
    assert leaked == set()


def test_encoded_special_characters_still_parse():
    info = parse("postgresql://app:s3cr%40t%2F%3F%23@db:5433/citaplanner?schema=public")
    assert info.password == "s3cr@t/?#" and info.host == "db" and info.port == 5433
