"""Key-mashing: random keys on every screen must never crash the console.

An operator in an incident presses anything.  A seeded random sequence of keys
(printable characters, navigation, every key the console binds, Esc/Enter/Tab) goes
to the console with a 50 MB log in its log folder, in each colour mode (``NO_COLOR``,
16 colours, the default theme) at 80x24 and 200x60.  The app must still be running
after every key.  ``q`` may quit cleanly (exit code 0): the console is started again
and the sequence goes on.  Each run is bounded in time; on failure the message gives
the seed and the keys up to the crash, so ``KEYMASH_SEED=<seed>`` replays it.

Nothing destructive can reach a real database: half the runs are read-only against a
throwaway database (``app_db``), the other half may write but have no database at all
(the backup, restore and seed screens then say so); typed confirmations need a name
random keys do not type, and the volume is a temp folder either way.
"""

from __future__ import annotations

import os
import random
import string
import time

import pytest

from citaplanner_tui.tui import actions
from tests.support.tui import make_console, settle, sync, wait_until

SEED = int(os.environ.get("KEYMASH_SEED", "20261127"))
SECONDS = 7.0  # per run (Pilot takes 40-100 ms a key here); six runs keep the file under a minute
MIN_KEYS = 40  # pressed whatever the machine's speed: a loaded machine mashes fewer keys, never none
MAX_KEYS = 600
NAVIGATION = ["up", "down", "left", "right", "home", "end", "pageup", "pagedown"]
CONTROL = ["escape", "enter", "tab", "shift+tab", "space", "backspace"]
PRINTABLE = list(string.ascii_letters + string.digits + "/-._:@")
# Each burst starts on a screen: the app's keys, the restore wizard from the backups list,
# help and the command palette; a shuffled round of them comes before any repeats.  The
# logs screen, the one with the 50 MB log to scroll, filter and search, comes twice a round.
OPENERS = [("d",), ("b",), ("l",), ("l",), ("n",), ("S",), ("b", "R"), ("question_mark",), ("ctrl+p",)]


def bound_keys() -> list[str]:
    """Every key the console binds, on any screen (the registry is filled at import)."""
    # imported for their side effect: each screen registers its bindings at import
    from citaplanner_tui.tui.screens import backup_now, backups, dashboard, logs, restore, seed  # noqa: F401

    keys = {spec.key for spec in actions.REGISTRY.values() if spec.key}
    return sorted(keys)


def key_sequence(seed: int, count: int) -> list[str]:
    """Deterministic from ``seed``: bursts of random keys, each opened on some screen."""
    rng = random.Random(seed)
    groups = [(bound_keys(), 3), (NAVIGATION, 3), (CONTROL, 2), (PRINTABLE, 2)]
    population = [keys for keys, weight in groups for _ in range(weight)]
    keys: list[str] = []
    while len(keys) < count:
        for opener in rng.sample(OPENERS, len(OPENERS)):
            keys += ["escape", "escape", *opener]  # out of any dialog or input first
            keys += [rng.choice(rng.choice(population)) for _ in range(rng.randint(3, 7))]
    return keys[:count]


def write_big_log(log_dir, megabytes: int = 50) -> None:
    """A 50 MB log like the real ones: ours, the old script's, pg_dump's untimed lines, two days."""
    block = []
    for i in range(2000):
        day = "2026-11-26" if i < 1000 else "2026-11-27"
        level = "ERROR" if i % 53 == 0 else "WARN" if i % 29 == 0 else "OK" if i % 5 == 0 else "INFO"
        block.append(f"[{day} 02:{i % 60:02d}:00] {level} batch {i}: " + "x" * (i % 170) + "\n")
        if i % 7 == 0:
            block.append(f'pg_dump: dumping contents of table "public.appointments" part {i}\n')
        if i % 97 == 0:
            block.append("pg_dump: error: connection to server failed: FATAL:  password authentication failed\n")
            block.append("pg_dump: detail: the server said no\n")
        if i % 31 == 0:
            block.append(f"\x1b[1;33m[{day} 02:00:06]\x1b[0m ⚠️  Espacio en disco bajo {i}\n")
    chunk = "".join(block).encode()
    path = log_dir / "backup_20261127.log"
    with open(path, "ab") as fh:
        while fh.tell() < megabytes * 2**20:
            fh.write(chunk)


COLOURS = {"no_color": {"NO_COLOR": "1"}, "16_colours": {"theme": "ansi-dark"}, "default": {}}


@pytest.fixture
def big_log_volume(sample_volume):
    write_big_log(sample_volume / "logs")
    return sample_volume


@pytest.mark.parametrize("size", [(80, 24), (200, 60)], ids=["80x24", "200x60"])
@pytest.mark.parametrize("colours", list(COLOURS))
@sync
async def test_random_keys_on_every_screen_never_crash(big_log_volume, app_db, monkeypatch, colours, size):
    options = dict(COLOURS[colours])
    if options.pop("NO_COLOR", None):
        monkeypatch.setenv("NO_COLOR", "1")  # read when the app is made
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    read_only = (list(COLOURS).index(colours) + (size[0] > 80)) % 2 == 0
    database_url = app_db.url if read_only else ""
    seed = SEED + list(COLOURS).index(colours) * 10 + (size[0] > 80)
    keys = key_sequence(seed, MAX_KEYS)

    def console():
        return make_console(big_log_volume, database_url=database_url, read_only=read_only, **options)

    await mash(console, keys, size, f"seed {seed} (KEYMASH_SEED={SEED}), {colours}, {size}")


async def mash(console, keys: list[str], size: tuple[int, int], run: str) -> None:
    """Press ``keys`` until they run out, or time does once ``MIN_KEYS`` were pressed (no timing is
    asserted: a slow machine presses fewer)."""
    pressed, deadline = 0, time.monotonic() + SECONDS

    def more() -> bool:
        return pressed < len(keys) and (pressed < MIN_KEYS or time.monotonic() < deadline)

    while more():
        app = console()
        try:
            async with app.run_test(size=size) as pilot:
                await settle(pilot)
                while app.is_running and more():
                    await pilot.press(keys[pressed])
                    pressed += 1
                if app.is_running:  # no job left behind (a verify in a child process)
                    await wait_until(pilot, lambda: not app.running_jobs(), "the jobs finishing", 30)
                    await settle(pilot)
                    assert app.is_running
        except Exception as exc:
            raise AssertionError(
                f"{run}: crashed on key #{pressed} {keys[pressed - 1]!r}; the keys: {keys[:pressed]}"
            ) from exc
        assert app.return_code in (None, 0), (
            f"{run}: exit code {app.return_code} after key #{pressed} {keys[pressed - 1]!r}; the keys: {keys[:pressed]}"
        )
