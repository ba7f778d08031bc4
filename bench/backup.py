"""Backup speed on a CitaPlanner-shaped database of about 1 GB of plain SQL.

Usage: ``.venv/bin/python bench/backup.py [--size-mb 1000] [--runs 1] [--level 6]``

Starts its own PostgreSQL (embedded 18) in a temporary folder, fills it once with
``demo_data.generate`` sized by ``demo_data.size_for_dump_mb``, then, in one run and
against the same data, times (each ``--runs`` times, interleaved, best kept):

- ``pg_dump > /dev/null``: the floor, what reading the database costs;
- the old script's pipeline, through bash: ``pg_dump | gzip -6 > f; sha256sum f > f.sha256``;
- ours, ``run_backup`` at the same gzip level (blocks deflated on every core with
  zlib-ng; hashed as written, fsynced, sidecar), in a fresh Python process, so the wall
  time includes start-up and imports
  and the peak RSS is that process's own;
- ours with zstd (``compress.ZSTD_LEVEL`` on zstd's own threads, one per core; the opt-in
  ``.sql.zst`` format).

Prints wall times, sizes, the ratios against the old pipeline and against the floor,
and the peak RSS of our process.  Targets: gzip <= 0.45x the old pipeline, zstd <= 1.3x
the floor, peak memory < 200 MB.  The same pg_dump binary serves every variant.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from citaplanner_tui.core.stream.compress import ZSTD_LEVEL  # noqa: E402
from citaplanner_tui.core.pg.conninfo import parse  # noqa: E402
from citaplanner_tui.core.pg.connect import connect  # noqa: E402
from citaplanner_tui.demo.server import LocalServer  # noqa: E402
from citaplanner_tui.core.pg.tools import embedded_bindir  # noqa: E402

ROLE, PASSWORD, DBNAME = "citaplanner", "bench-pw", "citaplanner_bench"
TARGET_GZIP_VS_OLD, TARGET_ZSTD_VS_FLOOR, TARGET_RSS_MB = 0.45, 1.3, 200


def ours_in_child() -> int:
    """``--ours FORMAT``: one run_backup in this fresh process; JSON result + own peak RSS on stdout."""
    from citaplanner_tui.core.backup import run_backup
    from citaplanner_tui.core.settings import Settings
    from citaplanner_tui.core.stream import compress

    fmt, _, level = sys.argv[2].partition("-")
    if level:  # the same writer at another level, for comparison (--zstd-level)
        compress.ZstdWriter.__init__.__defaults__ = (int(level),)
    settings = Settings(
        database_url=os.environ["DATABASE_URL"],
        backup_dir=Path(os.environ["BACKUP_DIR"]),
        compression=fmt,
        gzip_level=int(os.environ["GZIP_LEVEL"]),
    )
    result = run_backup(settings, tier="manual")
    out = result.to_json()
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    json.dump(out, sys.stdout)
    return 0


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed: {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout


def tcp(server: LocalServer, dbname: str = DBNAME) -> str:
    """A libpq connection string to ``dbname`` as the app role over TCP (its password: PGPASSWORD)."""
    return f"host=127.0.0.1 port={server.port} user={ROLE} dbname={dbname}"


def fill(server: LocalServer, size_mb: float) -> None:
    """The bench database, ``size_mb`` of plain SQL when dumped.  The demo data and the schema are
    imported here, not at the top: the timed children import this module too (restore's ``timed``,
    ``tcp``), and their start-up is ours only."""
    from citaplanner_tui.core.app.schema import apply_schema
    from citaplanner_tui.demo import data as demo_data

    size = demo_data.size_for_dump_mb(size_mb)
    server.create_role(ROLE, PASSWORD, createdb=True)
    server.create_database(DBNAME, owner=ROLE)
    started = time.perf_counter()
    # As the app role, so the tables are its own and pg_dump can read them over TCP.
    with connect(parse(server.url(DBNAME, ROLE, PASSWORD))) as conn:
        apply_schema(conn)
        counts = demo_data.generate(
            conn,
            tenants=size.tenants,
            clients=size.clients,
            appointments=size.appointments,
            seed=42,
            today=date(2026, 11, 27),
        )
        db_size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    server.sql("CHECKPOINT")
    print(
        f"demo data: {counts['clients']:,} clients, {counts['appointments']:,} appointments, "
        f"{counts['payments']:,} payments in {time.perf_counter() - started:.0f} s; "
        f"database {db_size / 2**20:.0f} MiB on disk"
    )


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--ours":
        return ours_in_child()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=1000, help="plain SQL dump size to generate")
    parser.add_argument("--runs", type=int, default=1, help="times each variant runs (best is kept)")
    parser.add_argument("--level", type=int, default=6, help="gzip level for the old pipeline and ours")
    parser.add_argument("--workdir", help="where the server and the backups go (default: a temp folder)")
    parser.add_argument("--zstd-level", type=int, help="also time zstd at this level (say 3, the level before)")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="cpt-bench-backup-", dir=args.workdir))
    server = LocalServer(root / "data", fast=True)
    pg_dump = str(embedded_bindir() / "pg_dump")
    try:
        server.start()
        fill(server, args.size_mb)
        url = server.url(DBNAME, ROLE, PASSWORD)
        # TCP + password for everyone, as in production; the password only in the environment.
        dump = f"'{pg_dump}' --format=plain --no-owner --no-acl --dbname '{tcp(server)}'"
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        old_file = root / "old.sql.gz"
        variants = {
            "floor": ["bash", "-c", f"set -o pipefail; {dump} > /dev/null"],
            "old": [
                "bash",
                "-c",
                f"set -o pipefail; {dump} | gzip -{args.level} > '{old_file}' && "
                f"sha256sum '{old_file}' > '{old_file}.sha256'",
            ],
            "gzip": [sys.executable, __file__, "--ours", "gzip"],
            "zstd": [sys.executable, __file__, "--ours", "zstd"],
        }
        if args.zstd_level is not None:
            variants[f"zstd-{args.zstd_level}"] = [sys.executable, __file__, "--ours", f"zstd-{args.zstd_level}"]
        ours_env = {
            **os.environ,
            "DATABASE_URL": url,
            "BACKUP_DIR": str(root / "backups"),
            "GZIP_LEVEL": str(args.level),
        }
        timed(variants["floor"], env)  # warm the caches; not counted
        best: dict[str, float] = {}
        results: dict[str, dict] = {}
        for run in range(args.runs):
            for name, argv in variants.items():
                ours = name not in ("floor", "old")
                elapsed, out = timed(argv, ours_env if ours else env)
                fastest = elapsed <= best.get(name, elapsed)
                best[name] = min(best.get(name, elapsed), elapsed)
                if ours:
                    res = json.loads(out)
                    if fastest:  # report the figures of the run whose time is shown
                        results[name] = res
                    if run + 1 < args.runs:  # keep the volume small between runs
                        for f in res["files"]:
                            Path(f).unlink()
                            Path(f + ".sha256").unlink()
        report(args, best, results, old_file.stat().st_size)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


def report(args, best: dict[str, float], results: dict[str, dict], old_size: int) -> None:
    raw = results["gzip"]["raw_bytes"]
    mib = lambda n: f"{n / 2**20:8.1f} MiB"  # noqa: E731
    print(f"\nplain SQL dump: {mib(raw).strip()}; best of {args.runs} run(s); gzip level {args.level}")
    rows = [
        ("pg_dump > /dev/null (floor)", best["floor"], None),
        (f"pg_dump | gzip -{args.level}; sha256sum (old)", best["old"], old_size),
        (
            f"ours, gzip -{args.level} (zlib-ng, {os.cpu_count()} cores)",
            best["gzip"],
            results["gzip"]["size"],
        ),
        (f"ours, zstd -{ZSTD_LEVEL} ({os.cpu_count()} threads)", best["zstd"], results["zstd"]["size"]),
    ]
    rows += [
        (f"ours, zstd -{name.split('-')[1]} ({os.cpu_count()} threads)", best[name], results[name]["size"])
        for name in best
        if name.startswith("zstd-")
    ]
    for label, seconds, size in rows:
        print(
            f"  {label:40s} {seconds:7.2f} s  {mib(size) if size else '':>12s}  "
            f"{seconds / best['floor']:5.2f}x floor  {seconds / best['old']:5.2f}x old"
        )
    for name in ("gzip", "zstd"):
        print(
            f"  ours {name}: inside run_backup {results[name]['duration']:.2f} s, "
            f"peak RSS {results[name]['peak_rss'] / 2**20:.0f} MiB"
        )
    gzip_ratio = best["gzip"] / best["old"]
    zstd_ratio = best["zstd"] / best["floor"]
    rss = max(results[n]["peak_rss"] for n in ("gzip", "zstd")) / 2**20
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print(
        f"\n  target gzip <= {TARGET_GZIP_VS_OLD}x old pipeline: {gzip_ratio:.2f}x, "
        f"{verdict(gzip_ratio <= TARGET_GZIP_VS_OLD)}"
    )
    print(
        f"  target zstd <= {TARGET_ZSTD_VS_FLOOR}x floor:        {zstd_ratio:.2f}x, "
        f"{verdict(zstd_ratio <= TARGET_ZSTD_VS_FLOOR)}"
    )
    print(f"  target peak RSS < {TARGET_RSS_MB} MB:           {rss:.0f} MiB, {verdict(rss < TARGET_RSS_MB)}")


if __name__ == "__main__":
    sys.exit(main())
