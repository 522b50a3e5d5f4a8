"""`schemadoc docs` against `pg_dump --schema-only` of the same database, in the same run.

Usage: python bench/docs.py [--sizes 500,1000,2000] [--database-url URL] [--runs 3]

For each size N, builds the generated N-table schema (bench/schema_gen.py: each table with a
primary key, two foreign keys, two indexes, a CHECK and comments) in a scratch database, then
times, best of --runs (taking turns), as the commands a person runs (a new process each):

- the baseline, `pg_dump --schema-only -f FILE`;
- `schemadoc docs -o FILE` (the document with its diagrams: one per cluster of related tables);
- `schemadoc docs --split -o DIR` (one file per table and an index).

and prints the ratio of each to the baseline (target: 1.0 or less), the bytes written and the
number of diagrams, plus, in this process, how the `docs` time divides between reading the
catalog and writing the markdown. Without --database-url the embedded server is used (started
here, in a temporary directory).
"""

from __future__ import annotations

import argparse
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
from schemadoc.pg.introspect import introspect
from schemadoc.pg.server import EmbeddedServer, find_binaries
from schemadoc.write.markdown import render_markdown

sys.path.insert(0, str(Path(__file__).resolve().parent))
from schema_gen import table_sql


def best(fn: Callable[[], object], runs: int) -> float:
    return min(interleaved([fn], runs)[0])


def interleaved(fns: list[Callable[[], object]], runs: int) -> list[list[float]]:
    """Each function's times, the functions taking turns, so that a busy spell of the machine
    falls on all of them alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, out in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return times


def run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def load(url: str, n: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for first in range(0, n, 100):  # 100 tables a transaction: a bounded lock count
            conn.execute("".join(table_sql(i) for i in range(first, min(first + 100, n))).encode())


def measure(url: str, n: int, runs: int, tmp: Path) -> None:
    pg_dump = str(find_binaries() / "pg_dump")
    dump_file, doc, folder = tmp / f"dump{n}.sql", tmp / f"docs{n}.md", tmp / f"split{n}"
    docs = [sys.executable, "-m", "schemadoc", "docs", "--database-url", url]
    baseline, one, split = (
        min(t)
        for t in interleaved(
            [
                lambda: run([pg_dump, "--schema-only", "-d", url, "-f", str(dump_file)]),
                lambda: run([*docs, "-o", str(doc)]),
                lambda: run([*docs, "--split", "-o", str(folder)]),
            ],
            runs,
        )
    )

    schema_box: list[object] = []

    def read() -> None:
        with psycopg.connect(url) as conn:
            schema_box[:] = [introspect(conn)]

    read_time = best(read, runs)
    write_time = best(lambda: render_markdown(schema_box[0]), runs)  # type: ignore[arg-type]
    text = doc.read_text(encoding="utf-8")
    diagrams = text.count("```mermaid\n")
    split_bytes = sum(p.stat().st_size for p in folder.iterdir())
    print(f"{n} tables")
    print(f"  pg_dump --schema-only (baseline): {baseline:6.2f} s  {dump_file.stat().st_size:>10,} bytes")
    print(
        f"  schemadoc docs -o:                {one:6.2f} s  {doc.stat().st_size:>10,} bytes"
        f"  ratio {one / baseline:.2f}  ({diagrams} diagrams)"
    )
    print(
        f"  schemadoc docs --split -o:        {split:6.2f} s  {split_bytes:>10,} bytes"
        f"  ratio {split / baseline:.2f}  ({len(list(folder.iterdir()))} files)"
    )
    print(f"  in process: read the catalog {read_time:.2f} s, write the markdown {write_time:.2f} s")
    verdict = "met" if one <= baseline else "NOT met"
    print(f"  target docs/pg_dump <= 1.0: {verdict}")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", default="500,1000,2000")
    ap.add_argument("--database-url")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        maintenance = args.database_url
        if maintenance is None:
            server = EmbeddedServer(tmp / "server")
            server.start()
            stack.callback(server.stop)
            maintenance = server.url("postgres")
        for n in sizes:
            name = f"bench_docs_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(maintenance, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            try:
                url = with_database(maintenance, name)
                load(url, n)
                measure(url, n, args.runs, tmp)
            finally:
                with psycopg.connect(maintenance, autocommit=True) as conn:
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
