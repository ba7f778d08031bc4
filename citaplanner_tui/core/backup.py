"""Make a backup: one ``pg_dump`` streamed through Python, compressed on every core.

The run, under the volume's lock (``core/volume/lock.py``):

1. remove ``.partial`` files left by a crashed run (nobody else can be writing them),
   and check a dump that a crash left without its sidecar: sealed if complete, else
   recorded as damaged (``verify.reseal``);
2. choose the pg_dump matching the server and check there is room for the dump;
3. stream ``pg_dump --format=plain --no-owner --no-acl`` into ``<tier>/<name>.partial``:
   a dedicated thread reads the pipe (pg_dump never waits on Python), feeds the dump
   scanner (the completion trailer must be seen) and the compressing writer (which
   hashes what it writes); with ``[encryption] age_recipients`` the compressed stream
   goes through the age encryptor (``core/stream/age.py``) on its way to the file, in
   the same pass: ``.sql.gz.age``, the sidecar hashing the encrypted file and the
   manifest also recording the compressed dump's own hash;
4. only if pg_dump exited 0 *and* the trailer was seen: fsync, rename, fsync the
   folder, then the manifest (``core/volume/manifest.py``) and the sidecar ``HASH  basename``
   written the same way; weekly and monthly get the same dump as hard links (a copy
   where linking fails), each with its manifest and sidecar;
5. retention for the tiers that just got a verified new backup, then ``RECOVERY.md``
   (``core/recovery_doc.py``) rewritten for the volume as it now is.

Whatever fails (pg_dump, the server, a full disk, a cancel, a bug) everything this run
created is removed before the error goes up, so nothing that looks complete is left and
older backups are never touched.  A ``kill -9`` can only leave a ``.partial`` file (the
catalog calls it unfinished; the next run removes it).  The password reaches pg_dump
only through its environment, and the log names the target by ``ConnInfo.redacted()``.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import psycopg

from citaplanner_tui.core.i18n import N_, say
from citaplanner_tui import __version__
from citaplanner_tui.core import recovery_doc, verify
from citaplanner_tui.core.errors import Cancelled, ConfigError, OperatorError
from citaplanner_tui.core.events import Reporter
from citaplanner_tui.core.logs.writer import Log
from citaplanner_tui.core.pg import tools as pgtools
from citaplanner_tui.core.pg.connect import connect, database_size, server_version
from citaplanner_tui.core.pg.conninfo import ConnInfo
from citaplanner_tui.core.report import units
from citaplanner_tui.core.settings import Settings
from citaplanner_tui.core.stream import age
from citaplanner_tui.core.stream.compress import HashingSink, Writer, open_writer
from citaplanner_tui.core.stream.dumpscan import DumpInfo, DumpScanner
from citaplanner_tui.core.stream.heap import keep_freed_memory
from citaplanner_tui.core.volume import catalog, lock, manifest, private, retention
from citaplanner_tui.core.volume.durable import fsync_dir
from citaplanner_tui.core.volume.manifest import Manifest
from citaplanner_tui.core.volume.naming import (
    AGE_SUFFIX,
    GLOBALS_SUFFIX,
    SIDECAR_SUFFIX,
    TIERS,
    BackupName,
    make_name,
    parse_name,
)
from citaplanner_tui.core.volume.prune import apply_removals
from citaplanner_tui.core.volume.records import Records
from citaplanner_tui.core.volume.tiers import tiers_for

READ_CHUNK = 1 << 20
HISTORY_FILE = "last-backup.json"
# Without history, assume the compressed dump is a quarter of the database's size on
# disk (indexes and free space are not dumped; plain SQL deflates 4-6x).
DEFAULT_RATIO = 0.25
HEADROOM = 1.2
# A safety backup is taken while an operator waits on a restore (in place, while writes are
# refused) and kept only until later restores rotate it: so in the fastest format whatever
# the configured one.  At 250 MB of SQL, zstd took 1.8 s of CPU where gzip took 4.3 s (level 6)
# or 2.7 s (level 1, for a file 1.7x the size); zstd's is gzip 6's size, so the restore's
# space check holds.  This tool restores it, and so does ``zstd -dc FILE | psql``.
SAFETY_FORMAT = "zstd"
_NAME_WAITS = 5  # seconds a run waits for a free name before it refuses
_LINK_FAILURES = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}
_FULL = {errno.ENOSPC, errno.EDQUOT}


class VolumeFull(OperatorError):
    """The backup volume has, or had, no room for the dump."""


class DumpFailed(OperatorError):
    """pg_dump failed or its output was incomplete."""


@dataclass
class BackupResult:
    """What a successful run wrote: ``files`` (primary first), their shared hash and size."""

    files: list[Path]
    sha256: str
    size: int
    raw_bytes: int
    duration: float
    format: str
    tiers: tuple[str, ...]
    pg_dump: str
    rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    pruned: list[Path] = field(default_factory=list)
    manifest: Manifest | None = None

    @property
    def pruned_backups(self) -> int:
        """Backups pruned, not files: a dump's sidecar and manifest go with it and are not counted."""
        return sum(1 for p in self.pruned if parse_name(p.name) is not None)

    def to_json(self) -> dict[str, object]:
        return {
            "files": [str(p) for p in self.files],
            "sha256": self.sha256,
            "size": self.size,
            "raw_bytes": self.raw_bytes,
            "duration": round(self.duration, 3),
            "format": self.format,
            "tiers": list(self.tiers),
            "pg_dump": self.pg_dump,
            "rows": self.rows,
            "warnings": self.warnings,
            "pruned": [str(p) for p in self.pruned],
            "manifest": self.manifest.to_json() if self.manifest else None,
        }


class _JobLog:
    """The run's log.  A log volume that is full or read-only must not hide the real outcome."""

    def __init__(self, log_dir: Path):
        self._log = Log(log_dir, "backup")
        self.problem: str | None = None

    def __call__(self, level: str, message: str) -> None:
        try:
            self._log.write(level, message)
        except OSError as exc:
            self.problem = self.problem or f"the log in {self._log.log_dir} cannot be written: {exc.strerror}"


def run_backup(
    settings: Settings, *, tier: str = "auto", reporter: Reporter | None = None, now: datetime | None = None
) -> BackupResult:
    """Take one backup of ``settings.database_url`` into ``settings.backup_dir``.

    ``tier``: ``auto`` (daily, plus weekly on Sunday and monthly on the 1st, plus any
    rotated tier whose current week or month has no good backup yet), or one tier.
    ``manual`` and ``safety`` backups are never rotated.  Raises an
    ``OperatorError`` (one sentence) on any failure, after removing what it created.
    """
    settings.require_writable(N_("a backup"))
    _make_folder(settings.backup_dir, check_access=False)  # before the log or the lock make it with the umask's mode
    reporter = reporter or Reporter()
    now = (now or datetime.now()).replace(microsecond=0)
    tiers_for(tier, now.date())  # an unknown tier is refused before anything is written
    info = settings.conninfo()
    log = _JobLog(settings.logs)
    sealed = f", encrypted with age to {len(settings.encryption.age_recipients)} recipient(s)"
    log(
        "INFO",
        f"backup started: {tier} of {info.redacted()} as {compression_for(settings, tier)}"
        + (sealed if settings.encryption.age_recipients else ""),
    )
    try:
        with lock.hold(settings.backup_dir, "backup"):
            now = _free_second(settings, tier, now)
            result = _Run(settings, info, tier, now, reporter, log).run()
    except Cancelled as exc:  # asked for (an operator, a stopping daemon): said, not counted as a failure
        log("WARN", exc.sentence)
        raise
    except OperatorError as exc:
        log("ERROR", f"backup failed: {exc.sentence}")
        raise
    except BaseException as exc:
        log("ERROR", f"backup failed: {type(exc).__name__}: {exc}")
        raise
    if log.problem:
        result.warnings.append(log.problem)
    return result


def _free_second(settings: Settings, tier: str, now: datetime) -> datetime:
    """``now``, or the first later second whose name for this run's dump is free.

    The lock lets one run at a time, so a taken name is that of a run that ended, or was
    killed, earlier in the same second: a restore retried at once after a crash, two
    backups from a script.  Waiting for the clock's next second keeps the old script's
    name shape and a stamp that is still the time the dump was taken.  A name still
    taken after a few seconds is refused by the run itself, with one sentence.
    """
    for _ in range(_NAME_WAITS):
        name = _dump_name(settings, tier, now)
        if not os.path.lexists(settings.backup_dir / name.tier / name.filename):
            break
        time.sleep(1.0 - time.time() % 1.0)
        now += timedelta(seconds=1)
    return now


def _dump_name(settings: Settings, tier: str, now: datetime) -> BackupName:
    """The name of the dump a run asked for ``tier`` at ``now`` writes, filed under its first tier."""
    encrypted = bool(settings.encryption.age_recipients)
    return make_name(tiers_for(tier, now.date())[0], now, compression_for(settings, tier), encrypted=encrypted)


def compression_for(settings: Settings, tier: str) -> str:
    """The format a backup of ``tier`` is written in: the configured one, but the fastest for safety backups."""
    return SAFETY_FORMAT if tier == "safety" else settings.compression


class _Run:
    """One backup run; ``created`` lists every path it made, for the rollback."""

    def __init__(self, settings: Settings, info: ConnInfo, tier: str, now: datetime, reporter: Reporter, log: _JobLog):
        self.settings, self.info, self.tier, self.now = settings, info, tier, now
        self.tiers: tuple[str, ...] = ()
        self.reporter, self.log = reporter, log
        self.fmt = compression_for(settings, tier)
        self.recipients = [age.Recipient.parse(r) for r in settings.encryption.age_recipients]
        self.globals_suffix = GLOBALS_SUFFIX + (AGE_SUFFIX if self.recipients else "")
        self.created: list[Path] = []
        self.started = time.monotonic()

    def run(self) -> BackupResult:
        try:
            return self._run()
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, OSError):
                raise _os_error(exc, self.settings.backup_dir) from None
            raise

    def _run(self) -> BackupResult:
        s = self.settings
        before = catalog.scan(s)
        self.tiers = tiers_for(self.tier, self.now.date(), retention.covered(before, self.now))
        for t in self.tiers:
            _make_folder(s.backup_dir / t)
        self._remove_stale_partials(before)
        self._reseal(before)
        self.reporter("connect", force=True)
        major, minor = server_version(self.info)
        tools = pgtools.choose(major, s.pg_bindir)
        self.log(
            "INFO", f"server PostgreSQL {major}.{minor}; pg_dump {tools.version} from {tools.bindir} ({tools.reason})"
        )
        db_size = database_size(self.info)
        migration = self._migration_head()
        roles = self._globals(tools) if s.backup.with_globals else None
        if roles is not None and self.recipients:  # role settings (and maybe password hashes) are as private
            roles = age.encrypt_bytes(roles, self.recipients)
        name = _dump_name(s, self.tier, self.now)
        previous = _previous(before, name)
        need, raw_estimate = _estimate(db_size, _read_history(s).get(self.fmt), previous)
        self._check_space(need, db_size)
        primary = s.backup_dir / name.tier / name.filename
        if os.path.lexists(primary):
            raise ConfigError(
                f"{primary.name} and the names of the {_NAME_WAITS} seconds before it are all taken in "
                f"{s.backup_dir / name.tier}; is another program writing backups there?"
            )
        sha, size, dump, sealed = self._dump(tools, s.backup_dir / name.tier / name.partial, raw_estimate)
        self.reporter("finish", force=True)
        self._publish(primary.with_name(name.partial), primary)
        facts = manifest.Manifest(
            tool_version=__version__,
            pg_dump_version=tools.version,
            server_version=f"{major}.{minor}",
            database=self.info.dbname,
            database_size=db_size,
            compression=self.fmt,
            sha256=sha,
            size=size,
            taken_at=self.now.isoformat(),
            rows=dict(dump.rows),
            migration=migration,
            globals_file=primary.name + self.globals_suffix if roles is not None else None,
            encryption=sealed,
        )
        self._seal(primary, sha, facts, roles)
        files = [primary]
        for t in self.tiers[1:]:
            files.append(self._file_under(primary, name.for_tier(t), sha, facts, roles))
        self.created.clear()  # from here on the backup stands, whatever follows

        elapsed = time.monotonic() - self.started
        result = BackupResult(
            files, sha, size, dump.bytes, elapsed, self.fmt, self.tiers, tools.version, dict(dump.rows), manifest=facts
        )
        self.log(
            "OK",
            f"backup written: {', '.join(p.name for p in files)} "
            f"({units.size(size)} from {units.size(dump.bytes)} of SQL, {elapsed:.1f} s, "
            f"sha256 {sha[:12]})",
        )
        if shrunk := _shrink_warning(previous, name, size, s.thresholds.shrink_warn_ratio):
            self._warn(result, shrunk)
        try:
            _write_history(s, self.fmt, db_size, dump.bytes, size)
        except OSError as exc:
            self._warn(result, f"the size history cannot be saved ({exc.strerror}); the next space check will guess")
        self._prune(result)
        try:
            recovery_doc.write(s, now=self.now)
        except OSError as exc:
            self._warn(result, f"RECOVERY.md cannot be written ({exc.strerror}); the backup is kept")
        result.duration = time.monotonic() - self.started
        self.reporter("done", size, size, force=True)
        return result

    # -- steps -------------------------------------------------------------
    def _remove_stale_partials(self, scan: catalog.Catalog) -> None:
        """A ``.partial`` seen while we hold the lock belongs to a run that died."""
        for e in scan:
            if e.state is catalog.State.PARTIAL and e.folder in TIERS:
                try:
                    e.path.unlink()
                    self.log("INFO", f"removed {e.path.name}, left unfinished by an earlier run")
                except FileNotFoundError:
                    pass

    def _reseal(self, scan: catalog.Catalog) -> None:
        """A dump left without its sidecar (a run killed between the two) is checked and sealed, or marked damaged."""
        store = Records(self.settings)
        for e in scan:
            if verify.needs_reseal(e):
                verify.reseal(e, store, self.log)

    def _check_space(self, need: int, db_size: int) -> None:
        free = shutil.disk_usage(self.settings.backup_dir / self.tiers[0]).free
        self.log("INFO", f"database {units.size(db_size)}; {units.size(free)} free, about {units.size(need)} needed")
        if free < need:
            raise VolumeFull(
                f"the backup volume {self.settings.backup_dir} has {units.size(free)} free but this backup "
                f"needs about {units.size(need)} (database {units.size(db_size)}); "
                "free some space or keep fewer backups"
            )

    def _dump(
        self, tools: pgtools.ClientTools, partial: Path, raw_estimate: int | None
    ) -> tuple[str, int, DumpInfo, manifest.Encrypted | None]:
        """Stream pg_dump into ``partial``; return (sha256, size, DumpInfo, Encrypted or None) of a complete dump.

        Encrypted, the compressed stream goes through the age encryptor into ``sink``,
        which hashes the file's bytes; the compressing writer's own hash is then the
        compressed dump's, inside the encryption.
        """
        argv = [tools.path("pg_dump"), "--format=plain", "--no-owner", "--no-acl", "--dbname", self.info.conninfo()]
        with self._create(partial, buffering=0) as out, tempfile.TemporaryFile() as errors:
            sink = HashingSink(out) if self.recipients else None
            encryptor = age.Encryptor(sink, self.recipients) if sink is not None else None
            # the writers call only write() on their output, which the encryptor has (age.Writable)
            into = cast(BinaryIO, encryptor) if encryptor is not None else out
            writer = open_writer(self.fmt, into, gzip_level=self.settings.gzip_level)
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    env={**os.environ, **self.info.env()},
                )
            except OSError as exc:
                writer.abort()
                raise DumpFailed(f"cannot run {argv[0]}: {exc.strerror}") from None
            pump = _Pump(proc, DumpScanner(), writer)
            try:
                self._watch(pump, proc, writer, raw_estimate)
                writer.close()
                if encryptor is not None:
                    encryptor.close()
            except BaseException:
                proc.kill()
                proc.wait()
                pump.join()
                writer.abort()
                raise
            rc = proc.wait()
            os.fsync(out.fileno())
            errors.seek(0)
            stderr = errors.read().decode("utf-8", "replace")
        scanned = pump.scanner.info
        if rc != 0:
            raise DumpFailed(f"pg_dump failed: {_first_error(stderr, rc)}; no backup was kept")
        if not (scanned.header and scanned.complete):
            raise DumpFailed(
                "the dump ended without pg_dump's completion trailer, so it is cut short; no backup was kept"
            )
        self.log("INFO", f"pg_dump finished: {len(scanned.rows)} tables, {sum(scanned.rows.values())} rows")
        if sink is None:
            return writer.sha256, writer.compressed_bytes, scanned, None
        sealed = manifest.Encrypted(tuple(str(r) for r in self.recipients), writer.sha256, writer.compressed_bytes)
        return sink.hasher.hexdigest(), sink.bytes, scanned, sealed

    def _watch(self, pump: _Pump, proc: subprocess.Popen[bytes], writer: Writer, raw_estimate: int | None) -> None:
        """Report progress until the pump is done; stop pg_dump on cancel or a write error."""
        pump.start()
        while pump.is_alive():
            pump.join(0.1)
            self.reporter(
                "dump",
                pump.scanner.info.bytes,
                raw_estimate,
                f"{units.size(writer.compressed_bytes)} {self.fmt} written",
            )
            if self.reporter.cancel.is_set():
                raise Cancelled(say("backup cancelled; nothing was kept and older backups are untouched"))
        if pump.error is not None:
            raise pump.error

    def _create(self, path: Path, buffering: int = -1) -> BinaryIO:
        """A new file of ours: never overwrites, 0600 from the first byte, remembered for the rollback."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        self.created.append(path)
        return os.fdopen(fd, "wb", buffering=buffering)

    def _publish(self, partial: Path, final: Path) -> None:
        """Rename a finished, fsynced file into place and make the rename durable."""
        os.rename(partial, final)
        self.created.remove(partial)
        self.created.append(final)
        fsync_dir(final.parent)

    def _migration_head(self) -> manifest.Migration | None:
        """Prisma's newest applied migration, for the manifest; None (and a log line) if unreadable."""
        try:
            with connect(self.info) as conn:
                return manifest.prisma_head(conn, self.info.schema)
        except (OperatorError, psycopg.Error) as exc:
            self.log(
                "WARN",
                f"the Prisma migrations table cannot be read ({type(exc).__name__}); "
                "the manifest will not name the schema version",
            )
            return None

    def _globals(self, tools: pgtools.ClientTools) -> bytes:
        """``pg_dumpall --globals-only``: roles and their settings, never their passwords unless readable.

        A role that may not read ``pg_authid`` (any but a superuser) gets
        ``--no-role-passwords``, without which pg_dumpall would fail.
        """
        with connect(self.info) as conn:
            row = conn.execute("SELECT has_table_privilege('pg_catalog.pg_authid', 'SELECT')").fetchone()
        readable = row is not None and row[0]
        argv = [tools.path("pg_dumpall"), "--globals-only", "--dbname", self.info.conninfo()]
        if not readable:
            argv.append("--no-role-passwords")
        try:
            done = subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=300, env={**os.environ, **self.info.env()}
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DumpFailed(
                f"cannot run pg_dumpall for the roles: {getattr(exc, 'strerror', None) or exc}; no backup was kept"
            ) from None
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace")
            raise DumpFailed(
                f"pg_dumpall --globals-only failed: {_first_error(stderr, done.returncode)}; no backup was kept"
            )
        self.log(
            "INFO",
            "roles saved with pg_dumpall --globals-only"
            + ("" if readable else " --no-role-passwords (this role may not read them)"),
        )
        return done.stdout

    def _seal(self, dump: Path, sha: str, facts: manifest.Manifest, roles: bytes | None) -> None:
        """Roles, manifest, then the sidecar (last: a dump with its sidecar is a finished backup)."""
        if roles is not None:
            self._write_beside(dump.with_name(dump.name + self.globals_suffix), roles)
        self._write_beside(manifest.path_for(dump), manifest.encode(facts))
        self._write_beside(dump.with_name(dump.name + SIDECAR_SUFFIX), catalog.sidecar_line(dump.name, sha).encode())

    def _write_beside(self, final: Path, data: bytes) -> None:
        """A small file of the backup, written like the dump: private, fsynced, renamed into place."""
        tmp = final.with_name(final.name + ".partial")
        with self._create(tmp) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        self._publish(tmp, final)

    def _file_under(
        self, primary: Path, name: BackupName, sha: str, facts: manifest.Manifest, roles: bytes | None
    ) -> Path:
        """The same dump under another tier: a hard link, or a copy where linking fails."""
        target = self.settings.backup_dir / name.tier / name.filename
        try:
            os.link(primary, target)
            self.created.append(target)
            fsync_dir(target.parent)
        except OSError as exc:
            if exc.errno not in _LINK_FAILURES:
                raise
            tmp = target.with_name(name.partial)
            with open(primary, "rb") as src, self._create(tmp) as dst:
                shutil.copyfileobj(src, dst, READ_CHUNK)
                dst.flush()
                os.fsync(dst.fileno())
            self._publish(tmp, target)
        if roles is not None:
            facts = replace(facts, globals_file=target.name + self.globals_suffix)
        self._seal(target, sha, facts, roles)
        return target

    def _prune(self, result: BackupResult) -> None:
        """Retention, only for the rotated tiers that just got this verified backup."""
        self.reporter("prune", force=True)
        try:
            removals = retention.to_remove(
                catalog.scan(self.settings),
                self.settings.retention,
                self.tiers,
                shrink_ratio=self.settings.thresholds.shrink_warn_ratio,
            )
            result.pruned = apply_removals(removals, self.log)
        except OSError as exc:
            self._warn(result, f"retention stopped: {exc.strerror}; the new backup is kept")

    def _warn(self, result: BackupResult, sentence: str) -> None:
        result.warnings.append(sentence)
        self.log("WARN", sentence)

    def _rollback(self) -> None:
        for path in reversed(self.created):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                self.log("ERROR", f"could not remove {path}: {exc.strerror}")
        self.created.clear()


class _Pump(threading.Thread):
    """Reads pg_dump's stdout as fast as it comes; feeds the scanner and the writer.

    Runs in its own thread so pg_dump never blocks on Python; the writer's bounded queue
    is the only thing that may slow it, and then only as much as the disk does.
    """

    def __init__(self, proc: subprocess.Popen[bytes], scanner: DumpScanner, writer: Writer):
        super().__init__(name="pg_dump-reader", daemon=True)
        self.proc, self.scanner, self.writer = proc, scanner, writer
        self.error: BaseException | None = None

    def run(self) -> None:
        assert self.proc.stdout is not None  # pg_dump runs with stdout=PIPE
        keep_freed_memory()  # each read is a new buffer of a megabyte
        fd = self.proc.stdout.fileno()
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, READ_CHUNK)  # fewer, larger reads
        except OSError:
            pass
        try:
            while chunk := os.read(fd, READ_CHUNK):
                self.scanner.feed(chunk)
                self.writer.write(chunk)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc
            self.proc.kill()  # it would block on a pipe nobody reads any more
        finally:
            self.proc.stdout.close()


# -- helpers ---------------------------------------------------------------
def _make_folder(path: Path, check_access: bool = True) -> None:
    """A folder of ours and any missing parents, 0700 (see ``core/volume/private.py``)."""
    try:
        private.mkdirs(path)
    except OSError as exc:
        raise ConfigError(f"cannot create the backup folder {path}: {exc.strerror}") from None
    if check_access and not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write to the backup folder {path}: permission denied")


def _os_error(exc: OSError, backup_dir: Path) -> OperatorError:
    if exc.errno in _FULL:
        return VolumeFull(
            f"the backup volume {backup_dir} is full: the dump did not fit; nothing was "
            "kept and older backups are untouched"
        )
    where = f" {exc.filename}" if exc.filename else ""
    return OperatorError(f"cannot write the backup{where}: {exc.strerror}; nothing was kept")


def _first_error(stderr: str, rc: int) -> str:
    """The first line of pg_dump's stderr that says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.split("error:", 1)[1].strip().rstrip(".") for line in lines if "error:" in line]
    details = [line.split("detail:", 1)[1].strip().rstrip(".") for line in lines if "detail:" in line]
    if errors:
        return errors[0] + (f" ({details[0]})" if details else "")
    if rc < 0:
        return f"it was stopped by signal {-rc}"
    return lines[-1] if lines else f"it exited with status {rc}"


def _estimate(db_size: int, history: dict[str, Any] | None, previous: catalog.Entry | None) -> tuple[int, int | None]:
    """(bytes to require free, expected raw SQL bytes or None).

    From the last run's ratios of dump to database size; without them (the first run on
    a volume of the old script's backups), from the newest good backup's size; else a
    guess of a quarter of the database's size on disk.
    """
    raw = None
    if history and history.get("db_size"):
        guess = db_size * history["size"] / history["db_size"]
        raw = int(db_size * history["raw_bytes"] / history["db_size"])
    elif previous is not None:
        guess = previous.size
    else:
        guess = db_size * DEFAULT_RATIO
    return int(guess * HEADROOM) + (1 << 20), raw


def _history_path(settings: Settings) -> Path:
    return settings.state_dir / HISTORY_FILE


def _read_history(settings: Settings) -> dict[str, Any]:
    """Sizes of the last backup per format (for the space check and the progress total)."""
    try:
        data = json.loads(_history_path(settings).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_history(settings: Settings, fmt: str, db_size: int, raw: int, size: int) -> None:
    data = _read_history(settings)
    data[fmt] = {"db_size": db_size, "raw_bytes": raw, "size": size, "at": datetime.now().isoformat(timespec="seconds")}
    private.write_atomic(_history_path(settings), json.dumps(data).encode("utf-8"))


def _previous(before: catalog.Catalog, name: BackupName) -> catalog.Entry | None:
    """The newest good backup of the same tier and format as ``name``, before this run."""
    return next(
        (e for e in before.backups(name.tier) if e.good and e.name is not None and e.name.ext == name.ext), None
    )


def _shrink_warning(previous: catalog.Entry | None, name: BackupName, size: int, ratio: float) -> str | None:
    """A sentence when the new dump is much smaller than ``previous`` (see ``_previous``)."""
    if previous is None or previous.size == 0 or size >= previous.size * ratio:
        return None
    return (
        f"the new {name.tier} backup ({units.size(size)}) is much smaller than the previous one "
        f"{previous.path.name} ({units.size(previous.size)}): check that no data was lost"
    )
