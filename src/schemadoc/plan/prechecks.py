"""Data pre-checks: before a step that existing rows could make fail, count those rows on the
live database. Read only, each in a transaction that is rolled back, under a statement timeout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors

from schemadoc.model import QName
from schemadoc.pg.connect import connect
from schemadoc.pg.single import execute_each
from schemadoc.plan.model import PlannedStep, PreCheckResult

DEFAULT_PRECHECK_TIMEOUT_MS = 300_000


def run_prechecks(
    database_url: str,
    steps: Sequence[PlannedStep],
    *,
    new_tables: frozenset[QName] = frozenset(),
    timeout_ms: int = DEFAULT_PRECHECK_TIMEOUT_MS,
) -> list[PreCheckResult]:
    """The pre-check of every step that has one, in step order. A step on a table the plan
    creates (``new_tables``) has no rows to check; a pre-check that names a table or column
    the plan creates first is skipped for the same reason."""
    wanted = [s for s in steps if s.step.precheck is not None]
    if not wanted:
        return []
    out: list[PreCheckResult] = []
    with connect(database_url) as conn:
        conn.read_only = True
        for planned in wanted:
            out.append(_run_one(conn, planned, new_tables, timeout_ms))
    return out


def _run_one(
    conn: psycopg.Connection[Any], planned: PlannedStep, new_tables: frozenset[QName], timeout_ms: int
) -> PreCheckResult:
    check = planned.step.precheck
    assert check is not None
    if planned.step.table is not None and planned.step.table in new_tables:
        return PreCheckResult(planned.number, check, 0, skipped=True)
    try:
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            cur.execute("SELECT pg_catalog.set_config('statement_timeout', %s, true)", (f"{timeout_ms}ms",))
            row = execute_each(cur, [(check.count_sql, None)]).fetchone()
    except (errors.UndefinedTable, errors.UndefinedColumn, errors.UndefinedObject) as exc:
        # it reads what an earlier step of the plan creates: nothing there yet to fail the step
        return PreCheckResult(planned.number, check, 0, error=_message(exc), skipped=True)
    except errors.QueryCanceled:
        return PreCheckResult(
            planned.number,
            check,
            None,
            error=f"did not finish within the statement timeout ({timeout_ms} ms)",
        )
    except psycopg.Error as exc:
        return PreCheckResult(planned.number, check, None, error=_message(exc))
    count = int(row[0]) if row and row[0] is not None else 0
    return PreCheckResult(planned.number, check, count)


def _message(exc: psycopg.Error) -> str:
    return exc.diag.message_primary or str(exc).splitlines()[0]
