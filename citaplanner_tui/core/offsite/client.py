"""The S3 client of one target, and S3's failures as one sentence each.

Why boto3 (over minio or obstore): it is the reference client of the S3 API, so it speaks
every part we rely on -- multipart uploads whose parts we read, hash and send ourselves
(bounded memory under our control), ``x-amz-checksum-sha256`` on every part and object,
object lock retention and legal holds, object versions -- and it brings the standard
credential chain (environment, ``~/.aws``, instance roles) and retries with exponential
backoff (``standard`` mode) for free.  It is well kept (AWS releases it weekly).

Two settings matter against S3-compatible servers: boto3 >= 1.36 adds CRC32 checksums to
every request by default, which some servers reject or store instead of ours, so
checksums are sent only where we ask for them (``when_required``); and path-style
addressing, which every server understands (virtual hosts need DNS per bucket).

botocore's deprecation warnings are silenced here, where it is imported: no Python
warning may reach an operator.  Messages of its exceptions never hold the secret key.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from citaplanner_tui.core.errors import OperatorError
from citaplanner_tui.core.i18n import N_, say
from citaplanner_tui.core.offsite.targets import Target, credentials

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import boto3
    from botocore.config import Config
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

warnings.filterwarnings("ignore", module=r"(boto3|botocore|s3transfer)(\.|$)")


class OffsiteError(OperatorError):
    """An off-site target refused or could not be reached; the sentence names the target."""


def connect(target: Target, env: Mapping[str, str] | None = None) -> Any:
    """A boto3 S3 client for ``target`` (no request is made yet)."""
    keys = credentials(target, env)
    config = Config(
        region_name=target.region,
        connect_timeout=target.timeout_seconds,
        read_timeout=target.timeout_seconds,
        retries={"max_attempts": target.max_attempts, "mode": "standard"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": "path"},
        max_pool_connections=16,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = boto3.session.Session(
            aws_access_key_id=keys[0] if keys else None,
            aws_secret_access_key=keys[1] if keys else None,
        )
        return session.client("s3", endpoint_url=target.endpoint_url, config=config)


# S3 error codes an operator can act on, as the end of a sentence.
_CODES = {
    "InvalidAccessKeyId": N_("refused the access key id (check AWS_ACCESS_KEY_ID or access_key_id_file)"),
    "SignatureDoesNotMatch": N_(
        "refused the secret access key (check AWS_SECRET_ACCESS_KEY or secret_access_key_file)"
    ),
    "AccessDenied": N_("denied access"),
    "NoSuchBucket": N_("has no bucket {bucket}"),
    "NoSuchKey": N_("holds no such object"),
    "404": N_("holds no such object"),
    "BadDigest": N_("received bytes whose SHA-256 differs from ours, so it refused them"),
    "InvalidRequest": N_("refused the request"),
}


_UNREACHABLE = (
    (ConnectTimeoutError, N_("no answer within the timeout")),
    (EndpointConnectionError, N_("nothing answers there (connection refused, or no route)")),
    (ReadTimeoutError, N_("it stopped answering (read timeout)")),
)


def sentence(exc: BaseException, target: Target, doing: str) -> str:
    """``exc`` (a botocore failure) as one sentence naming the target and what was being done.

    The sentence is a ``say``: English in ``--json`` and the log, the operator's language on a
    screen; ``doing`` is one too (``say("uploading {relative}", ...)``).
    """
    where = say("off-site target {name!r} ({url})", name=target.name, url=target.url)
    if isinstance(exc, NoCredentialsError):
        return say(
            "no credentials for {where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or access_key_id_file and secret_access_key_file",
            where=where,
        )
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        known = _CODES.get(code)
        said = say(known, bucket=target.bucket) if known else say("answered {code}", code=code or say("an error"))
        return say("{where} {said} while {doing}", where=where, said=said, doing=doing)
    endpoint = target.endpoint_url or "AWS S3"
    words = next((words for kind, words in _UNREACHABLE if isinstance(exc, kind)), None)
    detail = say(words) if words else str(exc).rstrip(".")
    return say(
        "cannot reach {where} at {endpoint} while {doing}: {detail}",
        where=where,
        endpoint=endpoint,
        doing=doing,
        detail=detail,
    )


def code(exc: BaseException) -> str:
    """S3's error code of ``exc`` (``AccessDenied``, ``404`` ...), or '' for other failures."""
    return str(exc.response.get("Error", {}).get("Code", "")) if isinstance(exc, ClientError) else ""


@contextmanager
def explained(target: Target, doing: str) -> Iterator[None]:
    """Turn any botocore failure inside the block into an ``OffsiteError`` of one sentence."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise OffsiteError(sentence(exc, target, doing)) from None


FAILURES = (BotoCoreError, ClientError)
