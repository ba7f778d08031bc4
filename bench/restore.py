"""Restore speed on the same CitaPlanner-shaped data as the backup benchmark (~1 GB of plain SQL).

Usage: ``.venv/bin/python bench/restore.py [--size-mb 1000] [--runs 1] [--jobs N] [--no-full] [--big-value-mb 100]``

Starts its own PostgreSQL (embedded 18), fills it with ``demo_data`` exactly as
``bench/backup.py`` does, takes one gzip backup with ``run_backup``, then, in one run,
against the same archive (each ``--runs`` times, interleaved, best kept):

- the plain pipe, into an empty database: ``gunzip -c f.sql.gz | psql -X -q
  -v ON_ERROR_STOP=1 --single-transaction``;
- ours, the load that replaces that pipe, in a fresh Python process (start-up and
  imports included): ``load_archive`` into an empty scratch database it creates (one
  pass: SHA-256, decompression, per-table row counts, line filter, psql, our own
  BEGIN/COMMIT with the per-table count check just before it);
- ours, the same load over ``--jobs`` connections (default: one per core): the
  parallel restore of swap mode and drills (schema, then COPY pieces on every worker,
  indexes and constraints in parallel, the rest of post-data with the foreign keys added
  NOT VALID, then validated on the workers while the rows are counted and checked
  against the manifest's counts, which a restore's pre-flight hands the load);
- the peer the parallel target comes from: ``pg_restore -j JOBS`` of a directory dump
  (``pg_dump -Fd``, gzip, taken untimed) of the same database, into an empty database
  (its data: a transaction per table, several tables at once; no count, no safety backup);
- ours, the whole swap ``restore`` (pre-flight's checksum pass, safety backup of the live
  database, load, validation, swap), with ``--jobs 1`` and with ``--jobs``: the
  parallel one takes the safety backup alongside the load; and once more with it
  taken before the parallel load (what a server without the spare connections gets).

Prints wall times, the ratios to the plain pipe (targets: serial load <= 1.1x, parallel
load <= 0.8x on 2 cores, whole parallel restore <= 1.2x; the process start-up, imports
and CREATE DATABASE are a fixed second or so, which matters at 100 MB and not at 1 GB,
so the time inside the load call is shown too) and the peak RSS of our process, psql
excluded (target < 200 MB).  Each variant starts on a quiet server: a checkpoint first,
and what the one before loaded is dropped (or, after a whole restore, vacuumed) before,
so autovacuum is not still working through it.

``--big-value-mb 100`` adds a second case: a database whose one table holds a 100 MB
value, loaded by the plain pipe and by ours (targets: at most 1.5x the pipe's time,
peak RSS under 200 MB whatever the line length).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from backup import DBNAME, PASSWORD, ROLE, fill, tcp, timed  # noqa: E402  (bench/backup.py: same data)

from citaplanner_tui.demo.server import LocalServer  # noqa: E402
from citaplanner_tui.core.pg.tools import embedded_bindir  # noqa: E402

TARGET_RATIO, TARGET_RSS_MB = 1.1, 200
PARALLEL_RATIO, FULL_RATIO = 0.8, 1.2
BIG_TARGET_RATIO = 1.5


def _settings(jobs: int = 1):
    from citaplanner_tui.core.settings import RestoreKeep, Settings

    url, volume = os.environ["DATABASE_URL"], Path(os.environ["BACKUP_DIR"])
    return Settings(database_url=url, backup_dir=volume, restore=RestoreKeep(jobs=jobs))


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _server_cpu(server) -> float:
    """CPU seconds the server has used: the postmaster, its children that ended (reaped, so
    counted in its cutime/cstime) and those still running (backends, parallel and
    autovacuum workers, the checkpointer).

    A child reaped while the running ones are listed would be in neither (a variant's
    backend is often just exiting when its client returns; the likely reason one run showed
    4.55 s for a plain pipe whose server used 27.6 s in the other), so the listing is taken
    again until the postmaster's reaped total did not move meanwhile.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    postmaster = int((server.datadir / "postmaster.pid").read_text().split()[0])

    def fields(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    while True:
        own = fields(postmaster)
        running = 0
        for entry in os.listdir("/proc"):
            try:
                stat = fields(int(entry)) if entry.isdigit() else None
            except OSError:  # ended meanwhile
                continue
            if stat and int(stat[1]) == postmaster:
                running += int(stat[11]) + int(stat[12])
        if fields(postmaster)[13:15] == own[13:15]:  # cutime cstime: no child was reaped meanwhile
            return (sum(int(x) for x in own[11:15]) + running) / ticks


def ours_load(archive: str, scratch: str, jobs: int) -> dict:
    """``--ours-load``: what replaces the plain pipe, in this fresh process (``jobs`` 1: the serial load),
    given what a restore's pre-flight gives it: the archive's SHA-256 and its manifest's row counts."""
    from citaplanner_tui.core.pg import tools as pgtools
    from citaplanner_tui.core.restore import server
    from citaplanner_tui.core.restore.load import LoadSpec
    from citaplanner_tui.core.restore.parallel import load_scratch
    from citaplanner_tui.core.volume import manifest

    settings = _settings()
    info = settings.conninfo()
    facts = server.inspect(info, info.dbname)
    with server.maintenance(info) as conn:
        server.create_database(conn, scratch, facts.owner, facts.create_options)
    tools = pgtools.choose(facts.server_major)
    memory = settings.restore.maintenance_work_mem_mb  # the product's default, as a restore sets it
    found = manifest.read(Path(archive))
    assert found is not None  # ``run_backup`` wrote it
    spec = LoadSpec(
        info.with_dbname(scratch), tools, facts.server_major, sealed=found.sha256, work_mem_mb=memory, rows=found.rows
    )
    started = time.perf_counter()
    loaded = load_scratch(Path(archive), spec, jobs)
    return {
        "rows": sum(loaded.dump.rows.values()),
        "peak_rss": _peak_rss(),
        "load_seconds": time.perf_counter() - started,
        "cpu": _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN),
    }


def ours_full(archive: str, jobs: int, before: bool = False) -> dict:
    """``--ours-full``: the whole restore command's engine, in this fresh process (``before``: the
    safety backup taken before the parallel load, not alongside it, as with too few connections)."""
    from citaplanner_tui.core.errors import OperatorError
    from citaplanner_tui.core.restore import execute, preflight

    settings = _settings(jobs)
    if before:  # the package's ``preflight`` is the function: the module is fetched by its name
        module = importlib.import_module("citaplanner_tui.core.restore.preflight")
        module._spare_connections = lambda info, jobs: False
    plan = preflight(settings, Path(archive))
    try:
        outcome = execute(settings, plan, confirm=plan.target)
    except OperatorError as exc:  # the restore's log, then its sentence: the end is what the report shows
        logs = "".join(log.read_text() for log in settings.logs.glob("restore_*.log"))
        raise SystemExit(f"{logs[-1200:]}\n{exc.sentence}") from None
    return {
        "rows": sum(outcome.rows.values()),
        "pre_restore": outcome.pre_restore,
        "safety": outcome.safety_backup,
        "peak_rss": _peak_rss(),
    }


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--ours-load":
        json.dump(ours_load(sys.argv[2], sys.argv[3], int(sys.argv[4])), sys.stdout)
        return 0
    if len(sys.argv) > 2 and sys.argv[1] == "--ours-full":
        json.dump(ours_full(sys.argv[2], int(sys.argv[3]), before=sys.argv[4:] == ["before"]), sys.stdout)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=1000, help="plain SQL dump size to generate")
    parser.add_argument("--runs", type=int, default=1, help="times each variant runs (best is kept)")
    parser.add_argument("--no-full", action="store_true", help="skip the whole-restore timings")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="connections of the parallel load")
    parser.add_argument("--workdir", help="where the server and the backups go (default: a temp folder)")
    parser.add_argument(
        "--big-value-mb",
        type=float,
        default=0,
        help="also restore a table holding one value of this many MB (e.g. 100)",
    )
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="cpt-bench-restore-", dir=args.workdir))
    server = LocalServer(root / "data", fast=True)
    try:
        server.start()
        fill(server, args.size_mb)
        url = server.url(DBNAME, ROLE, PASSWORD)
        env = {**os.environ, "DATABASE_URL": url, "BACKUP_DIR": str(root / "backups"), "PGPASSWORD": PASSWORD}
        archive = _backup(env)
        peer = _directory_dump(server, root, args.jobs, env) if args.jobs > 1 else None
        server.sql("VACUUM ANALYZE", dbname=DBNAME)  # what autovacuum would do to the new data during the first variant
        best, results, cpu = _compare(server, env, archive, args.runs, args.jobs, full=not args.no_full, peer=peer)
        report(args, archive, best, results, cpu)
        if args.big_value_mb:
            big_value(server, env, args)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


def _directory_dump(server, root: Path, jobs: int, env: dict[str, str]) -> str:
    """A ``pg_dump -Fd`` of the bench database (gzip, its default), for the peer variant; untimed."""
    folder = root / "directory-dump"
    pg_dump = str(embedded_bindir() / "pg_dump")
    subprocess.run([pg_dump, "-Fd", "-j", str(jobs), "-f", str(folder), "-d", tcp(server)], check=True, env=env)
    return str(folder)


def _compare(server, env: dict[str, str], archive: str, runs: int, jobs: int, *, full: bool, peer: str | None = None):
    """Plain pipe, our loads (and our whole restores when ``full``), and ``pg_restore -j`` of the
    directory dump ``peer`` if given, interleaved; the best of ``runs`` each."""
    psql = str(embedded_bindir() / "psql")
    dbname = parse_url_db(env["DATABASE_URL"])
    best: dict[str, float] = {}
    results: dict[str, dict] = {}
    cpu: dict[str, float] = {}
    for run in range(runs):
        plain_db, ours_db, par_db = f"plain_{run}", f"{dbname}__restore_bench{run}", f"{dbname}__restore_par{run}"
        peer_db = f"peer_{run}"
        server.create_database(plain_db, owner=ROLE)
        plain = [
            "bash",
            "-c",
            f"set -o pipefail; gunzip -c '{archive}' | '{psql}' -X -q "
            f"-v ON_ERROR_STOP=1 --single-transaction -d '{tcp(server, plain_db)}' > /dev/null",
        ]
        variants = {"plain": plain, "load": [sys.executable, __file__, "--ours-load", archive, ours_db, "1"]}
        if peer is not None:
            server.create_database(peer_db, owner=ROLE)
            pg_restore = str(embedded_bindir() / "pg_restore")
            variants["pg_restore"] = [pg_restore, "-j", str(jobs), "-d", tcp(server, peer_db), peer]
        if jobs > 1:
            variants["parallel"] = [sys.executable, __file__, "--ours-load", archive, par_db, str(jobs)]
        if full:
            variants["full"] = [sys.executable, __file__, "--ours-full", archive, "1"]
            if jobs > 1:
                variants["full_parallel"] = [sys.executable, __file__, "--ours-full", archive, str(jobs)]
                variants["full_before"] = [sys.executable, __file__, "--ours-full", archive, str(jobs), "before"]
        order = list(variants) if run % 2 == 0 else list(reversed(variants))  # no one always goes first
        loaded = {"plain": plain_db, "load": ours_db, "parallel": par_db, "pg_restore": peer_db}
        for name in order:
            argv = variants[name]
            server.sql("CHECKPOINT")  # the previous variant's dirty pages are not this one's cost
            cpu_before, server_before = _cpu(resource.RUSAGE_CHILDREN), _server_cpu(server)
            elapsed, out = timed(argv, env)
            cpu[name] = _cpu(resource.RUSAGE_CHILDREN) - cpu_before  # client side: gunzip+psql, or us+psql
            cpu[name + "_server"] = _server_cpu(server) - server_before
            best[name] = min(best.get(name, elapsed), elapsed)
            if out.strip():
                results[name] = json.loads(out)
            if name in ("load", "parallel"):
                inner = results[name]["load_seconds"]
                best[name + "_inner"] = min(best.get(name + "_inner", inner), inner)
            _quiet(server, dbname, loaded.get(name), results.get(name))
    return best, results, cpu


def _quiet(server, live: str, loaded: str | None, result: dict | None) -> None:
    """Leave the server as quiet for the next variant as it was for this one.

    A database just loaded is what autovacuum works on next (vacuum and analyze of every
    table, for a minute at 1 GB), and it would do so during the next variant: the one
    that runs first would be the only one timed on a quiet server.  So a variant's
    database is dropped as soon as it is timed; after a whole restore, the parked copy is
    dropped and the restored live database vacuumed and analyzed, unthrottled, untimed.
    """
    if loaded:
        server.sql(f'DROP DATABASE IF EXISTS "{loaded}" WITH (FORCE)')
    if result and "pre_restore" in result:
        server.sql(f'DROP DATABASE IF EXISTS "{result["pre_restore"]}" WITH (FORCE)')
        server.sql("VACUUM ANALYZE", dbname=live)


def parse_url_db(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?")[0]


def big_value(server, env: dict[str, str], args) -> None:
    """One row whose text value is ``--big-value-mb`` MB (hex, so it compresses about 2:1, like real data)."""
    from citaplanner_tui.core.pg.conninfo import parse
    from citaplanner_tui.core.pg.connect import connect

    dbname = "big_value"
    server.create_database(dbname, owner=ROLE)
    url = server.url(dbname, ROLE, PASSWORD)
    pieces = int(args.big_value_mb * 2**20 / 32)
    with connect(parse(url)) as conn:
        conn.execute("CREATE TABLE big (id int, v text); ALTER TABLE big ALTER v SET STORAGE EXTERNAL")
        conn.execute("INSERT INTO big SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, %s) g", (pieces,))
        conn.execute("INSERT INTO big VALUES (2, 'small')")
    big_env = {**env, "DATABASE_URL": url, "BACKUP_DIR": env["BACKUP_DIR"] + "-big"}
    archive = _backup(big_env)
    best, results, _ = _compare(server, big_env, archive, args.runs, 1, full=False)
    ratio = best["load"] / best["plain"]
    rss = results["load"]["peak_rss"] / 2**20
    print(
        f"\none {args.big_value_mb:.0f} MB value (archive {Path(archive).stat().st_size / 2**20:.1f} MiB gzip); "
        f"best of {args.runs} run(s)"
    )
    print(f"  {'gunzip -c | psql --single-transaction (plain)':48s} {best['plain']:7.2f} s")
    print(
        f"  {'ours: load + per-table count check':48s} {best['load']:7.2f} s  {ratio:5.2f}x plain   "
        f"peak RSS {rss:.0f} MiB"
    )
    print(
        f"  {'  of which load_archive alone (no start-up)':48s} {best['load_inner']:7.2f} s  "
        f"{best['load_inner'] / best['plain']:5.2f}x plain"
    )
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print(f"  target load <= {BIG_TARGET_RATIO}x plain pipe: {ratio:.2f}x, {verdict(ratio <= BIG_TARGET_RATIO)}")
    print(f"  target peak RSS < {TARGET_RSS_MB} MB:      {rss:.0f} MiB, {verdict(rss < TARGET_RSS_MB)}")


def _backup(env: dict[str, str]) -> str:
    code = (
        "import json, os; from pathlib import Path; from citaplanner_tui.core.backup import run_backup; "
        "from citaplanner_tui.core.settings import Settings; "
        "s = Settings(database_url=os.environ['DATABASE_URL'], backup_dir=Path(os.environ['BACKUP_DIR'])); "
        "print(run_backup(s, tier='manual').files[0])"
    )
    _, out = timed([sys.executable, "-c", code], {**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    return out.strip()


def report(args, archive: str, best: dict[str, float], results: dict[str, dict], cpu: dict[str, float]) -> None:
    size = Path(archive).stat().st_size
    rows = results["load"]["rows"]
    plain = best["plain"]
    print(f"\narchive {size / 2**20:.1f} MiB gzip, {rows:,} rows; best of {args.runs} run(s); --jobs {args.jobs}")
    print(f"  {'gunzip -c | psql --single-transaction (plain)':52s} {plain:7.2f} s")
    lines = [
        ("plain", "plain pipe"),
        ("load", "ours: serial load (--jobs 1) + count check"),
        ("load_inner", "  of which the load call alone (no start-up)"),
        ("parallel", f"ours: parallel load (--jobs {args.jobs}) + count check"),
        ("parallel_inner", "  of which the load call alone (no start-up)"),
        ("pg_restore", f"peer: pg_restore -j {args.jobs} of a directory dump"),
        ("full", "ours: whole swap restore, --jobs 1"),
        ("full_parallel", f"ours: whole swap restore, --jobs {args.jobs}"),
        ("full_before", "  the same, its safety backup before the load"),
    ]
    for key, label in lines[1:]:
        if key in best:
            rss = results.get(key, {}).get("peak_rss")
            shown = f"   peak RSS {rss / 2**20:.0f} MiB" if rss else ""
            print(f"  {label:52s} {best[key]:7.2f} s  {best[key] / plain:5.2f}x plain{shown}")
    cores = os.cpu_count() or 1
    print(f"  CPU seconds of the last run, client + server = total (its floor on {cores} cores: total / {cores}):")
    for key, _ in lines:
        if key in cpu:
            client, server = cpu[key], cpu[key + "_server"]
            print(
                f"    {key:14s} {client:6.2f} + {server:6.2f} = {client + server:6.2f}"
                f"   floor {(client + server) / cores:6.2f} s  {(client + server) / cores / plain:5.2f}x plain"
            )
    rss = max(r["peak_rss"] for r in results.values()) / 2**20
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print()
    for key, target, what in [
        ("load", TARGET_RATIO, "serial load"),
        ("parallel", PARALLEL_RATIO, "parallel load"),
        ("full_parallel", FULL_RATIO, "whole parallel restore"),
    ]:
        if key in best:
            ratio = best[key] / plain
            print(f"  target {what} <= {target}x plain pipe: {ratio:.2f}x, {verdict(ratio <= target)}")
    print(f"  target peak RSS < {TARGET_RSS_MB} MB: {rss:.0f} MiB, {verdict(rss < TARGET_RSS_MB)}")
    if "pg_restore" in best and "parallel" in best:
        print(f"  our parallel load / pg_restore -j {args.jobs}: {best['parallel'] / best['pg_restore']:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
