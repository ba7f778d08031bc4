"""The app keeps writing through a restore: every write it was told is committed is found afterwards.

In place, writes stop before the safety backup, so each acknowledged write is in the
safety backup or, made after the restore, in the restored database.  In swap mode each
is in the parked pre-restore database or in the restored one, and the outcome says per
table how the parked copy differs.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from citaplanner_tui.core.restore import execute, preflight
from citaplanner_tui.core.stream.archive import ArchiveReader
from tests.support.restore import fill, settings_for, take_backup

WRITER_START = 1_000_000  # ids the writer uses, above those in the backup


class Writer(threading.Thread):
    """The app: one INSERT per transaction, reconnecting whenever its session is ended or refused."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.stop, self.acked, self.refused = url, threading.Event(), [], 0
        self.next_id = WRITER_START

    def run(self) -> None:
        import psycopg

        while not self.stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5, application_name="app") as conn:
                    while not self.stop.is_set():
                        conn.execute("INSERT INTO app_writes (id) VALUES (%s)", (self.next_id,))
                        self.acked.append(self.next_id)  # the server said COMMIT
                        self.next_id += 1
                        time.sleep(0.002)
            except psycopg.Error:
                self.refused += 1
                self.next_id += 1  # a write whose fate we were not told is never counted as acknowledged
                time.sleep(0.01)

    def wait_for(self, n: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < n:
            assert time.monotonic() < deadline and self.is_alive(), "the writer made no progress"
            time.sleep(0.01)


def _ids(server, db: str) -> set[int]:
    return {r[0] for r in server.sql("SELECT id FROM app_writes", db)}


def _ids_in_dump(path) -> set[int]:
    """The ids in the app_writes COPY block of a plain-format dump (a safety backup is zstd, a backup gzip)."""
    lines = b"".join(ArchiveReader(path)).decode().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("COPY public.app_writes "))
    end = lines.index("\\.", start)
    return {int(ln.split("\t")[0]) for ln in lines[start + 1 : end]}


@pytest.mark.parametrize("mode", ["in-place", "swap"])
def test_every_acknowledged_write_is_kept_and_the_operator_is_told_where(app_db, backup_dir, mode):
    live = app_db
    fill(live, clients=30, appointments=80)
    live.sql(
        "CREATE TABLE app_writes (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now()); "
        "INSERT INTO app_writes (id) SELECT g FROM generate_series(1, 50) g; "
        "ALTER TABLE app_writes OWNER TO citaplanner"
    )
    archive = take_backup(live, backup_dir)
    settings = settings_for(live, backup_dir)
    plan = preflight(settings, archive, mode=mode)
    assert plan.ok, plan.checks

    writer = Writer(live.url.split("?")[0])
    writer.start()
    try:
        writer.wait_for(20)  # writing before the restore starts
        outcome = execute(settings, plan, confirm=live.name)
        after = len(writer.acked)
        writer.wait_for(after + 20)  # and after it ended
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    acked = set(writer.acked)
    restored = _ids(live.server, live.name) - set(range(1, 51))
    assert set(range(1, 51)) <= _ids(live.server, live.name)  # the backup's rows are back

    if mode == "in-place":
        kept = _ids_in_dump(Path(outcome.safety_backup)) - set(range(1, 51))
        assert kept and restored  # writes landed before the restore (safety backup) and after it
        assert acked <= kept | restored, sorted(acked - kept - restored)[:20]
        assert writer.refused > 0  # writes were refused in between, never silently dropped
        assert "holds every write committed before the restore" in outcome.undo
        assert outcome.writes_refused and outcome.writes_refused > 0
        assert (
            live.sql(
                "SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
                "WHERE d.datname = current_database() AND s.setrole = 0"
            )
            == []
        )
    else:
        parked = _ids(live.server, outcome.pre_restore) - set(range(1, 51))
        assert parked and restored
        assert acked <= parked | restored, sorted(acked - parked - restored)[:20]
        assert outcome.parked_differences == {"public.app_writes": len(parked)}
        assert f"{len(parked):+d} rows in public.app_writes" in outcome.undo
