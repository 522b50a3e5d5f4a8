"""Verifying seed 000's promises on a database that holds data is safe: about 100,000 rows stay
exactly as they were, every promise is still kept, and a second connection writing to the same
tables at the same time sees no error or deadlock."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import sql

from schemadoc.actions import verify_behaviour

from seed000_support import Seed, build_seed

PAPERS = 10_000
PLANS = 10_000
RUNS = 20_000

# One INSERT ... SELECT per table, parents first. Keys are md5-derived uuids, so children can name
# their parents; every value satisfies the document's CHECKs, FKs and unique keys. ``%%`` is the
# modulo operator (the statements take parameters).
LOAD = [
    (
        "papers",
        """INSERT INTO papers (id, title, doi, pdf_storage_path, vector_store_id, pdf_sha256, status)
           SELECT md5('paper' || i)::uuid, 'Paper ' || i, CASE WHEN i %% 3 = 0 THEN '10.1/' || i END,
                  'papers/' || i || '.pdf', 'vs_' || i, md5('pdf' || i),
                  (ARRAY['ready', 'processing', 'failed'])[1 + i %% 3]
           FROM generate_series(1, %(papers)s) AS i""",
    ),
    (
        "claims",
        """INSERT INTO claims (id, paper_id, dataset_name, metric_name, metric_value, source_citation, confidence)
           SELECT md5('claim' || i)::uuid, md5('paper' || (1 + i %% %(papers)s))::uuid, 'SST-2', 'accuracy',
                  (i %% 1000) / 10.0, 'Table ' || (i %% 9), (i %% 101) / 100.0
           FROM generate_series(1, 20000) AS i""",
    ),
    (
        "plans",
        """INSERT INTO plans (id, paper_id, plan_json, env_hash, budget_minutes, status)
           SELECT md5('plan' || i)::uuid, md5('paper' || (1 + i %% %(papers)s))::uuid,
                  jsonb_build_object('n', i), CASE WHEN i %% 2 = 0 THEN md5('env' || i) END,
                  1 + i %% 120, (ARRAY['draft', 'ready', 'failed'])[1 + i %% 3]
           FROM generate_series(1, %(plans)s) AS i""",
    ),
    (
        "runs",
        """INSERT INTO runs (id, plan_id, paper_id, env_hash, seed, status, created_at, started_at, completed_at)
           SELECT md5('run' || i)::uuid, md5('plan' || (1 + i %% %(plans)s))::uuid,
                  md5('paper' || (1 + i %% %(papers)s))::uuid, md5('env' || i), i %% 100,
                  (ARRAY['queued', 'running', 'succeeded', 'failed', 'timeout', 'cancelled'])[1 + i %% 6],
                  t, t + interval '10 seconds', t + interval '10 seconds' + (i %% 300) * interval '1 second'
           FROM generate_series(1, %(runs)s) AS i,
                LATERAL (SELECT timestamptz '2025-01-01 00:00:00+00' + i * interval '1 minute' AS t) AS c""",
    ),
    (
        "run_events",
        """INSERT INTO run_events (id, run_id, seq, ts, event_type, payload)
           SELECT md5('event' || i)::uuid, md5('run' || (1 + i %% %(runs)s))::uuid, i,
                  timestamptz '2025-01-01 00:00:00+00' + i * interval '1 second',
                  (ARRAY['stage_update', 'log_line', 'progress', 'metric_update', 'sample_pred', 'error'])[1 + i %% 6],
                  jsonb_build_object('line', i)
           FROM generate_series(1, 20000) AS i""",
    ),
    (
        "run_series",
        """INSERT INTO run_series (id, run_id, metric, split, step, value, ts)
           SELECT md5('series' || i)::uuid, md5('run' || (1 + i %% %(runs)s))::uuid, 'loss',
                  (ARRAY['train', 'val', 'test'])[1 + i %% 3], i, 1.0 / i,
                  timestamptz '2025-01-01 00:00:00+00' + i * interval '1 second'
           FROM generate_series(1, 10000) AS i""",
    ),
    (
        "storyboards",
        """INSERT INTO storyboards (id, paper_id, run_id, storyboard_json, storage_path)
           SELECT md5('story' || i)::uuid, md5('paper' || (1 + i %% %(papers)s))::uuid,
                  CASE WHEN i %% 2 = 0 THEN md5('run' || (1 + i %% %(runs)s))::uuid END,
                  jsonb_build_object('pages', i %% 7), 'storyboards/' || i || '.json'
           FROM generate_series(1, 5000) AS i""",
    ),
    (
        "assets",
        """INSERT INTO assets (id, paper_id, run_id, plan_id, kind, storage_path, size_bytes)
           SELECT md5('asset' || i)::uuid,
                  CASE WHEN i %% 3 = 0 THEN md5('paper' || (1 + i %% %(papers)s))::uuid END,
                  CASE WHEN i %% 3 = 1 THEN md5('run' || (1 + i %% %(runs)s))::uuid END,
                  CASE WHEN i %% 3 = 2 THEN md5('plan' || (1 + i %% %(plans)s))::uuid END,
                  'storyboard', 'assets/' || i, i * 10
           FROM generate_series(1, 5000) AS i""",
    ),
    (
        "evals",
        """INSERT INTO evals (id, paper_id, run_id, metric_name, claimed, observed, gap_percent, gap_abs,
                              direction)
           SELECT md5('eval' || i)::uuid, md5('paper' || (1 + i %% %(papers)s))::uuid,
                  md5('run' || i)::uuid, 'accuracy', 0.9, 0.85, -5.5, -0.05,
                  (ARRAY['maximize', 'minimize'])[1 + i %% 2]
           FROM generate_series(1, 5000) AS i""",
    ),
]
TABLES = [table for table, _ in LOAD]


@pytest.fixture(scope="module")
def loaded(database_url: str, server_url: str, seed: Seed) -> str:
    """Seed 000 built and filled with about 100,000 rows."""
    build_seed(database_url, server_url, seed)
    sizes = {"papers": PAPERS, "plans": PLANS, "runs": RUNS}
    with psycopg.connect(database_url) as conn:
        for _, statement in LOAD:
            conn.execute(statement, sizes)
        conn.execute("ANALYZE")
    return database_url


def snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Per table: row count and the md5 of all its rows (every column), ordered by key."""
    out: dict[str, tuple[int, str]] = {}
    with psycopg.connect(url) as conn:
        for table in TABLES:
            query = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), '')) FROM {} t"
            )
            row = conn.execute(query.format(sql.Identifier(table))).fetchone()
            assert row is not None
            out[table] = (int(row[0]), str(row[1]))
    return out


def counts(url: str) -> dict[str, int]:
    return {table: rows for table, (rows, _) in snapshot(url).items()}


def test_verify_leaves_every_row_as_it_was(loaded: str, seed: Seed) -> None:
    before = snapshot(loaded)
    assert sum(rows for rows, _ in before.values()) >= 100_000
    assert all(rows > 0 for rows, _ in before.values())

    report = verify_behaviour(loaded, seed.schema)

    print(f"rows: {sum(rows for rows, _ in before.values())}; promises: {report.counts()}")
    assert snapshot(loaded) == before
    problems = [r for r in report.results if r.outcome != "kept"]
    assert problems == [], "\n".join(f"{r.outcome} {r.promise.description}: {r.reason}" for r in problems)
    assert report.counts()["total"] > 100


class Writer(threading.Thread):
    """Inserts and updates papers, plans and runs with fresh keys, one commit per step, until told
    to stop (and at least ``minimum`` steps)."""

    def __init__(self, url: str, minimum: int, maximum: int) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.minimum = minimum
        self.maximum = maximum
        self.stop = threading.Event()
        self.started_writing = threading.Event()
        self.steps = 0
        self.inserted = 0
        self.errors: list[BaseException] = []

    def step(self, conn: psycopg.Connection[Any], n: int) -> None:
        paper, plan, run = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        conn.execute(
            "INSERT INTO papers (id, title, pdf_storage_path, vector_store_id, pdf_sha256)"
            " VALUES (%s, %s, %s, %s, %s)",
            (paper, f"written {n}", f"papers/w{paper}", f"vs_w{paper}", f"sha-{paper}"),
        )
        conn.execute("INSERT INTO plans (id, paper_id, plan_json) VALUES (%s, %s, '{}')", (plan, paper))
        conn.execute(
            "INSERT INTO runs (id, plan_id, paper_id, env_hash, started_at) VALUES (%s, %s, %s, 'env', now())",
            (run, plan, paper),
        )
        conn.execute(
            "UPDATE runs SET status = 'succeeded', completed_at = started_at + interval '5 seconds'"
            " WHERE id = %s",
            (run,),
        )
        conn.execute("UPDATE papers SET title = title || ' (revised)' WHERE id = %s", (paper,))

    def run(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                while self.steps < self.maximum and (self.steps < self.minimum or not self.stop.is_set()):
                    with conn.transaction():
                        self.step(conn, self.steps)
                    self.steps += 1
                    self.inserted += 1
                    self.started_writing.set()
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            self.started_writing.set()


def test_verify_while_another_connection_writes(loaded: str, seed: Seed) -> None:
    before = counts(loaded)
    writer = Writer(loaded, minimum=200, maximum=20_000)
    writer.start()
    try:
        assert writer.started_writing.wait(60)
        steps_at_start = writer.steps
        report = verify_behaviour(loaded, seed.schema)
        steps_during = writer.steps - steps_at_start
    finally:
        writer.stop.set()
        writer.join(120)
    print(f"writer: {writer.steps} committed steps, {steps_during} while verify ran")
    assert not writer.is_alive()
    assert writer.errors == []
    assert writer.steps >= 200
    assert steps_during > 0  # the two really ran at the same time
    problems = [r for r in report.results if r.outcome != "kept"]
    assert problems == [], "\n".join(f"{r.outcome} {r.promise.description}: {r.reason}" for r in problems)

    # exactly the writer's rows were added; the probes left nothing behind
    expected = dict(before)
    for table in ("papers", "plans", "runs"):
        expected[table] += writer.inserted
    assert counts(loaded) == expected
