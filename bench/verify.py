"""Checksum verify of 200 against 2,000 small backups: the cost must grow linearly.

Usage: ``.venv/bin/python bench/verify.py [--small 200] [--large 2000] [--runs 3]``

Makes the backups as small real gzip dumps with ``HASH  basename`` sidecars spread over
the daily, weekly and monthly tiers, then, in the same run, times ``verify()``
(checksum only: hash, cheap container check, one state-file write) on each volume,
starting from no recorded results, and the shell baseline ``sha256sum -c`` over the
same sidecars.  Prints best wall and CPU times, the large/small ratio (linear is about
large/small; verify used to rewrite and fsync the state file once per backup, 5,000
took 1,012 s) and our time against the baseline's.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scan import timed  # noqa: E402
from citaplanner_tui.core.volume.naming import make_name  # noqa: E402
from citaplanner_tui.core.settings import Settings  # noqa: E402
from citaplanner_tui.core.verify import verify  # noqa: E402

BODY = (
    "--\n-- PostgreSQL database dump\n--\n\nCOPY public.tenants (id, name) FROM stdin;\n"
    "ten{n}\tSalón {n}\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n"
)


def populate(root: Path, count: int) -> None:
    start = datetime(2020, 1, 1, 2, 0, 0)
    for tier in ("daily", "weekly", "monthly"):
        (root / tier).mkdir(parents=True)
    for i in range(count):
        tier = ("daily", "daily", "daily", "weekly", "monthly")[i % 5]
        name = make_name(tier, start + timedelta(hours=i))
        data = gzip.compress(BODY.format(n=i).encode(), mtime=0)
        (root / tier / name.filename).write_bytes(data)
        (root / tier / name.sidecar).write_text(f"{hashlib.sha256(data).hexdigest()}  {name.filename}\n")


def ours(root: Path):
    def run():
        shutil.rmtree(root / ".citaplanner-tui", ignore_errors=True)  # nothing recorded yet
        shutil.rmtree(root / "logs", ignore_errors=True)
        results = verify(Settings(backup_dir=root))
        assert all(r.ok for r in results)

    return run


def baseline(root: Path):
    def run():
        for tier in ("daily", "weekly", "monthly"):
            sidecars = sorted(p.name for p in (root / tier).glob("*.sha256"))
            subprocess.run(["sha256sum", "--quiet", "-c", *sidecars], cwd=root / tier, check=True)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        rows = {}
        for count in (args.small, args.large):
            root = Path(tmp) / str(count)
            populate(root, count)
            wall, cpu = timed(ours(root), args.runs)
            base_wall, _ = timed(baseline(root), args.runs)
            rows[count] = (min(wall), min(cpu), min(base_wall))
            print(
                f"{count:>6} backups: verify {min(wall) * 1000:8.1f} ms wall, {min(cpu) * 1000:8.1f} ms CPU; "
                f"sha256sum -c {min(base_wall) * 1000:8.1f} ms ({min(wall) / min(base_wall):.1f}x)"
            )
        (sw, sc, _), (lw, lc, _) = rows[args.small], rows[args.large]
        print(
            f"{args.large}/{args.small} backups: {args.large / args.small:.1f}x the files took "
            f"{lw / sw:.1f}x the wall time, {lc / sc:.1f}x the CPU (linear: about {args.large / args.small:.0f}x)"
        )
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
