"""age keys for the encryption tests, made by Debian's ``age-keygen`` (the real tool)."""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from citaplanner_tui.core.stream import age
from citaplanner_tui.core.volume.naming import make_name

AGE = shutil.which("age")
needs_age = pytest.mark.skipif(AGE is None, reason="Debian's age package is not installed (.ci/run installs it)")


@dataclass(frozen=True)
class Key:
    """An identity file (0600, as age-keygen writes it) and its public recipient."""

    identity: Path
    recipient: str


def keygen(folder: Path, name: str = "key.txt") -> Key:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True)
    public = subprocess.run(["age-keygen", "-y", str(path)], check=True, capture_output=True, text=True).stdout
    return Key(path, public.strip())


def encrypted_backup(folder: Path, tier: str, when: datetime, recipient: age.Recipient, dump: str) -> Path:
    """A backup as ours writes it when encrypted, without a database: gzip, then age, and the
    sidecar of the encrypted file (plus an empty manifest, so its companions are there)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = make_name(tier, when, encrypted=True)
    out = io.BytesIO()
    enc = age.Encryptor(out, [recipient])
    enc.write(gzip.compress(dump.encode()))
    enc.close()
    path = folder / name.filename
    path.write_bytes(out.getvalue())
    (folder / name.sidecar).write_text(f"{hashlib.sha256(out.getvalue()).hexdigest()}  {name.filename}\n")
    (folder / (name.filename + ".manifest.json")).write_text("{}\n")
    return path
