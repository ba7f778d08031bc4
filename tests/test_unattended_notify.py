"""Notification channels against real servers on 127.0.0.1: HTTP (webhook, pings) and SMTP (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.unattended import notify
from citaplanner_tui.core.unattended.notify import Event, Notifier
from tests.support.backup import REPO
from tests.support.unattended import Receiver

PASSWORD = "s3cret-Pa55"


class _Log:
    def __init__(self):
        self.lines: list[tuple[str, str]] = []

    def __call__(self, level, message):
        self.lines.append((level, message))


def _notifier(channels, attempts=3):
    log, pauses = _Log(), []
    return Notifier(channels, log, pause=pauses.append, attempts=attempts), log, pauses


def test_webhook_posts_json_with_a_text_field():
    with Receiver() as hook:
        n, log, _ = _notifier([notify.Webhook(hook.url + "/T0/B0/xyz", notify.DEFAULT_ON)])
        assert n.send(Event("failure", "backup FAILED: the server refused", "backup")) == [
            (f"webhook {hook.url[7:]}", None)
        ]
        assert n.send(Event("success", "backup OK", "backup")) == []  # not in the default `on`
    [got] = hook.requests
    assert got.path == "/T0/B0/xyz" and got.content_type == "application/json"
    assert json.loads(got.body) == {"text": "backup FAILED: the server refused", "event": "failure", "job": "backup"}
    assert not log.lines


def test_a_failing_delivery_is_retried_with_backoff_then_logged_without_raising():
    with Receiver(fail_first=2) as hook:
        n, log, pauses = _notifier([notify.Webhook(hook.url + "/h", ("failure",))])
        assert n.send(Event("failure", "drill FAILED", "drill"))[0][1] is None
        assert len(hook.requests) == 1 and pauses == [1.0, 2.0]
    with Receiver(fail_first=10) as hook:
        n, log, pauses = _notifier([notify.Webhook(hook.url + "/h", ("failure",))])
        [(_, problem)] = n.send(Event("failure", "drill FAILED", "drill"))
        assert problem == f"webhook {hook.url[7:]}: {hook.url[7:]} answered HTTP 500 (gave up after 3 attempts)"
        assert hook.requests == [] and pauses == [1.0, 2.0]
    assert log.lines == [("WARN", f"notification not delivered: {problem}")]


def test_an_unreachable_webhook_is_one_sentence_with_the_host_only():
    port = _free_port()
    n, log, _ = _notifier([notify.Webhook(f"http://127.0.0.1:{port}/T0/B0/token", ("failure",))], attempts=1)
    [(_, problem)] = n.send(Event("failure", "backup FAILED", "backup"))
    assert problem == (
        f"webhook 127.0.0.1:{port}: cannot reach 127.0.0.1:{port}: Connection refused (gave up after 1 attempt)"
    )
    assert "token" not in problem


def test_an_unreachable_smtp_server_is_one_sentence():
    port = _free_port()
    smtp = {"host": "127.0.0.1", "port": port}
    n, _, _ = _notifier(
        notify.channels(Settings(notify=({"email": "ops@example.com"},), smtp=smtp), env={}), attempts=1
    )
    [(_, problem)] = n.send(Event("failure", "backup FAILED", "backup"))
    assert problem == (
        f"e-mail to ops@example.com: cannot send through 127.0.0.1:{port}: Connection refused (gave up after 1 attempt)"
    )


def test_pings_hit_start_success_and_fail_urls_for_their_jobs():
    with Receiver() as hc:
        n, _, _ = _notifier([notify.Ping(hc.url + "/uuid-1/", ("backup",))])
        n.send(Event("start", "backup started", "backup"))
        n.send(Event("success", "backup OK: daily backup x (1 MiB)", "backup"))
        n.send(Event("start", "drill started", "drill"))  # not its job
        n.send(Event("failure", "backup FAILED: refused", "backup"))
        n.send(Event("recovery", "backup recovered", "backup"))  # pings know no recovery
    assert [(r.path, r.body.decode()) for r in hc.requests] == [
        ("/uuid-1/start", "backup started"),
        ("/uuid-1", "backup OK: daily backup x (1 MiB)"),
        ("/uuid-1/fail", "backup FAILED: refused"),
    ]


class _Mailbox:
    def __init__(self):
        self.messages = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), session.ssl is not None))
        ok = auth_data.login == b"alerts@example.com" and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


@pytest.fixture
def smtp_server(tmp_path):
    """aiosmtpd on 127.0.0.1 offering STARTTLS (a self-signed certificate) and AUTH only over TLS."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = _Mailbox()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=box.authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield controller, box, cert
    finally:
        controller.stop()


def _smtp_settings(controller, cert, **extra) -> Settings:
    return Settings(
        notify=({"email": "ops@example.com", "on": ["failure"]},),
        smtp={
            "host": "127.0.0.1",
            "port": controller.port,
            "user": "alerts@example.com",
            "ca_file": str(cert),
            **extra,
        },
    )


def test_email_goes_over_starttls_with_the_password_from_the_environment(smtp_server):
    controller, box, cert = smtp_server
    channels = notify.channels(_smtp_settings(controller, cert), env={notify.PASSWORD_ENV: PASSWORD})
    n, log, _ = _notifier(channels)
    assert n.send(Event("failure", "backup FAILED: pg_dump failed; no backup was kept", "backup")) == [
        ("e-mail to ops@example.com", None)
    ]
    [(to, msg)] = box.messages
    assert to == ["ops@example.com"] and msg["From"] == "alerts@example.com"
    assert msg["Subject"] == "citaplanner-tui: backup FAILED: pg_dump failed"
    assert msg.get_payload().strip() == "backup FAILED: pg_dump failed; no backup was kept"
    assert box.logins == [("alerts@example.com", True)]  # authenticated, and only inside TLS
    assert PASSWORD not in msg.as_string() and not log.lines


def test_wrong_smtp_credentials_are_one_sentence_and_the_password_file_is_read(smtp_server, tmp_path):
    controller, box, cert = smtp_server
    secret = tmp_path / "smtp-password"
    secret.write_text("not-the-password\n")
    channels = notify.channels(_smtp_settings(controller, cert, password_file=str(secret)), env={})
    n, log, _ = _notifier(channels, attempts=1)
    [(_, problem)] = n.send(Event("failure", "backup FAILED", "backup"))
    assert problem == (
        "e-mail to ops@example.com: the SMTP server 127.0.0.1 refused the credentials of "
        "alerts@example.com (gave up after 1 attempt)"
    )
    assert box.messages == [] and "not-the-password" not in repr(log.lines)


@pytest.mark.parametrize(
    "raw, smtp, words",
    [
        ({"webhook": "ftp://x"}, {}, "webhook must be an http:// or https:// URL"),
        ({"webhook": "https://x", "ping": "https://y"}, {}, "exactly one of webhook, ping or email"),
        ({"webhook": "https://x", "on": ["failures"]}, {}, "unknown event 'failures'"),
        ({"webhook": "https://x", "password": "p"}, {}, "unknown setting 'password'"),
        ({"email": "ops@example.com"}, {}, "needs an [smtp] section"),
        ({"email": "ops@example.com"}, {"host": "h", "password": "p"}, "[smtp] has an unknown setting 'password'"),
    ],
)
def test_bad_channel_settings_are_one_sentence(raw, smtp, words):
    with pytest.raises(ConfigError) as err:
        notify.channels(Settings(notify=(raw,), smtp=smtp), env={})
    assert words in err.value.sentence


def test_notify_test_reaches_every_channel(smtp_server, tmp_path):
    controller, box, cert = smtp_server
    with Receiver() as hook:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[[notify]]\nwebhook = "{hook.url}/hook"\n[[notify]]\nping = "{hook.url}/hc"\n'
            f'[[notify]]\nemail = "ops@example.com"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\n'
            f'user = "alerts@example.com"\nca_file = "{cert}"\n'
        )
        env = {"PATH": "/usr/bin:/bin", notify.PASSWORD_ENV: PASSWORD, "BACKUP_DIR": str(tmp_path / "b")}
        done = subprocess.run(
            [sys.executable, "-m", "citaplanner_tui", "--config", str(config), "notify", "test"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        paths = sorted(r.path for r in hook.requests)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"OK   webhook {hook.url[7:]}",
        f"OK   ping {hook.url[7:]}",
        "OK   e-mail to ops@example.com",
    ]
    assert paths == ["/hc", "/hook"]
    assert "test message" in box.messages[0][1]["Subject"]
    assert PASSWORD not in done.stdout + done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
