"""Promise verification speed: seed 000 (or the paper-runs example) and a generated schema.

Usage: python bench/verify.py [--tables N] [--database-url URL] [--count-statements] [--connections 1 2 ...]

For each document: build it in a scratch database, then time `verify_promises` on a fresh copy
of it (CREATE DATABASE ... TEMPLATE) for each number of connections, and print the time and
promises per second. As a baseline measured in the same run it prints the time of
building the same DDL (one transaction) on the same server, and the ratio to it.
With --count-statements, a second (untimed) verify run is traced at the protocol level to count
the statements the server ran and the round trips they took, per promise.
The generated schema is probed once per number given to --connections (default: 1, then the
commands' default, 2), on up to that many connections at once, as `verify --jobs N` does.
Targets: seed 000 under 2 s; the 2,000-table schema under 25 s (1,000 promises/s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack, suppress
from functools import partial
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.pq import Trace

from schemadoc.model import Schema
from schemadoc.pg.apply import apply_statements
from schemadoc.pg.connect import with_database
from schemadoc.pg.lock_budget import lock_table
from schemadoc.pg.server import EmbeddedServer
from schemadoc.read import read_documents
from schemadoc.verify.probes import DEFAULT_JOBS, verify_promises
from schemadoc.write.ddl import render_ddl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import Measured
from schema_gen import generated_markdown

ROOT = Path(__file__).resolve().parent.parent


def seed_doc() -> Path:
    seeds = sorted((ROOT.parent / "shared" / "seeds").glob("000_*"))
    return seeds[0] if seeds else ROOT / "examples" / "paper_runs.md"


def count_statements(url: str, schema: Schema) -> tuple[int, int]:
    """(statements, round trips) of one verify run, read from libpq's trace of the protocol.

    Each statement run ends with CommandComplete or ErrorResponse (statements after an
    error in the same segment are not run). A round trip is a run of messages to the
    server followed by the server's answers: the client waits once per run.
    """
    with tempfile.TemporaryFile("w+") as trace, psycopg.connect(url) as conn:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS | Trace.REGRESS_MODE)
        verify_promises(conn, schema)
        conn.pgconn.untrace()
        trace.seek(0)
        kinds: Counter[str] = Counter()
        trips = 0
        last = ""
        for line in trace:
            side = line[:1]
            if side == "B":
                kinds[line.split("\t")[2].strip()] += 1
            elif side == "F" and last != "F":
                trips += 1
            if side in ("B", "F"):
                last = side
    return kinds["CommandComplete"] + kinds["ErrorResponse"], trips


def bench(
    maintenance: str,
    doc: Path,
    label: str,
    target: float,
    count: bool = False,
    connections: tuple[int, ...] = (1,),
) -> None:
    schema, _ = read_documents([doc], stub_missing=True)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = with_database(maintenance, name)
        with psycopg.connect(url) as conn:
            statements, _ = render_ddl(schema)
            start = time.perf_counter()
            # batches that fit the server's lock table, as the scratch build does
            apply_statements(conn, statements, lock_budget=lock_table(conn).batch_budget)
            build = time.perf_counter() - start
        print(f"{label}: {len(schema.tables)} tables")
        print(f"  build DDL (baseline): {build:.2f} s")
        for n in connections:
            # each run probes a copy of the database as built: the rows an earlier run rolled
            # back (dead tuples, advanced sequences) do not slow the next one
            copy = f"{name}_{n}"
            with psycopg.connect(maintenance, autocommit=True) as conn:
                # a file copy and a checkpoint now, rather than the copy's WAL flushed during the run
                strategy = sql.SQL(" STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else "")
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                        sql.Identifier(copy), sql.Identifier(name), strategy
                    )
                )
                with suppress(psycopg.Error):
                    conn.execute("CHECKPOINT")
            try:
                copy_url = with_database(maintenance, copy)
                with psycopg.connect(copy_url) as conn, Measured() as measured:
                    # as the commands do: more connections opened for the run, up to n
                    report = verify_promises(
                        conn, schema, jobs=n, open_connection=partial(psycopg.connect, copy_url)
                    )
                took = measured.wall
            finally:
                with psycopg.connect(maintenance, autocommit=True) as conn:
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy))
                    )
            counts = report.counts()
            total = counts["total"]
            print(f"  promises: {total} {counts}")
            print(
                f"  verify, {n} connection(s): {took:.2f} s, {total / took:.0f} promises/s,"
                f" ratio to build {took / build:.1f}x ({measured.describe()})"
            )
            print(f"  target under {target:.0f} s: {'met' if took < target else 'NOT met'}")
        if count:
            ran, trips = count_statements(url, schema)
            print(
                f"  statements:           {ran} ({ran / total:.2f} per promise),"
                f" round trips {trips} ({trips / total:.2f} per promise)"
            )
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=2000)
    ap.add_argument("--database-url")
    ap.add_argument("--count-statements", action="store_true")
    ap.add_argument(
        "--connections",
        type=int,
        nargs="+",
        default=sorted({1, DEFAULT_JOBS}),
        help="probe on up to this many connections (verify --jobs)",
    )
    args = ap.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        maintenance = args.database_url
        if not maintenance:
            server = EmbeddedServer(tmp / "server")
            server.start()
            stack.callback(server.stop)
            maintenance = server.url("postgres")
        bench(maintenance, seed_doc(), seed_doc().name, 2.0, args.count_statements)
        generated = tmp / "generated.md"
        generated.write_text(generated_markdown(args.tables))
        bench(
            maintenance,
            generated,
            f"generated {args.tables}-table schema",
            args.tables * 25 / 2000,  # issue 14: 25 s at 2,000 tables
            args.count_statements,
            tuple(args.connections),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
