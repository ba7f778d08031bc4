"""age keys for the encryption tests, made by Debian's ``age-keygen`` (the real tool)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

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
