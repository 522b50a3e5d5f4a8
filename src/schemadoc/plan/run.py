"""Run the steps of a plan on a live database, online.

Every step runs on one connection with a short ``lock_timeout``: a step that cannot get its
lock within it gives up instead of queueing, because a queued ACCESS EXCLUSIVE request blocks
every later reader and writer of the table behind it. A step that timed out on its lock is
tried again after an exponential backoff with jitter, up to ``retries`` times; then the run
stops and says it was blocked.

A step that can run in a transaction block runs in its own transaction, so a failure leaves
nothing of it behind. A step that cannot (CREATE/DROP INDEX CONCURRENTLY, ALTER TYPE ... ADD
VALUE) runs in autocommit; a CONCURRENTLY build that fails leaves an INVALID index, which is
dropped (CONCURRENTLY too) before the step is tried again or the run stops.

``statement_timeout`` applies to the steps that hold a strong lock for a short catalog change;
steps that scan a big table under a weak lock (VALIDATE CONSTRAINT, CONCURRENTLY builds) run
without one, since they may rightly take long.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

import psycopg
from psycopg import sql

from schemadoc.compare.changes import Lock, Step
from schemadoc.model import QName
from schemadoc.pg.single import execute_each
from schemadoc.records import record

__all__ = ["Progress", "Reason", "RunResult", "StepFailure", "run_steps"]

Progress = Callable[[int, int, str], None]
"""Called with (step number, number of steps, what is happening)."""

LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"
_DATA_CLASS = "23"  # integrity constraint violation: existing rows refuse the step
_WATCH_EVERY_S = 0.5  # how often the watcher looks at what a running step waits on
_SHOWN_SQL = 120


class Reason(StrEnum):
    """Why a run stopped before its last step."""

    LOCK = "lock"  # lock timeouts on every attempt
    DATA = "data"  # existing rows make the step fail
    TIMEOUT = "statement-timeout"
    CANCELLED = "cancelled"  # the statement was cancelled from outside (pg_cancel_backend, ...)
    ERROR = "error"  # any other server error, or the connection was lost

    @property
    def blocked(self) -> bool:
        """Blocked (exit 1, run again later) rather than failed."""
        return self in (Reason.LOCK, Reason.DATA)


@record
class StepFailure:
    """The step a run stopped at (``number`` counts from 1); nothing of it is applied."""

    number: int
    step: Step
    reason: Reason
    sqlstate: str | None
    message: str  # the server's message
    attempts: int
    left_invalid: QName | None = None  # an INVALID index the failed build left and could not drop


@record
class RunResult:
    total: int
    done: int  # steps applied, in order: steps 1..done
    retries: int  # lock timeouts that were retried, over all steps
    failure: StepFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def blocked(self) -> bool:
        return self.failure is not None and self.failure.reason.blocked


def run_steps(
    database_url: str,
    steps: Sequence[Step],
    *,
    lock_timeout_ms: int = 1000,
    retries: int = 5,
    backoff_ms: int = 200,
    max_backoff_ms: int = 10_000,
    statement_timeout_ms: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run ``steps`` in order on ``database_url`` and stop at the first that cannot be applied.

    ``retries``: how many times a step that timed out waiting for its lock is tried again; the
    n-th retry waits about ``backoff_ms`` x 2^(n-1) (at most ``max_backoff_ms``), between half
    and all of it at random, so that several waiting clients do not retry in step.
    """
    from schemadoc.pg.connect import connect

    total = len(steps)
    retried = 0
    with connect(database_url, autocommit=True, application_name="schemadoc apply") as conn:
        run = _Run(database_url, conn, total, lock_timeout_ms, statement_timeout_ms, progress)
        for number, step in enumerate(steps, start=1):
            failure, step_retries = run.step(number, step, retries, backoff_ms, max_backoff_ms)
            retried += step_retries
            if failure is not None:
                return RunResult(total, number - 1, retried, failure)
    return RunResult(total, total, retried)


def describe(step: Step) -> str:
    """One line saying what ``step`` does: its SQL on one line, shortened."""
    text = " ".join(step.sql.split())
    return text if len(text) <= _SHOWN_SQL else text[: _SHOWN_SQL - 3] + "..."


class _Run:
    """The connection and settings of one run."""

    def __init__(
        self,
        url: str,
        conn: psycopg.Connection[Any],
        total: int,
        lock_timeout_ms: int,
        statement_timeout_ms: int | None,
        progress: Progress | None,
    ) -> None:
        self.url, self.conn, self.total = url, conn, total
        self.lock_timeout_ms, self.statement_timeout_ms = lock_timeout_ms, statement_timeout_ms
        self.progress = progress

    def say(self, number: int, text: str) -> None:
        if self.progress is not None:
            self.progress(number, self.total, text)

    def step(
        self, number: int, step: Step, retries: int, backoff_ms: int, max_backoff_ms: int
    ) -> tuple[StepFailure | None, int]:
        """Run ``step`` until it is applied or cannot be; (its failure or None, retries made)."""
        left: QName | None = None  # the INVALID index an earlier attempt of this step left
        attempt = 0
        while True:
            attempt += 1
            self.say(
                number, describe(step) + (f" (attempt {attempt} of {retries + 1})" if attempt > 1 else "")
            )
            error = _drop_index(self.conn, left, self.lock_timeout_ms) if left is not None else None
            if error is None:
                left = None
                watcher = _Watcher(self.url, self.conn, number, self.total, step, self.progress)
                error = _attempt(self.conn, step, self.lock_timeout_ms, self.statement_timeout_ms, watcher)
            if error is None:
                return None, attempt - 1
            if left is None and _builds_concurrently(step):
                left = _left_invalid(self.conn, step)
            reason = _reason(error, self.statement_timeout_ms is not None and _timed(step))
            if reason is Reason.LOCK and attempt <= retries:
                pause = _backoff(attempt, backoff_ms, max_backoff_ms)
                self.say(
                    number,
                    f"{describe(step)}: lock not granted within {self.lock_timeout_ms} ms; "
                    f"retry {attempt} of {retries} in {pause:.1f} s",
                )
                time.sleep(pause)
                continue
            if left is not None and _drop_index(self.conn, left, self.lock_timeout_ms) is None:
                left = None
            failure = StepFailure(number, step, reason, error.sqlstate, _server_message(error), attempt, left)
            return failure, attempt - 1


# -- one attempt -------------------------------------------------------------------------------------


def _timed(step: Step) -> bool:
    """Whether ``statement_timeout`` is safe for ``step``: not for the steps that scan a big table
    under a weak lock (VALIDATE, CONCURRENTLY builds) and may rightly run long."""
    return step.transactional and step.lock is not Lock.SHARE_UPDATE_EXCLUSIVE


_SET_LOCK_TIMEOUT = sql.SQL("SET lock_timeout = {}")
_SET_STATEMENT_TIMEOUT = sql.SQL("SET statement_timeout = {}")


def _session_settings(lock_timeout_ms: int, statement_timeout_ms: int) -> list[tuple[sql.Composed, None]]:
    return [
        (_SET_LOCK_TIMEOUT.format(sql.Literal(f"{int(lock_timeout_ms)}ms")), None),
        (_SET_STATEMENT_TIMEOUT.format(sql.Literal(f"{int(statement_timeout_ms)}ms")), None),
    ]


def _attempt(
    conn: psycopg.Connection[Any],
    step: Step,
    lock_timeout_ms: int,
    statement_timeout_ms: int | None,
    watcher: _Watcher,
) -> psycopg.Error | None:
    """Run ``step`` once; the error that stopped it, or None when it was applied."""
    timeout = statement_timeout_ms if statement_timeout_ms is not None and _timed(step) else 0
    try:
        with conn.cursor() as cur:
            execute_each(cur, _session_settings(lock_timeout_ms, timeout))
            with watcher:
                if step.transactional:
                    with conn.transaction():
                        execute_each(cur, [(step.sql, None)])
                else:
                    execute_each(cur, [(step.sql, None)])
    except psycopg.Error as exc:
        return exc
    return None


def _reason(error: psycopg.Error, had_statement_timeout: bool) -> Reason:
    state = error.sqlstate or ""
    if state == LOCK_NOT_AVAILABLE:
        return Reason.LOCK
    if state.startswith(_DATA_CLASS):
        return Reason.DATA
    if state == QUERY_CANCELED:
        primary = (error.diag.message_primary or "").lower()
        return (
            Reason.TIMEOUT if had_statement_timeout and "statement timeout" in primary else Reason.CANCELLED
        )
    return Reason.ERROR


def _backoff(attempt: int, backoff_ms: int, max_backoff_ms: int) -> float:
    """Seconds to wait before retry ``attempt`` (1, 2, ...): exponential, capped, jittered."""
    ceiling: float = min(max_backoff_ms, backoff_ms * 2 ** (attempt - 1)) / 1000
    return ceiling / 2 + random.random() * ceiling / 2  # spreads retries; not a secret


def _server_message(error: psycopg.Error) -> str:
    primary = error.diag.message_primary or (str(error).splitlines() or ["unknown error"])[0]
    detail = error.diag.message_detail
    return f"{primary} ({detail})" if detail else primary


# -- CONCURRENTLY builds --------------------------------------------------------------------------------


def built_index(step: Step) -> QName | None:
    """The index a ``CREATE INDEX CONCURRENTLY`` step builds, or None for any other step."""
    import pglast
    from pglast import ast

    try:
        parsed = pglast.parse_sql(step.sql)
    except pglast.parser.ParseError:
        return None
    if len(parsed) != 1 or not isinstance(parsed[0].stmt, ast.IndexStmt):
        return None
    node = parsed[0].stmt
    if not node.concurrent or not node.idxname or node.relation is None:
        return None
    schema = node.relation.schemaname or (step.table.schema if step.table else None) or "public"
    return QName(schema, node.idxname)


def _builds_concurrently(step: Step) -> bool:
    return not step.transactional and built_index(step) is not None


def _left_invalid(conn: psycopg.Connection[Any], step: Step) -> QName | None:
    """The INVALID index a failed CONCURRENTLY build of ``step`` left, if any (when the connection
    is lost, the index it may have left: the next run drops it before it plans)."""
    index = built_index(step)
    if index is None or conn.broken:
        return index
    try:
        row = conn.execute(
            "SELECT NOT i.indisvalid FROM pg_catalog.pg_index i"
            " JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = %s",
            (index.schema, index.name),
        ).fetchone()
    except psycopg.Error:
        return index
    return index if row is not None and row[0] else None


def _drop_index(conn: psycopg.Connection[Any], index: QName, lock_timeout_ms: int) -> psycopg.Error | None:
    """DROP INDEX CONCURRENTLY ``index`` with the run's lock timeout; the error, if it failed."""
    if conn.broken:
        return psycopg.OperationalError("the connection to the server was lost")
    drop = sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(*index))
    try:
        with conn.cursor() as cur:
            execute_each(cur, _session_settings(lock_timeout_ms, 0))
            # a statement of its own: CONCURRENTLY refuses to share an implicit transaction
            execute_each(cur, [(drop, None)])
    except psycopg.Error as exc:
        return exc
    return None


# -- what a running step waits on -----------------------------------------------------------------------


_WAIT_QUERY = """
SELECT a.wait_event_type, a.wait_event, pg_catalog.pg_blocking_pids(a.pid),
       p.phase, p.blocks_done, p.blocks_total
FROM pg_catalog.pg_stat_activity a
LEFT JOIN pg_catalog.pg_stat_progress_create_index p ON p.pid = a.pid
WHERE a.pid = %s
"""


class _Watcher:
    """While a step runs, look from a second connection at what its backend waits on (a lock,
    and which sessions hold it; the phase of an index build) and report each change."""

    def __init__(
        self,
        url: str,
        conn: psycopg.Connection[Any],
        number: int,
        total: int,
        step: Step,
        progress: Progress | None,
    ) -> None:
        self._url = url
        self._pid = conn.info.backend_pid
        self._number, self._total, self._step = number, total, step
        self._progress = progress
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Watcher:
        if self._progress is not None:
            self._thread = threading.Thread(target=self._watch, name="schemadoc-apply-watch", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        from schemadoc.diagnostics import SchemadocError
        from schemadoc.pg.connect import connect

        if self._stop.wait(_WATCH_EVERY_S):
            return
        said = ""
        try:
            with connect(self._url, autocommit=True, application_name="schemadoc apply watch") as watch:
                while not self._stop.is_set():
                    row = watch.execute(_WAIT_QUERY, (self._pid,)).fetchone()
                    text = _waiting_text(row) if row is not None else ""
                    if text and text != said and self._progress is not None and not self._stop.is_set():
                        self._progress(self._number, self._total, f"{describe(self._step)}, {text}")
                    said = text or said
                    if self._stop.wait(_WATCH_EVERY_S):
                        return
        except (psycopg.Error, SchemadocError):
            return  # watching is a courtesy: the step itself reports its own failure


def _waiting_text(row: tuple[Any, ...]) -> str:
    wait_type, wait_event, blockers, phase, done, total = row
    parts: list[str] = []
    if phase:
        share = f" {100 * done // total}%" if total else ""
        parts.append(f"{phase}{share}")
    if wait_type == "Lock":
        holders = ", ".join(str(pid) for pid in blockers or [])
        by = f" held by pid {holders}" if holders else ""
        parts.append(f"waiting on lock ({wait_event}){by}")
    return "; ".join(parts)
