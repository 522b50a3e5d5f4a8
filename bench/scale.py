"""Whole commands at 1,000 / 2,000 / 4,000 tables next to `psql -f` and `pg_dump -s`, timed in one run.

Usage: python bench/scale.py [--tables 1000 2000 4000] [--repeat R] [--database-url URL] [--probes]

For each size, a one-fence document of that many tables (inline foreign keys with ON DELETE,
CHECKs, partial indexes, COMMENT ONs: ``schema_gen.one_fence_markdown``) is written, and each
command runs as its own process, the best of ``--repeat`` runs:

- baselines: `psql -f` of the DDL `schemadoc sql` prints into an empty database, and
  `pg_dump -s` of that database;
- `schemadoc check`, `schemadoc up --structure` into a new database, `schemadoc verify
  --structure` against the psql-built one: first with --no-cache (a scratch build every time),
  then with --cache once to keep the scratch database and again to read it (repeated; the
  reading of the unchanged document and its DDL are kept too, in a cache directory of this run);
- with ``--probes``, `schemadoc up` (build and probe every promise) into a new database.

Ratios printed against the baselines of the same run. Targets (issue 14, at 2,000 tables):
repeated verify <= 2x pg_dump -s; first verify <= 1.3x psql -f.

Without --database-url the embedded server is used (started here, in a temporary directory),
with its own psql and pg_dump; with a URL, psql and pg_dump from PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import psycopg
from psycopg import sql

from schemadoc.pg.connect import with_database
from schemadoc.pg.server import EmbeddedServer, find_binaries

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import Measured
from schema_gen import one_fence_markdown

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def run(argv: list[str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=ENV, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return took


def best(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


class Server:
    def __init__(self, maintenance: str, bindir: Path | None) -> None:
        self.maintenance = maintenance
        self.psql = str(bindir / "psql") if bindir else (shutil.which("psql") or "psql")
        self.pg_dump = str(bindir / "pg_dump") if bindir else (shutil.which("pg_dump") or "pg_dump")
        self.made: list[str] = []

    def new_name(self) -> str:
        name = f"scale_{uuid.uuid4().hex[:8]}"
        self.made.append(name)
        return name

    def create(self) -> str:
        name = self.new_name()
        with psycopg.connect(self.maintenance, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return with_database(self.maintenance, name)

    def drop_all(self) -> None:
        with psycopg.connect(self.maintenance, autocommit=True) as conn:
            for name in self.made:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def schemadoc(*argv: str) -> list[str]:
    return [sys.executable, "-m", "schemadoc", *argv]


def measure(srv: Server, tmp: Path, n: int, repeat: int, probes: bool) -> None:
    doc = tmp / f"scale_{n}.md"
    doc.write_text(one_fence_markdown(n))
    ddl = tmp / f"scale_{n}.sql"
    with ddl.open("w") as out:
        subprocess.run(schemadoc("sql", str(doc)), env=ENV, stdout=out, check=True)

    def psql_f() -> float:
        url = srv.create()
        return run([srv.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(ddl)])

    psql = best(psql_f, repeat)
    target = srv.create()
    run([srv.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target, "-f", str(ddl)])
    dump = best(lambda: run([srv.pg_dump, "-s", "-f", os.devnull, target]), repeat)

    def up(*extra: str) -> float:
        url = with_database(srv.maintenance, srv.new_name())
        return run(schemadoc("up", str(doc), "--database-url", url, *extra))

    verify = schemadoc("verify", str(doc), "--structure", "--database-url", target)
    check = best(lambda: run(schemadoc("check", str(doc))), repeat)
    up_structure = best(lambda: up("--structure"), repeat)
    first = best(lambda: run([*verify, "--no-cache"]), repeat)
    run(schemadoc("server", "clean", "--database-url", srv.maintenance))
    kept = run([*verify, "--cache"])  # builds the scratch database and keeps it
    repeated = best(lambda: run([*verify, "--cache"]), repeat)
    run(schemadoc("server", "clean", "--database-url", srv.maintenance))

    print(f"\n{n} tables ({doc.stat().st_size:,} bytes, one fence; best of {repeat})")
    print(f"  psql -f (baseline)            {psql:7.2f} s")
    print(f"  pg_dump -s (baseline)         {dump:7.2f} s")
    print(f"  check                         {check:7.2f} s")
    print(f"  up --structure                {up_structure:7.2f} s  {up_structure / psql:5.2f}x psql -f")
    print(f"  verify --structure, no cache  {first:7.2f} s  {first / psql:5.2f}x psql -f")
    print(
        f"  verify --structure, kept      {kept:7.2f} s  {kept / psql:5.2f}x psql -f (first run with --cache)"
    )
    print(f"  verify --structure, repeated  {repeated:7.2f} s  {repeated / dump:5.2f}x pg_dump -s")
    if probes:
        full = best(lambda: up(), repeat)
        print(f"  up (build and probe)          {full:7.2f} s  {full / psql:5.2f}x psql -f")
    if n == 2000:
        print(f"  target first verify <= 1.3x psql -f: {'met' if first <= 1.3 * psql else 'NOT met'}")
        print(f"  target repeated verify <= 2x pg_dump -s: {'met' if repeated <= 2 * dump else 'NOT met'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, nargs="+", default=[1000, 2000, 4000])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--database-url", help="maintenance URL of the server to measure on")
    ap.add_argument("--probes", action="store_true", help="also time `up` with every promise probed")
    args = ap.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        ENV["SCHEMADOC_CACHE_DIR"] = str(tmp / "cache")  # kept readings of this run only
        if args.database_url:
            srv = Server(args.database_url, None)
        else:
            server = EmbeddedServer(tmp / "server")
            server.start()
            stack.callback(server.stop)
            srv = Server(server.url("postgres"), find_binaries())
        stack.callback(srv.drop_all)
        for n in args.tables:
            with Measured() as measured:
                measure(srv, tmp, n, args.repeat, args.probes)
            if measured.steal is not None:
                print(f"  (CPU stolen by the host while measuring {n} tables: {measured.steal:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
