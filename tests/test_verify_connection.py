"""verify_promises borrows the caller's connection and gives it back as it found it."""

from __future__ import annotations

import psycopg

from schemadoc.actions import build
from schemadoc.pg.connect import with_database
from schemadoc.read import read_documents
from schemadoc.verify.probes import verify_promises

from conftest import EXAMPLES


def test_connection_settings_restored_and_nothing_left_behind(database_url: str, server_url: str) -> None:
    schema, _ = read_documents([EXAMPLES / "simulation_runs.md"])
    build(database_url, schema, maintenance_url=with_database(server_url, "postgres"))
    with psycopg.connect(database_url) as conn:
        conn.prepare_threshold = 5
        report = verify_promises(conn, schema)
        assert conn.autocommit is False and conn.prepare_threshold == 5
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        counts = report.counts()
        assert counts["broken"] == 0 and counts["untestable"] == 0 and counts["kept"] > 20
        rows = conn.execute("SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM runs)").fetchone()
        assert rows == (0,)
