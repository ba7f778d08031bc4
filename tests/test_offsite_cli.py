"""``citaplanner-tui offsite ...`` as operators run it, against SeaweedFS, and every bad input:
one sentence, a non-zero exit, nothing local lost or overwritten, no secret printed."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.support.backup import cli, cli_env
from tests.support.catalog import old_dump
from tests.support.s3 import ADMIN, READER, SECRETS, closed_port, config_file

NOW = datetime.now().replace(microsecond=0)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (but our state folder) and its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).parts[0].startswith((".citaplanner-tui", "logs"))
    }


def volume(tmp_path: Path, n: int = 2) -> Path:
    vol = tmp_path / "vol"
    for i in range(n):
        old_dump(vol / "daily", "daily", NOW - timedelta(hours=1 + 24 * i))
    return vol


def run(tmp_path: Path, config: Path, *args: str, vol: Path | None = None):
    env = cli_env("postgresql://nobody@127.0.0.1:1/none", vol or tmp_path / "vol", CITAPLANNER_TUI_CONFIG=str(config))
    return cli(*args, env=env)


def no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def one_sentence(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text and "Warning" not in text
    return lines[0]


def test_push_list_verify_prune_and_status_see_the_same_target(tmp_path, s3, bucket):
    vol = volume(tmp_path)
    config = config_file(tmp_path / "cfg", s3, bucket)
    pushed = run(tmp_path, config, "offsite", "push")
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout.startswith("OK t1: 4 objects uploaded") and pushed.stderr == ""
    listed = run(tmp_path, config, "offsite", "list", "--json")
    (target,) = json.loads(listed.stdout)
    assert listed.returncode == 0 and target["backups"] == 2 and target["missing"] == 0
    assert [c["backup"] for c in target["contents"]] == sorted(
        (f"daily/{p.name}" for p in (vol / "daily").glob("*.gz")), reverse=True
    )
    for deep in ([], ["--deep"]):
        checked = run(tmp_path, config, "offsite", "verify", *deep)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert checked.stdout.count("OK   t1:daily/") == 2
    status = run(tmp_path, config, "status", "--json")
    report = json.loads(status.stdout)
    (facts,) = report["offsite"]
    assert facts["name"] == "t1" and facts["last_push_ok"] is True and facts["lag_hours"] == 0
    offsite_checks = [c for c in report["checks"] if c["subject"] == "offsite t1"]
    assert [c["health"] for c in offsite_checks] == ["WARN"] and "unencrypted" in offsite_checks[0]["reason"]
    pruned = run(tmp_path, config, "offsite", "prune", "--dry-run")
    assert pruned.returncode == 0 and "nothing to prune on t1" in pruned.stdout
    no_secret(pushed.stdout, listed.stdout, status.stdout, (vol / ".citaplanner-tui" / "offsite.json").read_text())
    no_secret(*[p.read_text() for p in (vol / "logs").glob("*")])


@pytest.mark.parametrize(
    "change, words",
    [
        ({"keys": (ADMIN[0], "not-the-secret")}, "refused the secret access key"),
        ({"keys": ("AKIDNOBODY", "whatever")}, "refused the access key id"),
        ({"keys": READER}, "denied access while uploading"),
        ({"endpoint_url": "closed"}, "cannot reach off-site target 't1'"),
        ({"bucket": "no-such-bucket-here"}, "has no bucket no-such-bucket-here"),
    ],
)
def test_a_target_that_refuses_or_is_not_there_fails_the_push_in_one_sentence(tmp_path, s3, bucket, change, words):
    vol = volume(tmp_path)
    before = snapshot(vol)
    extra = {"endpoint_url": f"http://127.0.0.1:{closed_port()}"} if change.get("endpoint_url") else {}
    config = config_file(tmp_path / "cfg", s3, change.get("bucket", bucket), keys=change.get("keys", ADMIN), **extra)
    pushed = run(tmp_path, config, "offsite", "push")
    assert pushed.returncode == 1
    line = one_sentence(pushed.stdout)
    assert line.startswith("FAIL t1: ") and words in line, line
    assert snapshot(vol) == before
    status = run(tmp_path, config, "status", "--json")
    checks = [c for c in json.loads(status.stdout)["checks"] if c["subject"] == "offsite t1"]
    assert checks[0]["health"] == "FAIL" and status.returncode == 2
    assert any("the last push to 't1'" in c["reason"] for c in checks) or words in checks[0]["reason"]
    no_secret(pushed.stdout, pushed.stderr, status.stdout, *[p.read_text() for p in (vol / "logs").glob("*")])


def test_a_backup_whose_push_fails_still_succeeds_with_a_warning(tmp_path, s3, app_db):
    from tests.support.backup import fill

    fill(app_db)
    vol = tmp_path / "vol"
    config = config_file(tmp_path / "cfg", s3, "no-such-bucket-either")
    env = cli_env(app_db.url, vol, CITAPLANNER_TUI_CONFIG=str(config))
    done = cli("backup", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK ")
    line = one_sentence(done.stderr)
    assert line.startswith("WARN offsite push to t1 failed: ") and "has no bucket" in line
    assert len(list((vol / "daily").glob("*.sql.gz.sha256"))) == 1


def test_unknown_target_and_malformed_url_are_one_sentence(tmp_path, s3, bucket):
    volume(tmp_path)
    config = config_file(tmp_path / "cfg", s3, bucket)
    for step in ("push", "list", "verify", "prune"):
        unknown = run(tmp_path, config, "offsite", step, "--target", "nope")
        assert unknown.returncode == 1
        assert "there is no off-site target named 'nope' (configured: t1)" in one_sentence(unknown.stderr)
    bad = config_file(tmp_path / "bad", s3, bucket)
    bad.write_text(bad.read_text().replace(f"s3://{bucket}/prod", "s3:/nobucket"))
    refused = run(tmp_path, bad, "offsite", "list")
    assert refused.returncode == 1 and "must look like s3://bucket/prefix" in one_sentence(refused.stderr)
    refused = run(tmp_path, bad, "status")  # every command reads the config whole
    assert refused.returncode == 1 and "must look like s3://bucket/prefix" in one_sentence(refused.stderr)


def test_an_object_altered_after_upload_fails_verify_by_name(tmp_path, s3, bucket):
    vol = volume(tmp_path)
    config = config_file(tmp_path / "cfg", s3, bucket)
    assert run(tmp_path, config, "offsite", "push").returncode == 0
    first, second = sorted((vol / "daily").glob("*.sql.gz"))
    client = s3.client()
    client.put_object(Bucket=bucket, Key=f"prod/daily/{first.name}", Body=b"not the backup")
    sha = hashlib.sha256(second.read_bytes()).hexdigest()  # a forger who copies our metadata
    client.put_object(Bucket=bucket, Key=f"prod/daily/{second.name}", Body=b"forged", Metadata={"sha256": sha})
    for deep in ([], ["--deep"]):
        checked = run(tmp_path, config, "offsite", "verify", *deep)
        assert checked.returncode == 1
        lines = checked.stdout.strip().splitlines()
        assert any(line.startswith(f"FAIL t1:daily/{first.name}") and "replaced after upload" in line for line in lines)
        assert any(line.startswith(f"FAIL t1:daily/{second.name}") for line in lines), lines
    assert first.read_bytes()[:2] == b"\x1f\x8b"  # the local backups are untouched


def test_pull_brings_a_backup_back_and_never_overwrites(tmp_path, s3, bucket):
    vol = volume(tmp_path, 1)
    config = config_file(tmp_path / "cfg", s3, bucket)
    assert run(tmp_path, config, "offsite", "push").returncode == 0
    (dump,) = (vol / "daily").glob("*.sql.gz")
    original = dump.read_bytes()
    again = run(tmp_path, config, "offsite", "pull", dump.name)
    assert again.returncode == 1 and "is already on the volume; nothing was downloaded" in one_sentence(again.stderr)
    other = tmp_path / "other"
    pulled = run(tmp_path, config, "offsite", "pull", f"daily/{dump.name}", vol=other)
    assert pulled.returncode == 0, pulled.stderr
    assert (other / "daily" / dump.name).read_bytes() == original
    assert (other / "daily" / (dump.name + ".sha256")).read_text().split()[0] == hashlib.sha256(original).hexdigest()
    verified = cli("verify", env=cli_env("postgresql://x@127.0.0.1:1/x", other))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    missing = run(tmp_path, config, "offsite", "pull", "citaplanner_daily_20200101_000000.sql.gz", vol=other)
    assert missing.returncode == 1 and "holds no such object" in one_sentence(missing.stderr)
    foreign = run(tmp_path, config, "offsite", "pull", "../etc/passwd", vol=other)
    assert foreign.returncode == 1 and "is not the name of a backup" in one_sentence(foreign.stderr)


def test_read_only_refuses_push_pull_and_prune_but_lists_and_verifies(tmp_path, s3, bucket):
    vol = volume(tmp_path, 1)
    config = config_file(tmp_path / "cfg", s3, bucket)
    assert run(tmp_path, config, "offsite", "push").returncode == 0
    state = (vol / ".citaplanner-tui" / "offsite.json").read_bytes()
    (dump,) = (vol / "daily").glob("*.sql.gz")
    for step in (["push"], ["pull", dump.name], ["prune"]):
        refused = run(tmp_path, config, "--read-only", "offsite", *step)
        assert refused.returncode == 1
        assert "read-only mode is on, so offsite" in one_sentence(refused.stderr), step
    for step in (["list"], ["verify"], ["prune", "--dry-run"]):
        assert run(tmp_path, config, "--read-only", "offsite", *step).returncode == 0, step
    assert (vol / ".citaplanner-tui" / "offsite.json").read_bytes() == state
