"""The age v1 file format (https://age-encryption.org/v1), X25519 recipients only.

Backups are compressed, then encrypted, then written and hashed, in the backup's single
pass; a restore decrypts while it decompresses.  That needs an encryptor we *write into*
as the compressor produces blocks, and a decryptor we *pull from* chunk by chunk.

Why not ``pyrage`` (the Rust ``rage`` bindings): its streaming calls, ``encrypt_io(in,
out)`` and ``decrypt_io(in, out)``, own the copy loop; they stream with bounded memory
(300 MB encrypted in 0.4 s at 13 MB RSS, measured) but only from a reader to a writer,
so each side of our pipeline would need an extra thread and a pipe to adapt, and its
errors are untyped strings.  The format is small and fully specified, and
``cryptography`` (pyca) has every primitive, so it is written here in one place and
proved against Debian's ``age`` both ways (``tests/test_age_format.py``).

The file: a text header, then the payload.

- ``age-encryption.org/v1``, then one stanza per recipient: ``-> X25519 <share>`` and a
  body: the 16-byte file key wrapped with ChaCha20-Poly1305 (zero nonce) under
  HKDF-SHA-256(X25519(ephemeral, recipient), salt = share || recipient,
  info ``age-encryption.org/v1/X25519``); base64 without padding, 64 columns.
- ``--- <mac>``: HMAC-SHA-256 over the header up to ``---``, keyed by
  HKDF(file key, info ``header``), so a header changed after encryption is refused.
- The payload: a 16-byte nonce, then the STREAM construction: 64 KiB plaintext chunks,
  each sealed with ChaCha20-Poly1305 under HKDF(file key, salt = nonce, info
  ``payload``), nonce = 11-byte big-endian counter and a last-chunk flag byte.  The
  flag makes truncation at a chunk boundary detectable; only an empty file has an
  empty last chunk.

Recipients are bech32 ``age1...`` strings, identities ``AGE-SECRET-KEY-1...`` lines of
an identity file (``#`` comments allowed, as ``age-keygen`` writes it).  Errors are
``AgeError`` subclasses and never quote key material.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from citaplanner_tui.core.i18n import say

MAGIC = b"age-encryption.org/v1\n"
CHUNK = 64 * 1024
TAG = 16
SEALED_CHUNK = CHUNK + TAG
NONCE = 16
_X25519_INFO = b"age-encryption.org/v1/X25519"
# A header holds one short stanza per recipient; anything longer is not one of ours.
MAX_HEADER = 64 * 1024
Read = Callable[[int], bytes]  # read(n): up to n bytes, b"" at the end
Stanza = tuple[list[bytes], bytes]  # (arguments after "->", body)


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


class AgeError(Exception):
    """Not a valid age file, key or identity; the message is safe to show."""


class NotAgeFile(AgeError):
    """The bytes do not start with an age v1 header."""


class Damaged(AgeError):
    """The header or a payload chunk fails its authentication or is malformed."""


class Truncated(Damaged):
    """The file ends before its last chunk."""


class NoMatch(AgeError):
    """None of the identities opens any of the file's stanzas."""


# -- bech32 (BIP 173; age uses the original checksum constant, no length limit) ----------
_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: Iterable[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: Iterable[int], frm: int, to: int, pad: bool) -> list[int] | None:
    acc, bits, out, maxv = 0, 0, [], (1 << to) - 1
    for value in data:
        acc = (acc << frm) | value
        bits += frm
        while bits >= to:
            bits -= to
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (to - bits)) & maxv)
    elif not pad and (bits >= frm or (acc << (to - bits)) & maxv):
        return None
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    words = _convert(data, 8, 5, True) or []
    poly = _polymod(_expand(hrp) + words + [0] * 6) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[w] for w in words + checksum)


def bech32_decode(text: str) -> tuple[str, bytes] | None:
    """``(hrp, data)`` of a valid bech32 string (all lower or all upper case), else None."""
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    hrp, sep, rest = text.rpartition("1")
    if not sep or not hrp or len(rest) < 6 or any(c not in _CHARSET for c in rest):
        return None
    words = [_CHARSET.index(c) for c in rest]
    if _polymod(_expand(hrp) + words) != 1:
        return None
    data = _convert(words[:-6], 5, 8, False)
    return (hrp, bytes(data)) if data is not None else None


# -- keys ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    """An X25519 public key, ``age1...``."""

    public: bytes

    @classmethod
    def parse(cls, text: str) -> Recipient:
        decoded = bech32_decode(text.strip())
        if decoded is None or decoded[0] != "age" or len(decoded[1]) != 32:
            raise AgeError(say("not an age X25519 recipient (age1...)"))
        return cls(decoded[1])

    def __str__(self) -> str:
        return bech32_encode("age", self.public)


@dataclass(frozen=True)
class Identity:
    """An X25519 secret key, ``AGE-SECRET-KEY-1...``; its repr never shows the key."""

    secret: bytes = field(repr=False)

    @classmethod
    def parse(cls, text: str) -> Identity:
        decoded = bech32_decode(text.strip())
        if decoded is None or decoded[0] != "age-secret-key-" or len(decoded[1]) != 32:
            raise AgeError(say("not an age X25519 identity (AGE-SECRET-KEY-1...)"))
        return cls(decoded[1])

    @classmethod
    def generate(cls) -> Identity:
        return cls(os.urandom(32))

    @property
    def recipient(self) -> Recipient:
        return Recipient(_public(X25519PrivateKey.from_private_bytes(self.secret)))

    def encode(self) -> str:
        return bech32_encode("age-secret-key-", self.secret).upper()


def read_identities(path: Path) -> list[Identity]:
    """The identities of an identity file (as ``age -i`` reads it); ``AgeError`` if it holds none
    or a line that is not one.  ``OSError`` when it cannot be read."""
    text = Path(path).read_bytes().decode("utf-8", "replace")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            found.append(Identity.parse(line))
        except AgeError:  # never quote the line: it may be a mangled secret
            raise AgeError(say("holds a line that is not an age X25519 identity (AGE-SECRET-KEY-1...)")) from None
    if not found:
        raise AgeError(say("holds no age identity (AGE-SECRET-KEY-1...)"))
    return found


def _public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt or None, info).derive(ikm)


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    """Strict unpadded base64, as the spec requires (a non-canonical encoding is refused)."""
    try:
        data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except ValueError:
        raise Damaged(say("its header holds malformed base64")) from None
    if _b64(data) != text:
        raise Damaged(say("its header holds non-canonical base64"))
    return data


def _wrap(file_key: bytes, recipient: Recipient) -> bytes:
    """One X25519 stanza, as header bytes."""
    ephemeral = X25519PrivateKey.generate()
    share = _public(ephemeral)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.public))
    key = _hkdf(shared, share + recipient.public, _X25519_INFO)
    body = _b64(ChaCha20Poly1305(key).encrypt(bytes(12), file_key, None))
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    if not lines or len(lines[-1]) == 64:
        lines.append(b"")  # the body ends with a line shorter than 64 columns
    return b"-> X25519 " + _b64(share) + b"\n" + b"\n".join(lines) + b"\n"


def _unwrap(args: list[bytes], body: bytes, identity: Identity) -> bytes | None:
    """The file key if this X25519 stanza is for ``identity``, else None."""
    if len(args) != 1:
        raise Damaged(say("its header holds a malformed X25519 stanza"))
    share, wrapped = _unb64(args[0]), _unb64(body)
    if len(share) != 32 or len(wrapped) != 32:
        raise Damaged(say("its header holds a malformed X25519 stanza"))
    secret = X25519PrivateKey.from_private_bytes(identity.secret)
    try:
        shared = secret.exchange(X25519PublicKey.from_public_bytes(share))
    except ValueError:  # an all-zero shared secret (a low-order share)
        raise Damaged(say("its header holds an invalid X25519 share")) from None
    key = _hkdf(shared, share + identity.recipient.public, _X25519_INFO)
    try:
        return ChaCha20Poly1305(key).decrypt(bytes(12), wrapped, None)
    except InvalidTag:
        return None


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


# -- encrypting ------------------------------------------------------------------------
class Encryptor:
    """Write plaintext in, age ciphertext goes to ``out`` (anything with ``write``).

    Holds at most one chunk; ``close()`` seals the last one (call it exactly once, after
    the last ``write``; ``out`` is not closed).
    """

    def __init__(self, out: Writable, recipients: Iterable[Recipient]):
        recipients = list(recipients)
        if not recipients:
            raise AgeError(say("no recipients to encrypt to"))
        self._out = out
        file_key = os.urandom(16)
        header = MAGIC + b"".join(_wrap(file_key, r) for r in recipients) + b"---"
        mac = hmac.new(_hkdf(file_key, b"", b"header"), header, hashlib.sha256).digest()
        nonce = os.urandom(NONCE)
        self._aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
        self._buf = bytearray()
        self._counter = 0
        out.write(header + b" " + _b64(mac) + b"\n" + nonce)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._buf += data
        # Keep a full chunk back until more comes: the last chunk must carry the flag.
        while len(self._buf) > CHUNK:
            self._seal(bytes(self._buf[:CHUNK]), last=False)
            del self._buf[:CHUNK]
        return len(data)

    def close(self) -> None:
        self._seal(bytes(self._buf), last=True)
        self._buf.clear()

    def _seal(self, chunk: bytes, last: bool) -> None:
        self._out.write(self._aead.encrypt(_chunk_nonce(self._counter, last), chunk, None))
        self._counter += 1


def encrypt_bytes(data: bytes, recipients: Iterable[Recipient]) -> bytes:
    """A small file's worth of bytes, encrypted whole (the roles saved beside a backup)."""
    out = io.BytesIO()
    enc = Encryptor(out, recipients)
    enc.write(data)
    enc.close()
    return out.getvalue()


# -- decrypting ------------------------------------------------------------------------
def _header(read: Read) -> tuple[list[Stanza], bytes, bytes]:
    """Parse the header from ``read(n)``: (stanzas as (args, body), the MAC'd bytes, the MAC)."""
    start = read(len(MAGIC))
    if start != MAGIC:
        if MAGIC.startswith(start):
            raise Truncated(say("it ends inside its header") if start else say("it is empty"))
        raise NotAgeFile(say("it does not start like an age-encrypted file"))
    lines = _Lines(read, start)
    stanzas: list[Stanza] = []
    while True:
        line = lines.next()
        if line.startswith(b"--- "):
            mac = _unb64(line[4:])
            if len(mac) != 32:
                raise Damaged(say("its header MAC is malformed"))
            through_dashes = len(lines.seen) - len(line) - 1 + len(b"---")  # the MAC covers up to "---"
            return stanzas, bytes(lines.seen[:through_dashes]), mac
        if not line.startswith(b"-> "):
            raise Damaged(say("its header is malformed"))
        args = line[3:].split(b" ")
        body = b""
        while True:
            part = lines.next()
            if len(part) > 64:
                raise Damaged(say("its header is malformed"))
            body += part
            if len(part) < 64:
                break
        stanzas.append((args, body))


class _Lines:
    """Header lines read one byte-run at a time, remembering every byte for the MAC."""

    def __init__(self, read: Read, start: bytes):
        self._read, self.seen, self._pos = read, bytearray(start), len(start)

    def next(self) -> bytes:
        while (end := self.seen.find(b"\n", self._pos)) < 0:
            if len(self.seen) > MAX_HEADER:
                raise Damaged(say("its header is too long"))
            more = self._read(1)
            if not more:
                raise Truncated(say("it ends inside its header"))
            self.seen += more
        line = bytes(self.seen[self._pos : end])
        self._pos = end + 1
        return line


class _Stream:
    """Bytes from an iterator of chunks, read exactly: what the header parser and the STREAM need."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._buf = chunks, bytearray()

    def read(self, n: int) -> bytes:
        while len(self._buf) < n:
            more = next(self._chunks, None)
            if more is None:
                break
            self._buf += more
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out


def decrypt(chunks: Iterator[bytes], identities: Iterable[Identity]) -> Iterator[bytes]:
    """Plaintext chunks of the age file whose bytes ``chunks`` yields.

    The header is checked (a matching stanza, then its MAC) before the first chunk is
    yielded; every chunk is authenticated before it is yielded; the end is checked (the
    last-chunk flag, nothing after it).  Raises ``NotAgeFile``, ``NoMatch``, ``Damaged``
    or ``Truncated``.
    """
    stream = _Stream(iter(chunks))
    aead = open_header(stream.read, identities)
    counter = 0
    chunk = stream.read(SEALED_CHUNK)
    while True:
        if len(chunk) < TAG:
            raise Truncated(say("it ends before its last chunk"))
        ahead = stream.read(SEALED_CHUNK) if len(chunk) == SEALED_CHUNK else b""
        last = not ahead
        try:
            plain = aead.decrypt(_chunk_nonce(counter, last), chunk, None)
        except InvalidTag:
            raise _chunk_failure(aead, chunk, counter, last) from None
        if last and not plain and counter > 0:
            raise Damaged(say("it ends with an empty last chunk"))
        if plain:
            yield plain
        if last:
            return
        counter += 1
        chunk = ahead


def _chunk_failure(aead: ChaCha20Poly1305, chunk: bytes, counter: int, last: bool) -> Damaged:
    """Why a chunk failed: a full chunk at the end that opens as a middle one was cut at a boundary."""
    if not last:
        return Damaged(say("its chunk {n} fails authentication (altered or damaged)", n=counter + 1))
    if len(chunk) == SEALED_CHUNK:
        try:
            aead.decrypt(_chunk_nonce(counter, False), chunk, None)
            return Truncated(say("it ends before its last chunk"))
        except InvalidTag:
            pass
    return Damaged(say("its last chunk fails authentication: the file is cut short or altered"))


def open_header(read: Read, identities: Iterable[Identity]) -> ChaCha20Poly1305:
    """Read the header and the payload nonce through ``read(n)``; the payload's cipher.

    Raises ``NoMatch`` when no identity opens a stanza, ``Damaged`` when the header is
    malformed or its MAC fails, ``NotAgeFile``/``Truncated``.  Reading only the header
    is how a caller checks an identity before any work.
    """
    stanzas, header, mac = _header(read)
    file_key = _file_key(stanzas, list(identities))
    expected = hmac.new(_hkdf(file_key, b"", b"header"), header, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise Damaged(say("its header fails authentication (altered or damaged)"))
    nonce = read(NONCE)
    if len(nonce) < NONCE:
        raise Truncated(say("it ends before its payload"))
    return ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))


def _file_key(stanzas: list[Stanza], identities: list[Identity]) -> bytes:
    file_key = None
    for args, body in stanzas:
        if args[0] != b"X25519":
            continue  # another recipient type (scrypt, ssh, a plugin): not for us
        for identity in identities:
            file_key = _unwrap(args[1:], body, identity)
            if file_key is not None:
                break
        if file_key is not None:
            break
    if file_key is None:
        raise NoMatch(say("none of its {n} recipient(s) is the given identity", n=len(stanzas)))
    return file_key
