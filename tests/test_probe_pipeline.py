"""Probe statements sent ahead: each segment keeps its own fate, every reply reaches whoever
sent it, text with two statements is still refused, and a planned probe whose guess about a
stored key fails is run again one statement at a time, with the same outcome."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from schemadoc.pg.wire import Pipe
from schemadoc.read import read_documents
from schemadoc.verify.channel import Channel
from schemadoc.verify.probes import verify_promises
from schemadoc.verify.report import VerifyReport


def _in_pipe(url: str) -> tuple[psycopg.Connection[Any], Channel]:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("BEGIN")
    return conn, Channel(conn)


def test_an_error_stops_its_own_segment_only(fresh_database_url: str) -> None:
    conn, channel = _in_pipe(fresh_database_url)
    with conn, Pipe(conn) as pipe:
        channel.begin((b"SAVEPOINT s",), pipe)
        first = channel.queue([b"SELECT 1", b"SELECT 2"])
        second = channel.queue([b"SELECT 1/0", b"SELECT 3"])
        channel.pending.append(b"ROLLBACK TO SAVEPOINT s")
        third = channel.queue([b"SELECT 4"])
        assert pipe.in_flight == 3 and first.replies is None
        channel.flush()
        assert pipe.in_flight == 0
        assert first.replies is not None and [r.fetchone() for r in first.replies] == [(1,), (2,)]
        assert first.error is None
        assert second.replies is not None
        bad, skipped = second.replies
        assert bad.error is not None and bad.error.sqlstate == "22012"
        assert not skipped.ran
        assert third.replies is not None and third.replies[0].fetchone() == (4,) and third.error is None
        # a statement waited for also reads what was queued before it
        later = channel.queue([b"SELECT 5"])
        assert channel.execute(b"SELECT 6").fetchone() == (6,)
        assert later.replies is not None and later.replies[0].fetchone() == (5,)
    assert conn.closed


def test_a_failed_command_before_the_statements_is_their_error(fresh_database_url: str) -> None:
    conn, channel = _in_pipe(fresh_database_url)
    with conn, Pipe(conn) as pipe:
        channel.begin((b"ROLLBACK TO SAVEPOINT nowhere",), pipe)
        queued = channel.queue([b"SELECT 1"])
        channel.flush()
        assert queued.error is not None and queued.error.sqlstate == "3B001"
        assert queued.replies is not None and not queued.replies[0].ran


def test_two_statements_in_one_text_are_refused_in_a_pipe(fresh_database_url: str) -> None:
    conn, channel = _in_pipe(fresh_database_url)
    with conn:
        with Pipe(conn) as pipe:
            channel.begin((), pipe)
            with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
                channel.execute(b"SELECT 1; CREATE TABLE pwn (id int)")
            channel.begin()
        conn.execute("ROLLBACK")
        assert conn.execute("SELECT to_regclass('pwn')").fetchone() == (None,)


def test_values_are_bound_as_the_server_reads_them(fresh_database_url: str) -> None:
    conn, channel = _in_pipe(fresh_database_url)
    with conn, Pipe(conn) as pipe:
        channel.begin((), pipe)
        hostile = "x'); DROP TABLE t; --"
        got = channel.execute(sql.SQL("SELECT CAST({} AS text), 7 %% 4").format(sql.Placeholder()), [hostile])
        assert got.fetchone() == (hostile, 3)
        assert got.description is not None and len(got.description) == 2


# A key the probe chooses but the server stores in another form ('5' becomes '5.00'): the
# planned probe cannot repeat the stored key, so it is run again a statement at a time.
NUMERIC_KEY = """# Prices

```sql
CREATE TABLE prices (
    id integer PRIMARY KEY,
    code numeric(8, 2) NOT NULL,
    price numeric(8, 2) NOT NULL,
    CONSTRAINT prices_code_key UNIQUE (code)
);
CREATE UNIQUE INDEX prices_dear_idx ON prices (price) WHERE price > 10;
```
"""
DDL = NUMERIC_KEY.split("```sql\n")[1].split("```")[0]


def _verify(url: str, doc: str) -> VerifyReport:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prices.md"
        path.write_text(doc)
        schema, _ = read_documents([path])
    with psycopg.connect(url) as conn:
        return verify_promises(conn, schema)


def _outcomes(report: VerifyReport) -> dict[str, str]:
    return {f"{r.promise.kind} {r.promise.description}": r.outcome for r in report.results}


def test_a_key_stored_in_another_form_is_still_proven(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(DDL.encode())
    report = _verify(fresh_database_url, NUMERIC_KEY)
    assert all(r.outcome == "kept" for r in report.results), report.render_text()
    unique = {r.promise.subject: r for r in report.results if r.promise.kind == "unique"}
    assert len(unique) == 3
    # run again a statement at a time: the duplicate repeats the key as the server stored it
    code = next(r for r in unique.values() if "code" in r.promise.description)
    assert ".00'" in code.sql, code.sql


def test_a_missing_key_stored_in_another_form_is_broken(fresh_database_url: str) -> None:
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(DDL.replace(",\n    CONSTRAINT prices_code_key UNIQUE (code)", "").encode())
    report = _verify(fresh_database_url, NUMERIC_KEY)
    broken = [r for r in report.results if r.outcome == "broken"]
    assert [r.promise.kind for r in broken] == ["unique"], report.render_text()
    assert "code" in broken[0].reason and "prices" in broken[0].sql
