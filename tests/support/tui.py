"""Helpers for the console's Pilot and snapshot tests.

``NOW`` is the fixed clock every console test runs on; the ``sample_volume`` fixture
(``tests/support/fixtures.py``) is a real backup volume (real gzip dumps and sha256
sidecars, fixed names and mtimes) built by ``tests/support/sample.py``; ``make_console``
makes an app with no refresh timer and no log polling (tests trigger both), so nothing
varies between runs.
"""

from __future__ import annotations

import asyncio
import functools

from textual.widgets import Input

from citaplanner_tui.core.settings import Settings
from citaplanner_tui.tui.app import CitaPlannerApp
from citaplanner_tui.tui.screens.restore import RestoreScreen
from tests.support.restore import content, fill, take_backup
from tests.support.sample import SAMPLE_NOW as NOW
from tests.support.sample import settle  # noqa: F401 (re-exported for the console tests)


def make_console(
    backup_dir, *, database_url: str = "", read_only: bool = False, offsite: tuple = (), **kwargs
) -> CitaPlannerApp:
    settings = Settings(backup_dir=backup_dir, database_url=database_url, read_only=read_only, offsite=offsite)
    kwargs.setdefault("clock", lambda: NOW)
    kwargs.setdefault("refresh_every", None)
    kwargs.setdefault("log_poll", None)
    return CitaPlannerApp(settings, **kwargs)


def sync(test):
    """Run an ``async def`` test with ``asyncio.run`` (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


async def wait_until(pilot, condition, what: str, timeout: float = 10.0) -> None:
    """Pause until ``condition()`` holds: one ``pilot.pause()`` is not enough on a loaded machine."""
    waited = 0.0
    while not condition():
        if waited > timeout:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await pilot.pause(0.05)
        waited += 0.05


async def wait_for_job(pilot, kind: str, timeout: float = 60.0):
    """Wait until the newest job of ``kind`` has finished and its result has landed."""

    def newest():
        return next((job for job in reversed(pilot.app.jobs) if job.kind == kind), None)

    await wait_until(pilot, lambda: newest() is not None and newest().done, f"a {kind} job finishing", timeout)
    job = newest()
    await settle(pilot)
    return job


def drawn_lines(widget) -> list[str]:
    """Each line of ``widget`` as it is drawn at its size (cuts and ellipses included)."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def burst(pilot, *keys: str) -> None:
    """Send ``keys`` the way a terminal does when the operator types fast: all at once.

    ``pilot.press`` waits for the app to go idle after each key, which hides what an
    operator meets: keys that arrive while a dialog is still opening.  Key names and
    characters are made as ``App._press_keys`` makes them; one settle at the end.
    """
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    driver = pilot.app._driver
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(pilot.app)
        driver.send_message(event)
    await settle(pilot)


async def type_name(pilot, text: str) -> None:
    assert pilot.app.focused is pilot.app.screen.query_one(Input)  # the name box has focus from the start
    await pilot.press(*text)


async def to_plan(pilot, archive) -> RestoreScreen:
    """Open the wizard on ``archive``, run pre-flight and show the plan."""
    await settle(pilot)
    pilot.app.open_restore(archive)
    await pilot.pause()
    wizard = pilot.app.screen
    await pilot.press("enter")
    job = await wait_for_job(pilot, "preflight")
    assert job.error is None, job.error
    await pilot.press("enter")
    assert wizard.step == "plan"
    return wizard


def backed_up_then_changed(db, backup_dir):
    """A backup of a small database, then a change: (the archive, the content now)."""
    fill(db, clients=20, appointments=40)
    archive = take_backup(db, backup_dir)
    db.sql("DELETE FROM payments")
    return archive, content(db.server, db.name)
