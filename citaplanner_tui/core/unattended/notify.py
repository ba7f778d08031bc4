"""Notifications: tell someone when a job fails, recovers, or the health changes.

Channels come from ``[[notify]]`` tables, any number of them::

    [[notify]]
    webhook = "https://hooks.example/T0/B0/xyz"   # JSON POST {"text": ...}: Slack, Discord, Mattermost
    on = ["failure", "recovery", "health"]       # the default; add "success" to hear every run
    [[notify]]
    ping = "https://hc-ping.com/<uuid>"          # healthchecks.io: <url>/start, <url>, <url>/fail
    jobs = ["backup"]                            # the jobs it follows (default: all)
    [[notify]]
    email = "ops@example.com"                    # through [smtp]
    [smtp]
    host = "smtp.example.com"
    port = 587
    user = "alerts@example.com"                  # password: $CITAPLANNER_TUI_SMTP_PASSWORD or password_file
    from = "alerts@example.com"

A delivery that fails is retried a few times with a growing pause and then logged; it
never fails the job it reports on.  Messages are built from the engine's sentences,
which never hold a password; the SMTP password is only ever handed to ``login``, and
channel URLs (which often embed a token) are logged by host only.  The text a person
reads (the webhook's ``text``, the ping's body, the e-mail) is in the operator's language;
the webhook's keys and its ``event``/``job`` values stay the same in every language.
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from citaplanner_tui.core.errors import ConfigError
from citaplanner_tui.core.i18n import say, say_n, shown
from citaplanner_tui.core.settings import Settings

EVENTS = ("failure", "recovery", "health", "success")
DEFAULT_ON = ("failure", "recovery", "health")
PASSWORD_ENV = "CITAPLANNER_TUI_SMTP_PASSWORD"
ATTEMPTS = 3
TIMEOUT = 10.0


@dataclass(frozen=True)
class Event:
    """Something to tell: ``kind`` is start, success, failure, recovery, health or test."""

    kind: str
    text: str
    job: str | None = None


class DeliveryFailed(Exception):
    """One attempt at one channel failed; the message says why, without secrets."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "citaplanner-tui@localhost"
    ca_file: str | None = None


class Webhook:
    """A generic JSON webhook: ``{"text": ..., "event": ..., "job": ...}`` by POST."""

    def __init__(self, url: str, on: tuple[str, ...]):
        self.url, self.on = url, on
        self.name = f"webhook {urlsplit(url).netloc}"

    def wants(self, event: Event) -> bool:
        return event.kind in self.on or event.kind == "test"

    def deliver(self, event: Event) -> None:
        body = json.dumps({"text": shown(event.text), "event": event.kind, "job": event.job}).encode()
        _post(self.url, body, "application/json")


class Ping:
    """healthchecks.io-style: ``/start`` when a job begins, the URL on success, ``/fail`` on failure."""

    SUFFIX = {"start": "/start", "success": "", "failure": "/fail", "test": ""}

    def __init__(self, url: str, jobs: tuple[str, ...] | None):
        self.url, self.jobs = url.rstrip("/"), jobs
        self.name = f"ping {urlsplit(url).netloc}"

    def wants(self, event: Event) -> bool:
        if event.kind not in self.SUFFIX:
            return False
        return event.kind == "test" or self.jobs is None or event.job in self.jobs

    def deliver(self, event: Event) -> None:
        _post(self.url + self.SUFFIX[event.kind], shown(event.text).encode(), "text/plain; charset=utf-8")


class Email:
    """One message per event over SMTP, with STARTTLS whenever the server offers it."""

    def __init__(self, to: str, on: tuple[str, ...], smtp: Smtp | None):
        if smtp is None:
            raise ConfigError(say("[[notify]] email = {to} needs an [smtp] section with its host", to=repr(to)))
        self.to, self.on, self.smtp = to, on, smtp
        self.name = say("e-mail to {to}", to=to)

    def wants(self, event: Event) -> bool:
        return event.kind in self.on or event.kind == "test"

    def deliver(self, event: Event) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"] = self.smtp.sender, self.to
        text = shown(event.text)
        msg["Subject"] = f"citaplanner-tui: {text.split(';')[0][:120]}"
        msg.set_content(text + "\n")
        s = self.smtp
        try:
            with smtplib.SMTP(s.host, s.port, timeout=TIMEOUT) as client:
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context(cafile=s.ca_file))
                    client.ehlo()
                if s.user:
                    client.login(s.user, s.password or "")
                client.send_message(msg)
        except smtplib.SMTPAuthenticationError:
            raise DeliveryFailed(
                say("the SMTP server {host} refused the credentials of {user}", host=s.host, user=s.user)
            ) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise DeliveryFailed(
                say("cannot send through {host}:{port}: {why}", host=s.host, port=s.port, why=_reason(exc))
            ) from None


def _post(url: str, body: bytes, content_type: str) -> None:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, "User-Agent": "citaplanner-tui"}
    )
    host = urlsplit(url).netloc
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(say("{host} answered HTTP {code}", host=host, code=exc.code)) from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(say("cannot reach {host}: {why}", host=host, why=_reason(exc))) from None


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "reason", None) or exc
    if isinstance(inner, socket.timeout):
        return say("timed out")
    return getattr(inner, "strerror", None) or str(inner) or type(inner).__name__


Channel = Webhook | Ping | Email


class Notifier:
    """Sends each event to every channel that wants it, retrying each a bounded number of times."""

    def __init__(
        self,
        channels: list[Channel],
        log: Callable[[str, str], None],
        pause: Callable[[float], Any],
        attempts: int = ATTEMPTS,
    ):
        self.channels, self.log, self.pause, self.attempts = channels, log, pause, attempts

    def send(self, event: Event) -> list[tuple[str, str | None]]:
        """Deliver ``event``; return (channel name, None or why it could not be delivered) per channel."""
        outcomes = []
        for channel in self.channels:
            if channel.wants(event):
                outcomes.append((channel.name, self._deliver(channel, event)))
        return outcomes

    def _deliver(self, channel: Channel, event: Event) -> str | None:
        for attempt in range(1, self.attempts + 1):
            try:
                channel.deliver(event)
                return None
            except DeliveryFailed as exc:
                if attempt == self.attempts:
                    sentence = say_n(
                        "{channel}: {why} (gave up after {n} attempt)",
                        "{channel}: {why} (gave up after {n} attempts)",
                        attempt,
                        channel=channel.name,
                        why=exc.args[0] if exc.args else str(exc),
                    )
                    self.log("WARN", say("notification not delivered: {sentence}", sentence=sentence))
                    return sentence
                self.pause(2.0 ** (attempt - 1))
        return None


def channels(settings: Settings, env: Mapping[str, str] | None = None) -> list[Channel]:
    """The configured channels; a bad ``[[notify]]`` or ``[smtp]`` is one sentence (``ConfigError``)."""
    env = os.environ if env is None else env
    raw = settings.notify
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not all(isinstance(c, Mapping) for c in raw):
        raise ConfigError(say("[[notify]] in the config file must be tables, one per channel"))
    smtp = _smtp(settings.smtp, env) if settings.smtp else None
    return [_channel(i, c, smtp) for i, c in enumerate(raw, 1)]


def _channel(number: int, raw: Mapping[str, Any], smtp: Smtp | None) -> Channel:
    kinds = [k for k in ("webhook", "ping", "email") if k in raw]
    if len(kinds) != 1:
        raise ConfigError(
            say("[[notify]] number {number} must have exactly one of webhook, ping or email", number=number)
        )
    unknown = set(raw) - {kinds[0], "on", "jobs"}
    if unknown:
        raise ConfigError(
            say("[[notify]] number {number} has an unknown setting {key}", number=number, key=repr(sorted(unknown)[0]))
        )
    target = raw[kinds[0]]
    if not isinstance(target, str) or not target:
        raise ConfigError(say("[[notify]] number {number}: {kind} must be a text value", number=number, kind=kinds[0]))
    on = tuple(raw.get("on", DEFAULT_ON))
    if bad := [e for e in on if e not in EVENTS]:
        raise ConfigError(
            say(
                "[[notify]] number {number}: unknown event {event} in on (the events are {events})",
                number=number,
                event=repr(bad[0]),
                events=", ".join(EVENTS),
            )
        )
    if kinds[0] != "email" and urlsplit(target).scheme not in ("http", "https"):
        raise ConfigError(
            say("[[notify]] number {number}: {kind} must be an http:// or https:// URL", number=number, kind=kinds[0])
        )
    if kinds[0] == "webhook":
        return Webhook(target, on)
    if kinds[0] == "ping":
        jobs = raw.get("jobs")
        return Ping(target, tuple(jobs) if jobs is not None else None)
    return Email(target, on, smtp)


def _smtp(raw: Any, env: Mapping[str, str]) -> Smtp:
    if not isinstance(raw, Mapping) or not raw.get("host"):
        raise ConfigError(say('[smtp] in the config file needs at least host = "smtp.example.com"'))
    unknown = set(raw) - {"host", "port", "user", "password_file", "from", "ca_file"}
    if unknown:
        raise ConfigError(
            say(
                "[smtp] has an unknown setting {key} (the password comes from ${variable} or password_file)",
                key=repr(sorted(unknown)[0]),
                variable=PASSWORD_ENV,
            )
        )
    try:
        port = int(raw.get("port", 587))
    except (TypeError, ValueError):
        raise ConfigError(say("[smtp] port must be a number")) from None
    password = env.get(PASSWORD_ENV) or None
    if password is None and raw.get("password_file"):
        try:
            password = Path(raw["password_file"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                say("cannot read the SMTP password_file {path}: {why}", path=raw["password_file"], why=exc.strerror)
            ) from None
    user = raw.get("user")
    return Smtp(
        str(raw["host"]),
        port,
        str(user) if user else None,
        password,
        str(raw.get("from") or user or Smtp.sender),
        raw.get("ca_file"),
    )
