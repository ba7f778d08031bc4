"""Catalog scan of 10,000 backups (each with its sidecar) against ``find | wc -l``.

Usage: ``.venv/bin/python bench/scan.py [--files 10000] [--runs 5]``

Makes the backups as tiny files in a temporary folder spread over the daily, weekly and
monthly tiers, then, in the same run and on the same (warm) folder, times the shell
baseline ``find BACKUP_DIR -name '*.sql.gz' | wc -l`` (which only counts names) and
``catalog.scan()`` (which also stats every dump, pairs sidecars, parses timestamps,
merges the state file and sorts).  The first scan in a process (what a cron ``status``
pays) is shown apart from later full scans (``reuse=False``: every folder listed and
classified again) and from the console's refreshes (the kept listings of folders that
did not change: one ``lstat`` per file).  The folders are left alone for
``catalog.TRUST_AFTER_NS`` first, as a volume between two backups is.
Prints best and median wall times, CPU time, the ratio and the load average
(the machine is shared: CPU time is the steadier figure).  Target: well under 200 ms.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from citaplanner_tui.core.volume.catalog import TRUST_AFTER_NS, State, scan  # noqa: E402
from citaplanner_tui.core.volume.naming import make_name  # noqa: E402


# A real gzip member, past the catalog's smallest plausible dump (64 bytes).
TINY_DUMP = gzip.compress(b"--\n-- PostgreSQL database dump\n--\n" * 4 + bytes(range(64)), mtime=0)


def populate(root: Path, count: int) -> None:
    start = datetime(2020, 1, 1, 2, 0, 0)
    for tier in ("daily", "weekly", "monthly"):
        (root / tier).mkdir()
    for i in range(count):
        tier = ("daily", "daily", "daily", "weekly", "monthly")[i % 5]
        name = make_name(tier, start + timedelta(hours=i))
        dump = root / tier / name.filename
        dump.write_bytes(TINY_DUMP)
        (root / tier / name.sidecar).write_text(f"{'0' * 64}  {name.filename}\n")


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each run (CPU shows what a busy shared machine hides)."""
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cpt-bench-scan-"))
    try:
        populate(root, args.files)
        time.sleep(TRUST_AFTER_NS / 1e9)  # listings are kept once nothing changed for that long
        shell = f"find '{root}' -name '*.sql.gz' | wc -l"
        counted = int(subprocess.run(shell, shell=True, capture_output=True, text=True, check=True).stdout)
        first_wall, first_cpu = timed(lambda: scan(root), 1)  # cold: names not parsed yet
        catalog = scan(root)
        ok = catalog.counts()[State.OK]
        assert counted == args.files == ok == len(catalog), (counted, ok, len(catalog))
        find_wall, _ = timed(lambda: subprocess.run(shell, shell=True, capture_output=True, check=True), args.runs)
        full_wall, full_cpu = timed(lambda: scan(root, reuse=False), args.runs)
        scan_wall, scan_cpu = timed(lambda: scan(root), args.runs)
        assert scan(root).entries == scan(root, reuse=False).entries
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ms = lambda t: f"{t * 1000:7.1f} ms"  # noqa: E731
    print(f"{args.files} backups + {args.files} sidecars; best / median of {args.runs} runs, wall (CPU)")
    print(f"  find | wc -l (shell baseline)     {ms(min(find_wall))} / {ms(statistics.median(find_wall))}")
    print(f"  catalog.scan(), first in process  {ms(first_wall[0])}           ({ms(first_cpu[0]).strip()} CPU)")
    print(
        f"  catalog.scan(reuse=False), again  {ms(min(full_wall))} / {ms(statistics.median(full_wall))}"
        f" ({ms(min(full_cpu)).strip()} CPU)"
    )
    print(
        f"  catalog.scan(), nothing changed   {ms(min(scan_wall))} / {ms(statistics.median(scan_wall))}"
        f" ({ms(min(scan_cpu)).strip()} CPU)"
    )
    print(
        f"  ratio to find (best): full {min(full_wall) / min(find_wall):.2f}x, "
        f"kept listings {min(scan_wall) / min(find_wall):.2f}x"
    )
    print(
        f"  target: scan well under 200 ms: {'met' if max(first_wall[0], min(scan_wall)) < 0.2 else 'NOT met'}"
        f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs during the run)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
