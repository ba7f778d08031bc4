"""The age v1 format of ``core/stream/age.py`` against Debian's ``age``, both ways, and its refusals."""

from __future__ import annotations

import io
import os
import subprocess

import pytest

from citaplanner_tui.core.stream import age
from tests.support.age import keygen, needs_age

pytestmark = needs_age

# Sizes around the 64 KiB chunk: empty, one byte, a chunk minus one, exactly one and two
# chunks (the last full chunk carries the flag), one more byte, several chunks.
SIZES = [0, 1, age.CHUNK - 1, age.CHUNK, age.CHUNK + 1, 2 * age.CHUNK, 5 * age.CHUNK + 123]


def _encrypt(data: bytes, recipients, step: int = 7777) -> bytes:
    out = io.BytesIO()
    enc = age.Encryptor(out, recipients)
    for i in range(0, len(data), step):
        enc.write(data[i : i + step])
    enc.close()
    return out.getvalue()


def _decrypt(blob: bytes, identities, piece: int = 1 << 20) -> bytes:
    return b"".join(age.decrypt(iter(blob[i : i + piece] for i in range(0, len(blob), piece)), identities))


@pytest.mark.parametrize("size", SIZES)
def test_ours_opens_with_age_and_ages_opens_with_ours(tmp_path, size):
    key = keygen(tmp_path)
    data = os.urandom(size)
    ours = tmp_path / "ours.age"
    ours.write_bytes(_encrypt(data, [age.Recipient.parse(key.recipient)]))
    done = subprocess.run(["age", "-d", "-i", str(key.identity), str(ours)], capture_output=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == data

    plain, theirs = tmp_path / "plain", tmp_path / "theirs.age"
    plain.write_bytes(data)
    subprocess.run(["age", "-r", key.recipient, "-o", str(theirs), str(plain)], check=True)
    assert _decrypt(theirs.read_bytes(), age.read_identities(key.identity), piece=4096) == data


def test_keys_read_as_age_keygen_writes_them(tmp_path):
    key = keygen(tmp_path)
    (identity,) = age.read_identities(key.identity)
    assert str(identity.recipient) == key.recipient
    assert str(age.Recipient.parse(key.recipient)) == key.recipient
    assert "AGE-SECRET" not in repr(identity) and identity.encode() not in repr(identity)


def test_several_recipients_each_open_it(tmp_path):
    one, two = keygen(tmp_path / "a"), keygen(tmp_path / "b")
    blob = _encrypt(b"x" * 100_000, [age.Recipient.parse(one.recipient), age.Recipient.parse(two.recipient)])
    path = tmp_path / "f.age"
    path.write_bytes(blob)
    for key in (one, two):
        done = subprocess.run(["age", "-d", "-i", str(key.identity), str(path)], capture_output=True)
        assert done.stdout == b"x" * 100_000
        assert _decrypt(blob, age.read_identities(key.identity)) == b"x" * 100_000


def test_bad_inputs_are_refused_by_kind(tmp_path):
    key, other = keygen(tmp_path / "a"), keygen(tmp_path / "b")
    ids = age.read_identities(key.identity)
    data = os.urandom(3 * age.CHUNK + 5)
    blob = _encrypt(data, [age.Recipient.parse(key.recipient)])
    with pytest.raises(age.NoMatch):
        _decrypt(blob, age.read_identities(other.identity))
    with pytest.raises(age.NotAgeFile):
        _decrypt(b"\x1f\x8b\x08" + bytes(100), ids)
    header_end = blob.index(b"\n---") + 1
    # Cut inside the header, just after it, inside a chunk, and at a chunk boundary.
    for cut in (10, header_end + 20, len(blob) - 100, len(blob) - (5 + age.TAG)):
        with pytest.raises(age.Damaged):
            _decrypt(blob[:cut], ids)
    with pytest.raises(age.Truncated):  # exactly at the end of a middle chunk: only the flag tells
        _decrypt(blob[: len(blob) - (5 + age.TAG)], ids)
    for where in (header_end - 5, len(blob) - 40, len(blob) // 2):  # a flipped bit in the MAC line, a chunk
        flipped = bytearray(blob)
        flipped[where] ^= 0x01
        with pytest.raises(age.AgeError):
            _decrypt(bytes(flipped), ids)
    with pytest.raises(age.Damaged):
        _decrypt(blob + b"trailing", ids)


NOT_RECIPIENTS = ["", "age1", "age1qqqq", "AGE1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQ", "ssh-ed25519 AAAA"]


@pytest.mark.parametrize("text", NOT_RECIPIENTS)
def test_a_string_that_is_not_a_recipient_is_refused(text):
    with pytest.raises(age.AgeError):
        age.Recipient.parse(text)


def test_an_identity_file_that_is_not_one_says_so_without_quoting_it(tmp_path):
    path = tmp_path / "id.txt"
    path.write_text("# comment\nAGE-SECRET-KEY-1NOTAKEYATALLBUTLONGENOUGHTOLOOKLIKEONE\n")
    with pytest.raises(age.AgeError) as caught:
        age.read_identities(path)
    assert "NOTAKEY" not in str(caught.value)
    path.write_text("# only comments\n\n")
    with pytest.raises(age.AgeError, match="holds no age identity"):
        age.read_identities(path)
