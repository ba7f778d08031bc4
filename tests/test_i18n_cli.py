"""The language is chosen in one order, and it never reaches what scripts read.

``--lang``, then ``CITAPLANNER_TUI_LANG``, then the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``),
then ``lang`` in the config, then English.  ``--json``, exit codes and the log file's format are
the same in every language: the commands below run twice against the real test PostgreSQL, once
in each language, and their JSON must match key for key and value for value.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from citaplanner_tui.core import i18n
from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.volume.catalog import sidecar_line
from tests.support.backup import cli, cli_env
from tests.support.catalog import old_dump
from tests.support.s3 import closed_port, config_file

LOCALE_FREE = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "", "CITAPLANNER_TUI_LANG": ""}


@pytest.fixture
def spanish():
    i18n.activate("es")
    yield
    i18n.activate("en")


@pytest.mark.parametrize(
    "flag, env, config, chosen",
    [
        (None, {}, None, "en"),
        ("es", {"CITAPLANNER_TUI_LANG": "en", "LC_ALL": "en_US.UTF-8"}, "en", "es"),
        ("en", {"CITAPLANNER_TUI_LANG": "es"}, "es", "en"),
        (None, {"CITAPLANNER_TUI_LANG": "es", "LC_ALL": "en_US.UTF-8"}, "en", "es"),
        (None, {"CITAPLANNER_TUI_LANG": "EN", "LANG": "es_MX.UTF-8"}, None, "en"),
        (None, {"LC_ALL": "es_MX.UTF-8", "LC_MESSAGES": "en_US.UTF-8", "LANG": "en_US.UTF-8"}, "en", "es"),
        (None, {"LC_MESSAGES": "es_MX.UTF-8", "LANG": "en_US.UTF-8"}, None, "es"),
        (None, {"LC_MESSAGES": "en_US.UTF-8", "LANG": "es_MX.UTF-8"}, "es", "en"),
        (None, {"LANG": "es_MX.UTF-8"}, "en", "es"),
        (None, {"LANG": "es"}, None, "es"),
        (None, {"LANG": "C.UTF-8"}, "es", "es"),  # C says nothing: the config decides
        (None, {"LC_ALL": "POSIX"}, "es", "es"),
        (None, {"LANG": "fr_FR.UTF-8"}, "es", "es"),  # a language we do not speak says nothing either
        (None, {"LANG": "fr_FR.UTF-8"}, None, "en"),
        (None, {}, "es", "es"),
    ],
)
def test_the_language_is_chosen_flag_then_variable_then_locale_then_config(flag, env, config, chosen):
    assert i18n.choose(flag, env, config) == chosen


@pytest.mark.parametrize(
    "flag, env, config, where",
    [
        ("fr", {}, None, "--lang"),
        (None, {"CITAPLANNER_TUI_LANG": "spanish"}, None, "CITAPLANNER_TUI_LANG"),
        (None, {"LANG": "C"}, "de", "lang in the config file"),
    ],
)
def test_an_unknown_language_is_one_sentence_naming_where_it_came_from(flag, env, config, where):
    with pytest.raises(ConfigError) as caught:
        i18n.choose(flag, env, config)
    assert caught.value.exit_code == 2
    assert where in caught.value.sentence and "use en or es" in caught.value.sentence


def test_spanish_counts_ages_and_core_sentences(spanish):
    from citaplanner_tui.core.report.health import tier_health
    from citaplanner_tui.core.settings import Thresholds
    from citaplanner_tui.tui import format as fmt

    now = datetime(2026, 11, 27, 12, 0)
    assert fmt.age(now - timedelta(hours=3), now) == "hace 3 horas"
    assert [i18n.ngettext("{n} old backup pruned", "{n} old backups pruned", n).format(n=n) for n in (1, 2)] == [
        "1 respaldo viejo depurado",
        "2 respaldos viejos depurados",
    ]
    verdict = tier_health("daily", now - timedelta(hours=30), now, Thresholds())
    reason = verdict.reason
    # English where scripts read it (status --json, the log), Spanish where a person does.
    assert reason == "newest good daily backup is 30 h old (limit 26 h)"
    assert json.dumps(reason) == '"newest good daily backup is 30 h old (limit 26 h)"'
    assert i18n.shown(reason) == "el último respaldo diario bueno tiene 30 h (límite 26 h)"
    assert i18n.shown(pickle.loads(pickle.dumps(reason))) == i18n.shown(reason)  # through a job's child process


def test_english_is_english_again_after_spanish():
    i18n.activate("es")
    i18n.activate("en")
    assert i18n._("Quit") == "Quit" and i18n.language() == "en"


def _run(*args, env):
    result = cli(*args, env=env)
    assert "Traceback" not in result.stderr
    return result


def test_help_and_errors_follow_the_flag_the_variable_the_locale_and_the_config(tmp_path, backup_dir):
    env = {**cli_env("postgresql://citaplanner@127.0.0.1:1/x", backup_dir), **LOCALE_FREE}
    assert "show this help message and exit" in _run("--help", env=env).stdout
    said = _run("--lang", "es", "--help", env=env).stdout
    assert said.startswith("uso: citaplanner-tui") and "mostrar esta ayuda y salir" in said
    assert "hacer un respaldo ahora" in said  # a command's help
    assert "uso: " in _run("backup", "--help", "--lang", "es", env=env).stdout  # after the subcommand too
    nothing = "no hay respaldos que verificar en"
    assert nothing in _run("verify", env={**env, "CITAPLANNER_TUI_LANG": "es"}).stderr
    assert nothing in _run("verify", env={**env, "LANG": "es_MX.UTF-8"}).stderr
    config = tmp_path / "config.toml"
    config.write_text('lang = "es"\n')
    assert nothing in _run("verify", "--config", str(config), env=env).stderr
    assert (
        "there are no backups to verify"
        in _run("verify", "--config", str(config), env={**env, "LANG": "en_US.UTF-8"}).stderr
    )


def test_the_cores_one_sentence_errors_are_spanish_on_stderr_and_keep_their_exit_codes(tmp_path, backup_dir):
    env = {**cli_env("postgresql://citaplanner@127.0.0.1:1/citaplanner", backup_dir), **LOCALE_FREE}
    archive = tmp_path / "x.sql.gz"
    archive.write_bytes(b"")
    english = _run("restore", str(archive), env=env)
    spanish = _run("--lang", "es", "restore", str(archive), env=env)
    assert english.returncode == spanish.returncode == 2
    assert english.stderr == (
        "citaplanner-tui: no --confirm was given: to restore over 'citaplanner' pass --confirm citaplanner; "
        "nothing was changed\n"
    )
    assert spanish.stderr == (
        "citaplanner-tui: no se dio --confirm: para restaurar sobre 'citaplanner' pasa --confirm citaplanner; "
        "no se cambió nada\n"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("backup_dri = 1\n")
    said = _run("--lang", "es", "status", "--config", str(bad), env=env)
    assert said.returncode == 1
    assert (
        said.stderr == f"citaplanner-tui: configuración desconocida backup_dri en el archivo de configuración {bad}\n"
    )


def test_an_unknown_language_stops_the_command_in_one_line(backup_dir):
    env = {**cli_env("postgresql://citaplanner@127.0.0.1:1/x", backup_dir), **LOCALE_FREE}
    for args, extra in ((("--lang", "fr", "status"), {}), (("status",), {"CITAPLANNER_TUI_LANG": "klingon"})):
        result = _run(*args, env={**env, **extra})
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and "unknown language" in result.stderr


# Values that change between two runs whatever the language: when the report was made, how long it took,
# and the free space of a disk other processes write to.
VOLATILE = {"generated_at", "seconds", "duration", "elapsed", "free", "used", "days_left"}


# A restore plan's scratch names carry the second it was made; its space check, the disk's free bytes.
STAMP = re.compile(r"\d{14}|\d+(\.\d+)? [KMGT]i?B")


def _steady(data):
    if isinstance(data, dict):
        return {k: ("…" if k in VOLATILE else _steady(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [_steady(v) for v in data]
    return STAMP.sub("…", data) if isinstance(data, str) else data


def test_json_and_exit_codes_are_the_same_in_both_languages(app_db, backup_dir):
    env = {**cli_env(app_db.url, backup_dir), **LOCALE_FREE}
    made = _run("backup", "--json", env=env)
    assert made.returncode == 0, made.stderr
    dump = json.loads(made.stdout)["files"][0]
    dump_name = dump.rsplit("/", 1)[-1]
    (backup_dir / "daily" / "citaplanner_daily_20200101_020000.sql.gz").write_bytes(b"not a dump")  # a bad file
    _corrupted_copy(Path(dump), "20200102")  # an older one whose bytes changed
    commands = [
        ("status", "--json"),
        ("verify", "--json"),
        ("verify", "--deep", "--json"),
        ("prune", "--dry-run", "--json"),
        ("seed", "plan", "--json"),
        ("restore", dump, "--plan", "--json"),
        ("drill", "--json"),  # the newest good backup, into a scratch database of the real server
    ]
    for command in commands:
        _run(*command, env=env)  # a first verify seals or marks the bad file: compare runs on a settled volume
        english = _run(*command, env=env)
        spanish = _run("--lang", "es", *command, env=env)
        assert english.returncode == spanish.returncode, command
        assert english.stdout.strip(), command
        assert _steady(json.loads(spanish.stdout)) == _steady(json.loads(english.stdout)), command
    # The Spanish run was Spanish where a person reads it.
    text = _run("--lang", "es", "status", env=env)
    assert "respaldos en" in text.stdout and "checksum no coincide" not in json.dumps(json.loads(english.stdout))
    assert dump_name in _run("--lang", "es", "verify", env=env).stdout
    said = _run("--lang", "es", "verify", env=env).stdout
    assert "no coincide con su archivo de suma" in said and "does not match" not in said
    assert "se restauraron" in _run("--lang", "es", "drill", env=env).stdout
    planned = _run("--lang", "es", "restore", dump, "--plan", env=env).stdout
    assert "coincide con su archivo de suma .sha256" in planned and "según registra su manifiesto: " in planned
    names = {line.split()[1] for line in planned.splitlines() if line.startswith(("  OK ", "  NOTE ", "  WARN "))}
    assert {"checksum", "destino", "bloqueo", "espacio", "cliente"} <= names, planned  # the JSON keeps them English
    assert not names & {"target", "lock", "space", "client", "rights"}, planned
    assert "tomado el " in planned and "sin tabla de migraciones de Prisma" in planned  # the manifest's line
    assert "taken " not in planned and " rows" not in planned, planned


def _corrupted_copy(dump, day):
    """A copy of ``dump`` filed on ``day`` with its own sidecar, then one byte changed: a damaged backup."""
    copy = dump.with_name(dump.name.replace(dump.name.split("_")[2], day))
    data = bytearray(dump.read_bytes())
    copy.with_name(copy.name + ".sha256").write_text(sidecar_line(copy.name, hashlib.sha256(data).hexdigest()))
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    return copy


def _one_corrupted_daily(backup_dir):
    """A volume holding one daily backup, damaged after its sidecar was written; its path."""
    daily = backup_dir / "daily"
    daily.mkdir()
    good = daily / "citaplanner_daily_20200103_020000.sql.gz"
    good.write_bytes(gzip.compress(b"-- PostgreSQL database dump\n" + b"SELECT 1;\n" * 200))
    bad = _corrupted_copy(good, "20200102")
    good.unlink()
    return bad


def test_a_corrupted_backup_is_told_in_spanish_and_its_json_stays_english(backup_dir):
    env = {**cli_env("postgresql://citaplanner@127.0.0.1:1/x", backup_dir), **LOCALE_FREE}
    bad = _one_corrupted_daily(backup_dir)
    english = _run("verify", env=env)
    spanish = _run("--lang", "es", "verify", env=env)
    spanish_json = _run("--lang", "es", "verify", "--json", env=env)
    assert english.returncode == spanish.returncode == spanish_json.returncode == 1
    assert f"{bad.name} does not match its sidecar: the file's SHA-256 is " in english.stdout
    assert f"{bad.name} no coincide con su archivo de suma: el SHA-256 del archivo es " in spanish.stdout
    assert spanish.stdout.endswith("1 de 1 respaldos FALLARON\n")
    [result] = json.loads(spanish_json.stdout)["results"]
    assert result["problem"] == "mismatch"
    assert result["detail"].startswith(f"{bad.name} does not match its sidecar: the file's SHA-256 is ")
    assert result["detail"] == english.stdout.splitlines()[1].strip()


def test_the_volumes_reasons_are_spanish_in_status_text_and_english_in_its_json(tmp_path):
    env = {**cli_env("postgresql://citaplanner@127.0.0.1:1/x", tmp_path / "gone"), **LOCALE_FREE}
    spanish = _run("--lang", "es", "status", env=env)
    unwrapped = re.sub(r"\s+", "", spanish.stdout)  # status wraps at 80 columns, even inside the path
    assert re.sub(r"\s+", "", f"la carpeta de respaldos {tmp_path / 'gone'} no existe") in unwrapped
    said = json.loads(_run("--lang", "es", "status", "--json", env=env).stdout)
    assert f"the backup folder {tmp_path / 'gone'} does not exist" in said["notes"]


def test_an_entrys_reason_is_english_and_shown_in_spanish(spanish, backup_dir):
    from citaplanner_tui.core.volume.catalog import scan

    daily = backup_dir / "daily"
    daily.mkdir()
    (daily / "citaplanner_daily_20200103_020000.sql.gz").write_bytes(gzip.compress(bytes(range(256)) * 2))
    (daily / "citaplanner_daily_20200102_020000.sql.gz").symlink_to(daily / "citaplanner_daily_20200103_020000.sql.gz")
    reasons = {e.path.name[18:26]: e.reason for e in scan(backup_dir).entries}
    assert reasons == {
        "20200103": "no .sha256 sidecar: its checksum cannot be checked",
        "20200102": "a symbolic link (never followed)",
    }
    assert i18n.shown(reasons["20200103"]) == "sin archivo de suma .sha256: no se puede verificar su checksum"
    assert i18n.shown(reasons["20200102"]) == "un enlace simbólico (nunca se sigue)"


def test_an_interrupted_swap_is_undone_and_said_in_spanish_while_the_log_keeps_english(app_db, backup_dir):
    """A journal left by a killed swap (written as the engine writes it); the next command undoes it."""
    from citaplanner_tui.core.restore.journal import Intent, Journal
    from citaplanner_tui.core.restore.swap import server_key
    from tests.support.restore import settings_for

    settings = settings_for(app_db, backup_dir)
    scratch, parked = app_db.name + "__restore_1", app_db.name + "__pre_restore_1"
    Journal(settings.state_dir).begin(Intent(app_db.name, scratch, parked, server_key(app_db.info), None))
    app_db.server.sql(f'ALTER DATABASE "{app_db.name}" WITH ALLOW_CONNECTIONS false')
    said = _run("--lang", "es", "status", "--json", env={**cli_env(app_db.url, backup_dir), **LOCALE_FREE})
    assert (
        "citaplanner-tui: se deshizo el intercambio interrumpido el " in said.stderr
        and f"así que '{app_db.name}' acepta conexiones de nuevo con sus datos anteriores, y no se eliminó nada"
        in said.stderr
    ), said.stderr
    json.loads(said.stdout)  # stdout stays the JSON alone
    logged = "".join(p.read_text() for p in settings.logs.rglob("*.log"))
    assert f"nothing had been renamed, so '{app_db.name}' accepts connections again" in logged
    assert "se deshizo" not in logged


def test_the_daemon_says_its_lines_and_alerts_in_spanish_and_logs_english(spanish, app_db, backup_dir, capsys):
    """One simulated night: the lines it prints and the webhook's text in Spanish, its log file in English."""
    from citaplanner_tui.cli.daemon import _echo
    from citaplanner_tui.core.unattended import notify, schedule
    from citaplanner_tui.core.unattended.daemon import Daemon
    from tests.support.backup import fill, settings_for
    from tests.support.unattended import FakeClock, Receiver

    fill(app_db)
    settings = settings_for(app_db, backup_dir, schedule={"backup": "0 2 * * *", "timezone": "UTC"})
    start = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
    with Receiver() as hook:
        clock = FakeClock(start, start + timedelta(hours=2), [])
        daemon = Daemon(settings, schedule.parse(settings.schedule), clock=clock, tick=3600, echo=_echo)
        daemon.notifier = notify.Notifier(
            [notify.Webhook(hook.url + "/hook", ("success",))], daemon.log.write, pause=lambda s: None
        )
        daemon.run()
        [sent] = [json.loads(r.body) for r in hook.requests]
    printed = capsys.readouterr().err
    assert "INFO daemon iniciado (pid " in printed and "siguiente Mon 2026-11-30 02:00:00" in printed
    assert "OK daemon: backup OK en " in printed and "respaldo daily" in printed
    assert printed.rstrip().endswith("INFO daemon detenido")
    assert set(sent) == {"text", "event", "job"} and (sent["event"], sent["job"]) == ("success", "backup")
    assert sent["text"].startswith("backup OK: respaldo daily")
    logged = "".join(p.read_text() for p in settings.logs.glob("backup_*.log"))
    assert "daemon started (pid " in logged and "OK daemon: backup OK in " in logged and "daemon stopped" in logged
    assert "iniciado" not in logged and "respaldo" not in logged


def test_notify_test_speaks_spanish_to_the_operator_and_the_webhook_keeps_its_keys(tmp_path, backup_dir):
    from tests.support.unattended import Receiver

    env = {**cli_env("postgresql://citaplanner@127.0.0.1:1/x", backup_dir), **LOCALE_FREE}
    config = tmp_path / "config.toml"
    with Receiver() as hook:
        config.write_text(f'[[notify]]\nwebhook = "{hook.url}/hook"\n')
        said = _run("--lang", "es", "--config", str(config), "notify", "test", env=env)
        [sent] = [json.loads(r.body) for r in hook.requests]
    assert said.returncode == 0 and said.stdout.startswith("OK   webhook 127.0.0.1:"), said.stderr
    assert set(sent) == {"text", "event", "job"} and sent["event"] == "test"
    assert sent["text"].startswith("mensaje de prueba de citaplanner-tui desde ")
    config.write_text('[[notify]]\nemail = "ops@example.com"\n')
    refused = _run("--lang", "es", "--config", str(config), "notify", "test", env=env)
    assert refused.returncode != 0
    assert refused.stderr == (
        "citaplanner-tui: [[notify]] email = 'ops@example.com' necesita una sección [smtp] con su host\n"
    )


def test_a_restores_outcome_is_english_in_json_and_spanish_where_it_is_read(spanish):
    from citaplanner_tui.core.restore.engine import Outcome

    swapped = Outcome("citaplanner", "swap", "x.sql.gz", None, "citaplanner__pre_restore_1")
    swapped.parked_differences = {"public.clients": 3, "public.users": -1}
    assert swapped.to_dict()["undo"] == (
        "the previous database is kept as 'citaplanner__pre_restore_1' (against the restored database it has "
        "+3 rows in public.clients, -1 rows in public.users); 'restore --rollback --target citaplanner "
        "--confirm citaplanner' swaps it back"
    )
    assert i18n.shown(swapped.undo) == (
        "la base de datos anterior se conserva como 'citaplanner__pre_restore_1' (frente a la base de datos "
        "restaurada tiene +3 filas en public.clients, -1 filas en public.users); 'restore --rollback --target "
        "citaplanner --confirm citaplanner' la vuelve a intercambiar"
    )
    in_place = Outcome("citaplanner", "in-place", "x.sql.gz", "/b/safety/s.sql.gz", None, writes_refused=2.04)
    assert in_place.undo.startswith("the previous data is in the safety backup /b/safety/s.sql.gz, which holds")
    assert i18n.shown(in_place.undo).startswith(
        "los datos anteriores están en el respaldo de seguridad /b/safety/s.sql.gz, que tiene cada escritura"
    )
    assert "durante 2.0 s" in i18n.shown(in_place.undo)


def test_a_verdict_kept_in_the_state_file_is_still_said_in_spanish(spanish, backup_dir):
    """The backups pane reads verify's verdict from the state file, long after the run that made it."""
    from citaplanner_tui.core.settings import Settings
    from citaplanner_tui.core.verify import verify
    from citaplanner_tui.core.volume.catalog import scan

    bad = _one_corrupted_daily(backup_dir)
    [result] = verify(Settings(backup_dir=backup_dir))
    [entry] = scan(backup_dir).backups()
    assert entry.verify_detail == result.detail == str(result.detail)  # the English text, as before
    assert i18n.shown(entry.verify_detail).startswith(f"{bad.name} no coincide con su archivo de suma: el SHA-256")
    assert i18n.shown(entry.reason) == i18n.shown(result.detail)  # the state it gives the file says it too
    state = json.loads((backup_dir / ".citaplanner-tui" / "state.json").read_text())
    [kept] = state["backups"].values()
    assert kept["verify"]["detail"] == result.detail


def _offsite_volume(tmp_path, s3, bucket, **target):
    """Two old-script dailies pushed to SeaweedFS target ``t1``; the environment (no language) to run in."""
    vol = tmp_path / "vol"
    now = datetime.now().replace(microsecond=0)
    for i in range(2):
        old_dump(vol / "daily", "daily", now - timedelta(hours=1 + 24 * i))
    config = config_file(tmp_path / "cfg", s3, bucket, **target)
    env = {**cli_env("postgresql://nobody@127.0.0.1:1/none", vol, CITAPLANNER_TUI_CONFIG=str(config)), **LOCALE_FREE}
    return vol, env


def test_offsite_json_is_the_same_in_both_languages(tmp_path, s3, bucket):
    vol, env = _offsite_volume(tmp_path, s3, bucket)
    pushed = _run("offsite", "push", "--json", env=env)
    assert pushed.returncode == 0, pushed.stderr
    # A second target it cannot use (no credentials): its problem sentence and health reason are in the JSON too.
    with open(env["CITAPLANNER_TUI_CONFIG"], "a") as config:
        config.write(f'\n[[offsite]]\nname = "gone"\nurl = "s3://{bucket}/x"\n')
        config.write(f'endpoint_url = "http://127.0.0.1:{closed_port()}"\nmax_attempts = 1\ntimeout_seconds = 2\n')
    commands = [
        ("offsite", "list", "--json"),
        ("status", "--json"),
        ("offsite", "verify", "--target", "t1", "--json"),
        ("offsite", "prune", "--dry-run", "--target", "t1", "--json"),
    ]
    for command in commands:
        english = _run(*command, env=env)
        spanish = _run("--lang", "es", *command, env=env)
        assert english.returncode == spanish.returncode, command
        assert english.stdout.strip(), (command, english.stderr)
        assert _steady(json.loads(spanish.stdout)) == _steady(json.loads(english.stdout)), command
    listed = json.loads(_run("--lang", "es", "offsite", "list", "--json", env=env).stdout)
    assert [r["name"] for r in listed] == ["t1", "gone"]
    assert listed[0]["backups"] == 2 and listed[1]["problem"].startswith("no credentials for off-site target 'gone'")
    checks = json.loads(_run("--lang", "es", "status", "--json", env=env).stdout)["checks"]
    assert any(
        c["subject"] == "offsite t1" and "backups are on off-site target 't1' unencrypted" in c["reason"]
        for c in checks
    )


def test_offsite_text_is_spanish_with_lang_es_and_english_otherwise(tmp_path, s3, bucket):
    vol, env = _offsite_volume(tmp_path, s3, bucket)
    spanish = _run("--lang", "es", "offsite", "push", env=env)
    assert spanish.returncode == 0 and spanish.stdout.startswith("OK t1: 4 objetos subidos ("), spanish.stdout
    names = sorted((f"daily/{p.name}" for p in (vol / "daily").glob("*.gz")), reverse=True)
    english = _run("offsite", "list", env=env)
    spanish = _run("--lang", "es", "offsite", "list", env=env)
    assert english.returncode == spanish.returncode == 0
    assert english.stdout.splitlines()[0].startswith(f"t1  s3://{bucket}/prod: 2 backups, ")
    assert spanish.stdout.splitlines()[0].startswith(f"t1  s3://{bucket}/prod: 2 respaldos, ")
    assert [line.split()[1] for line in spanish.stdout.splitlines()[1:]] == names  # the paths stay as they are
    verified = _run("--lang", "es", "offsite", "verify", env=env)
    assert verified.returncode == 0
    assert verified.stdout.splitlines() == [
        f"OK   t1:{n}  la suma de verificación coincide con su archivo de suma" for n in names
    ]
    assert "checksum matches its sidecar" in _run("offsite", "verify", env={**env, "LANG": "en_US.UTF-8"}).stdout
    status = _run("status", env={**env, "CITAPLANNER_TUI_LANG": "es"}).stdout
    assert "externo:  t1: 2 respaldos, el más reciente hace" in status
    assert "respaldos están en el destino externo 't1' sin cifrar" in " ".join(status.split())
    assert "offsite:  t1: 2 backups, newest " in _run("status", env=env).stdout
    missing = _run("--lang", "es", "offsite", "pull", "citaplanner_daily_20200101_020000.sql.gz", env=env)
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith("citaplanner-tui: el destino externo 't1' (s3://") and "no tiene" in missing.stderr
    bad = _run("--lang", "es", "offsite", "list", "--target", "nope", env=env)
    assert bad.returncode == 1 and bad.stderr == (
        "citaplanner-tui: no hay ningún destino externo llamado 'nope' (configurados: t1)\n"
    )


def test_encryption_refusals_are_one_spanish_sentence_with_the_same_exit_code(tmp_path, backup_dir, monkeypatch):
    env = {**cli_env("postgresql://citaplanner@127.0.0.1:1/citaplanner", backup_dir), **LOCALE_FREE}
    config = tmp_path / "config.toml"
    config.write_text('[encryption]\nage_recipients = ["AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQ"]\n')
    english = _run("status", "--config", str(config), env=env)
    spanish = _run("--lang", "es", "status", "--config", str(config), env=env)
    assert english.returncode == spanish.returncode == 1 and "QQQQ" not in english.stderr + spanish.stderr
    assert english.stderr.startswith("citaplanner-tui: [encryption] age_recipients entry 1 in the config file ")
    assert spanish.stderr == (
        f"citaplanner-tui: la entrada 1 de [encryption] age_recipients en el archivo de configuración {config} "
        "es una clave secreta age, no un destinatario: pon ahí su clave pública (age-keygen -y) y guarda la "
        "clave secreta fuera de esta máquina\n"
    )
    from citaplanner_tui.core.settings import AGE_IDENTITY_ENV
    from citaplanner_tui.core.stream import archive

    monkeypatch.delenv(AGE_IDENTITY_ENV, raising=False)
    with pytest.raises(archive.IdentityProblem) as caught:
        archive.identities()
    said = caught.value.sentence
    assert said.startswith("the backup is encrypted with age: give the identity file")
    i18n.activate("es")
    try:
        assert i18n.shown(said).startswith("el respaldo está cifrado con age: da el archivo de identidad")
    finally:
        i18n.activate("en")
