"""Export an SVG of each console screen to screenshots/, from the same deterministic sample
volume the snapshot tests use (fixed clock, target, database facts and volume size).

    .venv/bin/python scripts/export_screenshots.py [--out screenshots] [--size 80x24]

Screens and the keys that reach them are listed in ``tests/support/sample.py`` (``SAMPLE_SCREENS``, and
``SAMPLE_OFFSITE_SCREENS`` with its two pinned off-site targets);
a 16-colour dashboard is exported too, and the restore wizard's steps and the seed screen,
staged with fixed engine results (``tests/support/sample_plans.py``, ``SAMPLE_STAGES``), and
the screens the Spanish snapshots pin (``tests/test_i18n_snapshots.py``) in Spanish (``*_es.svg``).  The
sample data lives with the tests, not in the package; nothing here needs a database server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]  # the package, and tests.support.sample, the data the snapshot tests use

from tests.support.sample import (  # noqa: E402
    SAMPLE_NOW as NOW,
    SAMPLE_OFFSITE_SCREENS,
    SAMPLE_SCREENS,
    make_sample_volume,
    sample_console,
    sample_offsite_console,
    settle,
)
from tests.support.sample_plans import SAMPLE_STAGES  # noqa: E402

from citaplanner_tui.core import i18n  # noqa: E402

SPANISH = ("dashboard", "restore_confirm", "seed")


async def export(
    volume: Path,
    name: str,
    keys: tuple[str, ...],
    out: Path,
    size: tuple[int, int],
    stage=None,
    console=sample_console,
    file: str | None = None,
    **app_kwargs,
) -> Path:
    app = console(volume, NOW, **app_kwargs)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if stage is not None:
            await stage(pilot, NOW)
        target = out / f"{file or name}.svg"
        target.write_text(app.export_screenshot(title=f"citaplanner-tui: {name.replace('_', ' ')}"))
    return target


async def main_async(out: Path, size: tuple[int, int]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cpt-shots-") as tmp:
        volume = Path(tmp) / "backups"
        volume.mkdir()
        make_sample_volume(volume, NOW)
        made = [await export(volume, name, keys, out, size) for name, keys in SAMPLE_SCREENS.items()]
        made.append(await export(volume, "dashboard_16_colours", (), out, size, theme="ansi-dark"))
        made += [await export(volume, name, (), out, size, stage) for name, stage in SAMPLE_STAGES.items()]
        with_targets = Path(tmp) / "offsite" / "backups"  # its last pushes are recorded in the volume
        with_targets.mkdir(parents=True)
        make_sample_volume(with_targets, NOW)
        made += [
            await export(with_targets, name, keys, out, size, console=sample_offsite_console)
            for name, keys in SAMPLE_OFFSITE_SCREENS.items()
        ]
        i18n.activate("es")
        try:
            for name in SPANISH:
                keys, stage = SAMPLE_SCREENS.get(name, ()), SAMPLE_STAGES.get(name)
                made.append(await export(volume, name, keys, out, size, stage, file=f"{name}_es"))
        finally:
            i18n.activate("en")
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "screenshots")
    parser.add_argument("--size", default="80x24", help="terminal size, e.g. 80x24 or 120x40")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    for path in asyncio.run(main_async(args.out, (width, height))):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
