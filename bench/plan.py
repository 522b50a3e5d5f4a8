"""How long a hardening migration stalls a busy writer: seed 001's own migration sketch against
`schemadoc apply`, on two identical copies of a big v0 database; and `plan` time on a large
database that already matches its document, against `verify --structure`.

Usage: python bench/plan.py [--database-url URL] [--runs N] [--events N] [--tables N]
                            [--skip-stall] [--skip-plan-time] [--keep]

Stall: a v0 database in seed 001's shape (tests/fixtures/plan/seed001_v0.sql: primary keys only)
is loaded with --runs runs and --events run events (generate_series), then copied twice
(CREATE DATABASE ... TEMPLATE). On each copy a writer inserts one run and one run event every
5 ms and records each insert's latency while the migration runs: (a) the seed's migration
sketch in one transaction (foreign keys validated at once, plain CREATE INDEX), (b) `schemadoc
apply --yes` of the seed document (foreign keys NOT VALID then VALIDATE, CREATE INDEX
CONCURRENTLY, a short lock_timeout). Printed: the writer's max stall and p99 for each, and their
ratio. Target: schemadoc's max stall <= 50 ms.

Plan time: a generated database of --tables tables that matches its document; `plan` (the
library call behind `schemadoc plan`, proof included) against `verify --structure` (the
structure comparison) on it. Target: plan < 2x verify --structure.

The seed document and its sketch are read from ../shared/seeds when present; otherwise this
file's own equivalent document and sketch are used. Without --database-url the embedded server
is used. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pglast
import psycopg
from psycopg import sql

from schemadoc.pg.connect import with_database
from schemadoc.pg.single import execute_each

sys.path.insert(0, str(Path(__file__).resolve().parent))
from schema_gen import generated_markdown

ROOT = Path(__file__).resolve().parent.parent
V0_SQL = ROOT / "tests" / "fixtures" / "plan" / "seed001_v0.sql"
WRITER_EVERY_S = 0.005
TARGET_STALL_MS = 50.0

# The seed's shape and intent, written out here for a checkout without ../shared.
OWN_DOCUMENT = """# Tracker (v1 hardening)

## Relations

```
papers(id PK, title, storage_path, vector_store_id, created_by, created_at)
plans(id PK, paper_id FK->papers(id), env_hash, plan_json JSONB, budget_minutes, created_by, created_at)
runs(id PK, plan_id FK->plans(id), paper_id FK->papers(id), env_hash, status, created_at, started_at, completed_at)
run_events(id PK, run_id FK->runs(id), seq BIGINT, type, payload JSONB, created_at)
storyboards(id PK, paper_id FK->papers(id), run_id FK->runs(id), json JSONB, created_at)
```

## Indexes

```sql
CREATE INDEX idx_plans_paper_id ON plans (paper_id);
CREATE INDEX idx_runs_plan_id ON runs (plan_id);
CREATE INDEX idx_runs_paper_id ON runs (paper_id);
CREATE INDEX idx_run_events_byseq ON run_events (run_id, seq);
```
"""

# The naive migration: everything in one transaction, constraints checked and indexes built
# while the tables are locked.
OWN_SKETCH = """
BEGIN;
ALTER TABLE plans ADD CONSTRAINT plans_paper_id_fk FOREIGN KEY (paper_id) REFERENCES papers (id);
ALTER TABLE runs
  ADD CONSTRAINT runs_plan_id_fk FOREIGN KEY (plan_id) REFERENCES plans (id),
  ADD CONSTRAINT runs_paper_id_fk FOREIGN KEY (paper_id) REFERENCES papers (id);
ALTER TABLE run_events ADD CONSTRAINT run_events_run_id_fk FOREIGN KEY (run_id) REFERENCES runs (id);
ALTER TABLE storyboards
  ADD CONSTRAINT storyboards_paper_id_fk FOREIGN KEY (paper_id) REFERENCES papers (id),
  ADD CONSTRAINT storyboards_run_id_fk FOREIGN KEY (run_id) REFERENCES runs (id);
CREATE INDEX idx_plans_paper_id ON plans (paper_id);
CREATE INDEX idx_runs_plan_id ON runs (plan_id);
CREATE INDEX idx_runs_paper_id ON runs (paper_id);
CREATE INDEX idx_run_events_byseq ON run_events (run_id, seq);
COMMIT;
"""

# The same hardening written by hand the careful way: a baseline for what the server itself costs.
HANDWRITTEN_ONLINE = """
ALTER TABLE plans ADD CONSTRAINT plans_paper_id_fk FOREIGN KEY (paper_id) REFERENCES papers (id) NOT VALID;
ALTER TABLE plans VALIDATE CONSTRAINT plans_paper_id_fk;
ALTER TABLE runs ADD CONSTRAINT runs_plan_id_fk FOREIGN KEY (plan_id) REFERENCES plans (id) NOT VALID;
ALTER TABLE runs VALIDATE CONSTRAINT runs_plan_id_fk;
ALTER TABLE runs ADD CONSTRAINT runs_paper_id_fk FOREIGN KEY (paper_id) REFERENCES papers (id) NOT VALID;
ALTER TABLE runs VALIDATE CONSTRAINT runs_paper_id_fk;
ALTER TABLE run_events ADD CONSTRAINT run_events_run_id_fk FOREIGN KEY (run_id) REFERENCES runs (id) NOT VALID;
ALTER TABLE run_events VALIDATE CONSTRAINT run_events_run_id_fk;
ALTER TABLE storyboards ADD CONSTRAINT storyboards_paper_id_fk FOREIGN KEY (paper_id) REFERENCES papers (id) NOT VALID;
ALTER TABLE storyboards VALIDATE CONSTRAINT storyboards_paper_id_fk;
ALTER TABLE storyboards ADD CONSTRAINT storyboards_run_id_fk FOREIGN KEY (run_id) REFERENCES runs (id) NOT VALID;
ALTER TABLE storyboards VALIDATE CONSTRAINT storyboards_run_id_fk;
CREATE INDEX CONCURRENTLY idx_plans_paper_id ON plans (paper_id);
CREATE INDEX CONCURRENTLY idx_runs_plan_id ON runs (plan_id);
CREATE INDEX CONCURRENTLY idx_runs_paper_id ON runs (paper_id);
CREATE INDEX CONCURRENTLY idx_run_events_byseq ON run_events (run_id, seq);
"""
BASELINE_S = 10.0


def seed_path() -> Path | None:
    found = sorted((ROOT.parent / "shared" / "seeds").glob("001_*"))
    return found[0] if found else None


def sketch_statements(seed: Path | None) -> tuple[list[str], str]:
    """The statements of the migration sketch (BEGIN/COMMIT left out: the bench runs them in one
    transaction itself), and where they come from."""
    text, source = OWN_SKETCH, "this bench's equivalent of seed 001's sketch"
    if seed is not None:
        body = seed.read_text(encoding="utf-8")
        for fence in body.split("```sql")[1:]:
            candidate = fence.split("```", 1)[0]
            if "FOREIGN KEY" in candidate and "CREATE INDEX" in candidate:
                text, source = candidate, f"the migration sketch of {seed.name}"
                break
    statements = [s.strip() for s in pglast.split(text)]
    kept = [s for s in statements if s.upper().rstrip(";") not in ("BEGIN", "COMMIT")]
    return kept, source


# -- the v0 database ----------------------------------------------------------------------------------


def _uuid_sql(prefix: str, number: str) -> str:
    """SQL of a deterministic uuid for row ``number`` of a table (``prefix`` keeps tables apart)."""
    return f"md5('{prefix}' || ({number})::text)::uuid"


def _uuid(prefix: str, number: int) -> uuid.UUID:
    """The same uuid, computed here (md5 of the text, read as a uuid)."""
    return uuid.UUID(hashlib.md5(f"{prefix}{number}".encode()).hexdigest())


@dataclass(frozen=True)
class Sizes:
    papers: int
    plans: int
    runs: int
    events: int
    storyboards: int

    @staticmethod
    def of(runs: int, events: int) -> Sizes:
        return Sizes(max(10, runs // 100), max(10, runs // 10), runs, events, max(10, runs // 100))


def load_v0(url: str, sizes: Sizes) -> None:
    """The v0 tables, and rows whose references all hold (the hardening must not find orphans)."""
    p, pl, r = sizes.papers, sizes.plans, sizes.runs
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        for statement in pglast.split(V0_SQL.read_text(encoding="utf-8")):
            execute_each(cur, [(statement, None)])
        loads = [
            f"INSERT INTO papers SELECT {_uuid_sql('pa', 'g')}, 'paper ' || g, 'papers/' || g || '.pdf',"
            f" NULL, NULL, now() - g * interval '1 minute' FROM generate_series(1, {p}) g",
            f"INSERT INTO plans SELECT {_uuid_sql('pl', 'g')}, {_uuid_sql('pa', f'1 + g % {p}')},"
            f" md5(g::text), jsonb_build_object('steps', g % 7), 20, NULL, now()"
            f" FROM generate_series(1, {pl}) g",
            f"INSERT INTO runs SELECT {_uuid_sql('ru', 'g')}, {_uuid_sql('pl', f'1 + g % {pl}')},"
            f" {_uuid_sql('pa', f'1 + (g % {pl}) % {p}')}, md5(g::text), 'succeeded', now(), now(), now()"
            f" FROM generate_series(1, {r}) g",
            f"INSERT INTO run_events SELECT {_uuid_sql('ev', 'g')}, {_uuid_sql('ru', f'1 + g % {r}')},"
            f" g / {r}, 'log', jsonb_build_object('n', g), now() FROM generate_series(1, {sizes.events}) g",
            f"INSERT INTO storyboards SELECT {_uuid_sql('sb', 'g')}, {_uuid_sql('pa', f'1 + g % {p}')},"
            f" {_uuid_sql('ru', f'1 + g % {r}')}, '{{}}'::jsonb, now()"
            f" FROM generate_series(1, {sizes.storyboards}) g",
        ]
        for statement in loads:
            cur.execute(statement)
        cur.execute("VACUUM ANALYZE")
        cur.execute("CHECKPOINT")


@contextmanager
def database(maintenance: str, name: str, template: str | None = None, keep: bool = False) -> Iterator[str]:
    with psycopg.connect(maintenance, autocommit=True) as conn:
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        conn.execute(create)
    try:
        yield with_database(maintenance, name)
    finally:
        if not keep:
            with psycopg.connect(maintenance, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# -- the writer -----------------------------------------------------------------------------------------


class Writer:
    """Inserts one run and one run event every 5 ms, each referencing rows that exist, and
    records (when it started, how long it took) for every insert."""

    def __init__(self, url: str, sizes: Sizes) -> None:
        self.url, self.sizes = url, sizes
        self.samples: list[tuple[float, float]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        rng = random.Random(1)
        with psycopg.connect(self.url, autocommit=True) as conn:
            due = time.perf_counter()
            while not self._stop.is_set():
                k = rng.randint(1, self.sizes.plans)
                plan, paper = _uuid("pl", k), _uuid("pa", 1 + (k % self.sizes.plans) % self.sizes.papers)
                run = uuid.uuid4()
                try:
                    start = time.perf_counter()
                    conn.execute(
                        "INSERT INTO runs (id, plan_id, paper_id, status, created_at) VALUES (%s, %s, %s, 'queued', now())",
                        (run, plan, paper),
                    )
                    middle = time.perf_counter()
                    conn.execute(
                        "INSERT INTO run_events (id, run_id, seq, type, payload, created_at)"
                        " VALUES (%s, %s, 0, 'queued', '{}', now())",
                        (uuid.uuid4(), run),
                    )
                    end = time.perf_counter()
                    self.samples.append((start, middle - start))
                    self.samples.append((middle, end - middle))
                except psycopg.Error as exc:
                    self.errors.append(str(exc).splitlines()[0])
                due += WRITER_EVERY_S
                time.sleep(max(0.0, due - time.perf_counter()))
                due = max(due, time.perf_counter() - WRITER_EVERY_S)


Markers = list[tuple[float, str]]  # (perf_counter time, what the migration started doing)


@dataclass(frozen=True)
class Stall:
    label: str
    seconds: float
    inserts: int
    max_ms: float
    p99_ms: float
    errors: int
    worst: list[tuple[float, float, str]]  # (latency ms, seconds into the migration, what it was doing)


def measure(label: str, url: str, sizes: Sizes, migrate: Callable[[Markers], None]) -> Stall:
    markers: Markers = []
    with Writer(url, sizes) as writer:
        time.sleep(1.0)  # the writer settles first
        start = time.perf_counter()
        markers.append((start, "start"))
        migrate(markers)
        end = time.perf_counter()
        time.sleep(0.5)
    timed = [(ms * 1000, at) for at, ms in writer.samples if start <= at <= end] or [(0.0, start)]
    latencies = [ms for ms, _ in timed]
    p99 = (
        statistics.quantiles(latencies, n=100, method="inclusive")[98]
        if len(latencies) >= 2
        else latencies[0]
    )
    worst = []
    for ms, at in sorted(timed, reverse=True)[:3]:
        doing = [text for when, text in markers if when <= at]
        worst.append((ms, at - start, doing[-1] if doing else "start"))
    return Stall(label, end - start, len(latencies), max(latencies), p99, len(writer.errors), worst)


def run_sketch(url: str, statements: list[str], markers: Markers) -> None:
    with psycopg.connect(url) as conn, conn.transaction(), conn.cursor() as cur:
        for statement in statements:
            markers.append((time.perf_counter(), " ".join(statement.split())[:90]))
            execute_each(cur, [(statement, None)])
        markers.append((time.perf_counter(), "COMMIT"))


def run_online(url: str, markers: Markers) -> None:
    """The careful hand-written version of the hardening, each statement on its own."""
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        execute_each(cur, [("SET lock_timeout = '1s'", None)])
        for statement in pglast.split(HANDWRITTEN_ONLINE):
            markers.append((time.perf_counter(), " ".join(statement.split())[:90]))
            execute_each(cur, [(statement, None)])


def run_schemadoc(url: str, document: Path, markers: Markers) -> None:
    """`schemadoc apply --yes` as a process; its progress lines (stderr) become markers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "schemadoc", "apply", str(document), "--database-url", url, "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
    )
    assert process.stderr is not None and process.stdout is not None
    errors: list[str] = []
    for line in process.stderr:
        markers.append((time.perf_counter(), line.strip()[:90]))
        errors.append(line)
    output = process.stdout.read()
    if process.wait() != 0:
        raise SystemExit(
            f"schemadoc apply exited {process.returncode}:\n{output[-4000:]}\n{''.join(errors)[-4000:]}"
        )
    markers.append((time.perf_counter(), "planning again, probing promises"))


def stall_bench(maintenance: str, sizes: Sizes, keep: bool) -> None:
    seed = seed_path()
    statements, source = sketch_statements(seed)
    with ExitStack() as stack:
        if seed is not None:
            document, doc_source = seed, seed.name
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            document, doc_source = tmp / "tracker.md", "this bench's equivalent of seed 001"
            document.write_text(OWN_DOCUMENT, encoding="utf-8")
        tag = uuid.uuid4().hex[:8]
        print(f"loading v0: {sizes.runs:,} runs, {sizes.events:,} run events ...", flush=True)
        started = time.perf_counter()
        v0 = stack.enter_context(database(maintenance, f"bench_v0_{tag}", keep=keep))
        load_v0(v0, sizes)
        print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        copies = {
            label: stack.enter_context(database(maintenance, f"bench_{label}_{tag}", f"bench_v0_{tag}", keep))
            for label in ("sketch", "schemadoc", "handwritten")
        }
        print(f"  three copies made in {time.perf_counter() - started:.0f} s", flush=True)
        print("(0) the writer alone, no migration (this machine's own noise)")
        base = measure("no migration", copies["sketch"], sizes, lambda _marks: time.sleep(BASELINE_S))
        print(f"(a) {source}, in one transaction")
        a = measure(
            "sketch", copies["sketch"], sizes, lambda marks: run_sketch(copies["sketch"], statements, marks)
        )
        print(f"(b) schemadoc apply {doc_source}")
        b = measure(
            "schemadoc", copies["schemadoc"], sizes, lambda m: run_schemadoc(copies["schemadoc"], document, m)
        )
        print("(c) hand-written online SQL, no schemadoc (NOT VALID + VALIDATE, CONCURRENTLY, lock_timeout)")
        c = measure(
            "handwritten", copies["handwritten"], sizes, lambda m: run_online(copies["handwritten"], m)
        )
    print()
    print(f"{'':14}{'took':>9}{'inserts':>9}{'max stall':>12}{'p99':>10}{'errors':>8}")
    for s in (base, a, b, c):
        print(f"{s.label:14}{s.seconds:8.1f}s{s.inserts:9d}{s.max_ms:10.1f}ms{s.p99_ms:8.1f}ms{s.errors:8d}")
    ratio = a.max_ms / b.max_ms if b.max_ms else float("inf")
    verdict = "met" if b.max_ms <= TARGET_STALL_MS else "MISSED"
    print(
        f"max stall: sketch / schemadoc = {ratio:.0f}x; schemadoc {b.max_ms:.1f} ms, "
        f"target <= {TARGET_STALL_MS:.0f} ms: {verdict} (hand-written online SQL: {c.max_ms:.1f} ms, "
        f"no migration: {base.max_ms:.1f} ms)"
    )
    print(f"p99: sketch {a.p99_ms:.1f} ms, schemadoc {b.p99_ms:.1f} ms, p99 ratio {a.p99_ms / b.p99_ms:.0f}x")
    for s in (a, b, c):
        print(f"worst stalls, {s.label}:")
        for ms, offset, doing in s.worst:
            print(f"  {ms:8.1f} ms at {offset:6.2f} s, during: {doing}")


# -- plan time on a large matching database -------------------------------------------------------------


def plan_time_bench(maintenance: str, tables: int) -> None:
    from schemadoc.actions import structure_drift
    from schemadoc.pg.apply import apply_statements
    from schemadoc.pg.lock_budget import lock_table
    from schemadoc.plan.build import make_plan
    from schemadoc.read import read_documents
    from schemadoc.write.ddl import render_ddl

    with tempfile.TemporaryDirectory() as tmp:
        doc_path = Path(tmp) / "generated.md"
        doc_path.write_text(generated_markdown(tables), encoding="utf-8")
        doc, _ = read_documents([doc_path])
    with database(maintenance, f"bench_match_{uuid.uuid4().hex[:8]}") as url:
        with psycopg.connect(url) as conn:
            statements, _ = render_ddl(doc)
            apply_statements(conn, statements, lock_budget=lock_table(conn).batch_budget)
        start = time.perf_counter()
        drift = structure_drift(url, url, doc)
        verify_s = time.perf_counter() - start
        start = time.perf_counter()
        plan = make_plan(url, doc, maintenance_url=url)
        plan_s = time.perf_counter() - start
    errors = [d for d in drift if d.level == "error"]
    ratio = plan_s / verify_s
    print(
        f"{tables} tables that match their document: verify --structure {verify_s:.1f} s "
        f"({len(errors)} difference(s)), plan {plan_s:.1f} s ({len(plan.steps)} step(s)); "
        f"plan / verify = {ratio:.2f}x, target < 2x: {'met' if ratio < 2 else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="maintenance URL of the server (default: the embedded one)")
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--skip-stall", action="store_true")
    parser.add_argument("--skip-plan-time", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases (for a look afterwards)")
    args = parser.parse_args()
    with ExitStack() as stack:
        maintenance = args.database_url
        if not maintenance:
            from schemadoc.pg.server import EmbeddedServer

            srv = EmbeddedServer(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "pg")
            srv.start()
            stack.callback(srv.stop)
            maintenance = srv.url("postgres")
        with psycopg.connect(maintenance) as conn:
            print(f"server: PostgreSQL {conn.info.server_version}")
        if not args.skip_stall:
            stall_bench(maintenance, Sizes.of(args.runs, args.events), args.keep)
        if not args.skip_plan_time:
            plan_time_bench(maintenance, args.tables)


if __name__ == "__main__":
    main()
