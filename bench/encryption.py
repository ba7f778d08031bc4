"""What age encryption costs a backup, and its restore, on the same data in the same run.

Usage: ``.venv/bin/python bench/encryption.py [--size-mb 300] [--runs 1] [--format gzip]``

Starts its own PostgreSQL (embedded 18), fills it once as ``bench/backup.py`` does, then
times, interleaved, best of ``--runs``, each in a fresh Python process (wall time includes
start-up; peak RSS is that process's own):

- ``run_backup`` unencrypted (``.sql.gz``), and the same with ``[encryption]`` to one
  X25519 recipient (``.sql.gz.age``: compressed, then encrypted, in the same pass);
- ``verify --deep`` of each (decompressing; decrypting too for the encrypted one), which
  is how restore and drill read an archive;
- and, as the standard-tools reference, ``age -d -i KEY FILE > /dev/null`` when Debian's
  ``age`` is installed.

Prints the times, sizes, the encrypted / unencrypted ratios and peak RSS.  Target:
encrypted backup at most 1.15x the unencrypted one's time.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from backup import DBNAME, PASSWORD, ROLE, fill, timed  # noqa: E402  (bench/backup.py: same data)

from citaplanner_tui.core.stream import age  # noqa: E402
from citaplanner_tui.demo.server import LocalServer  # noqa: E402

TARGET_RATIO = 1.15


def child() -> int:
    """``--child backup|verify``: one engine call in this fresh process; JSON + own peak RSS on stdout."""
    from citaplanner_tui.core.settings import Encryption, Settings

    recipients = tuple(filter(None, [os.environ.get("RECIPIENT")]))
    settings = Settings(
        database_url=os.environ["DATABASE_URL"],
        backup_dir=Path(os.environ["BACKUP_DIR"]),
        compression=os.environ["FORMAT"],
        encryption=Encryption(recipients),
    )
    if sys.argv[2] == "backup":
        from citaplanner_tui.core.backup import run_backup

        result = run_backup(settings, tier="manual")
        out = {"file": str(result.files[0]), "size": result.size, "raw_bytes": result.raw_bytes}
    else:
        from citaplanner_tui.core.verify import verify

        (checked,) = verify(settings, [os.environ["FILE"]], deep=True)
        if not checked.ok:
            raise SystemExit(checked.detail)
        out = {"rows": sum(checked.dump.rows.values())}
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    json.dump(out, sys.stdout)
    return 0


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        return child()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=300, help="plain SQL dump size to generate")
    parser.add_argument("--runs", type=int, default=1, help="times each variant runs (best is kept)")
    parser.add_argument("--format", choices=("gzip", "zstd"), default="gzip")
    parser.add_argument("--workdir", help="where the server and the backups go (default: a temp folder)")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="cpt-bench-age-", dir=args.workdir))
    server = LocalServer(root / "data", fast=True)
    identity = age.Identity.generate()
    key = root / "key.txt"
    key.write_text(identity.encode() + "\n")
    key.chmod(0o600)
    try:
        server.start()
        fill(server, args.size_mb)
        base = {
            **os.environ,
            "DATABASE_URL": server.url(DBNAME, ROLE, PASSWORD),
            "FORMAT": args.format,
            "CITAPLANNER_TUI_AGE_IDENTITY": str(key),
        }
        variants = {"plain": {}, "age": {"RECIPIENT": str(identity.recipient)}}
        best: dict[str, float] = {}
        figures: dict[str, dict] = {}
        for run in range(args.runs):
            for name, extra in variants.items():
                env = {**base, **extra, "BACKUP_DIR": str(root / f"backups-{name}-{run}")}
                seconds, out = timed([sys.executable, __file__, "--child", "backup"], env)
                made = json.loads(out)
                vseconds, vout = timed([sys.executable, __file__, "--child", "verify"], {**env, "FILE": made["file"]})
                if seconds < best.get(name, float("inf")):
                    best[name], figures[name] = seconds, made
                if vseconds < best.get(name + "-verify", float("inf")):
                    best[name + "-verify"], figures[name + "-verify"] = vseconds, json.loads(vout)
                if shutil.which("age") and name == "age":
                    started = time.perf_counter()
                    subprocess.run(["age", "-d", "-i", str(key), made["file"]], stdout=subprocess.DEVNULL, check=True)
                    best["age-d"] = min(best.get("age-d", float("inf")), time.perf_counter() - started)
                if run + 1 < args.runs:
                    shutil.rmtree(root / f"backups-{name}-{run}")
        report(args, best, figures)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


def report(args, best: dict[str, float], figures: dict[str, dict]) -> None:
    mib = lambda n: f"{n / 2**20:.1f} MiB"  # noqa: E731
    plain, sealed = figures["plain"], figures["age"]
    print(
        f"\nplain SQL dump {mib(plain['raw_bytes'])}, {args.format}; best of {args.runs} run(s); {os.cpu_count()} cores"
    )
    for label, name in (("backup, unencrypted", "plain"), ("backup, age-encrypted", "age")):
        f = figures[name]
        print(f"  {label:28s} {best[name]:7.2f} s  {mib(f['size']):>10s}  peak RSS {mib(f['peak_rss'])}")
    for label, name in (("deep verify, unencrypted", "plain-verify"), ("deep verify, age-encrypted", "age-verify")):
        print(f"  {label:28s} {best[name]:7.2f} s  {'':>10s}  peak RSS {mib(figures[name]['peak_rss'])}")
    if "age-d" in best:
        print(f"  {'age -d > /dev/null (Debian)':28s} {best['age-d']:7.2f} s")
    ratio = best["age"] / best["plain"]
    verify_ratio = best["age-verify"] / best["plain-verify"]
    print(f"\n  encrypted / unencrypted backup:      {ratio:.3f}x (size {sealed['size'] / plain['size']:.4f}x)")
    print(f"  encrypted / unencrypted deep verify: {verify_ratio:.3f}x")
    print(f"  target backup <= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
