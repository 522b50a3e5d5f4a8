"""Introspection speed against pg_dump --schema-only, and `schemadoc up` end to end.

Usage: python bench/introspect.py [--tables N] [--database-url URL] [--doc PATH]

1. Builds a generated N-table schema (default 2,000; each table with a primary key, two
   foreign keys, two indexes, a CHECK and comments) in a scratch database, then prints
   schemadoc's introspection time and its ratio to `pg_dump --schema-only` of the same
   database, both measured in this run. Target ratio: 0.5 or less.
2. Times `schemadoc up DOC` end to end on a warm embedded server (default document:
   examples/paper_runs.md, or the seed 000 document when ../shared is present). Target: 1.5 s.

Without --database-url the embedded server is used (started here, in a temporary directory).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import psycopg
from psycopg import sql

from schemadoc.pg.connect import with_database
from schemadoc.pg.introspect import introspect
from schemadoc.pg.server import EmbeddedServer, find_binaries

sys.path.insert(0, str(Path(__file__).resolve().parent))
from schema_gen import table_sql

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def default_doc() -> Path:
    seeds = sorted((ROOT.parent / "shared" / "seeds").glob("000_*"))
    return seeds[0] if seeds else ROOT / "examples" / "paper_runs.md"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=2000)
    ap.add_argument("--database-url")
    ap.add_argument("--doc", type=Path, default=None)
    args = ap.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        data_dir = tmp / "server"
        server = EmbeddedServer(data_dir)
        server.start()
        stack.callback(server.stop)
        maintenance = args.database_url or server.url("postgres")
        name = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

        def drop() -> None:
            with psycopg.connect(maintenance, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

        stack.callback(drop)
        url = with_database(maintenance, name)

        def load_schema() -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                for first in range(0, args.tables, 100):  # 100 tables a transaction: bounded lock count
                    last = min(first + 100, args.tables)
                    conn.execute("".join(table_sql(i) for i in range(first, last)).encode())

        load = timed(load_schema)
        print(f"generated {args.tables} tables in {load:.1f} s")
        pg_dump = find_binaries() / "pg_dump"

        def dump() -> None:
            subprocess.run([str(pg_dump), "--schema-only", "-d", url], check=True, stdout=subprocess.DEVNULL)

        result: dict[str, int] = {}

        def ours() -> None:
            with psycopg.connect(url) as conn:
                schema = introspect(conn)
            result["tables"] = len(schema.tables)
            result["indexes"] = len(schema.indexes)

        baseline = min(timed(dump) for _ in range(3))
        mine = min(timed(ours) for _ in range(3))
        print(f"pg_dump --schema-only (baseline): {baseline:.3f} s")
        print(
            f"schemadoc introspect:             {mine:.3f} s ({result['tables']} tables, {result['indexes']} indexes)"
        )
        print(
            f"ratio schemadoc/pg_dump:          {mine / baseline:.2f} (target 0.5 or less: {'met' if mine / baseline <= 0.5 else 'NOT met'})"
        )

        doc = args.doc or default_doc()
        cmd = [
            sys.executable,
            "-m",
            "schemadoc",
            "up",
            str(doc),
            "--stub-missing",
            "--data-dir",
            str(data_dir),
        ]
        up_times = []
        for i in range(3):
            dbname = f"bench_up_{uuid.uuid4().hex[:8]}"
            start = time.perf_counter()
            proc = subprocess.run([*cmd, "--database", dbname], capture_output=True, text=True)
            up_times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr)
            with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
                )
            del i
        best_up = min(up_times)
        print(
            f"schemadoc up {doc.name} (warm embedded server, new database): {best_up:.2f} s "
            f"(target under 1.5 s: {'met' if best_up < 1.5 else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
