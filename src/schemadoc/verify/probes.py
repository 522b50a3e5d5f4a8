"""Prove each promise of a schema document against a live database by trying to break it.

Every probe runs inside a transaction that is always rolled back: one
transaction per table (so parent rows built for it are shared by its probes)
with a savepoint per probe. ``lock_timeout`` and ``statement_timeout`` are set
for each transaction, deferred constraints are made immediate, keys are fresh
values, and nothing is ever committed. Sequences used by defaults do advance:
PostgreSQL never rolls them back.

A probe ends in one of three outcomes: *kept* (the database did what the
document says), *broken* (it did not; the statement tried and the SQLSTATE
are kept), or *untestable* (no way to try it, with the reason, e.g. no valid
row can be built for the table).
"""

from __future__ import annotations

import gc
import queue
import secrets
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

from schemadoc.diagnostics import SchemadocError, fail
from schemadoc.model import Column, ForeignKey, QName, Schema
from schemadoc.pg.wire import Pipe
from schemadoc.read import reader_errors_raise
from schemadoc.records import record
from schemadoc.verify.channel import Queued, Reply
from schemadoc.verify.checkexpr import parse_expression
from schemadoc.verify.plans import Fallback, Plan, ProbeEnd, Replies, Step, broken, cause_of, kept, untestable
from schemadoc.verify.promises import Promise, PromiseKind, build_promises, view_columns
from schemadoc.verify.report import PromiseResult, VerifyReport, failure_state
from schemadoc.verify.rows import (
    Row,
    RowError,
    RowFactory,
    UniqueKey,
    _raw,
    error_text,
    is_volatile_default,
    raised_in_function,
    table_ident,
)

# Tables whose promises share one probe transaction (and the parent rows built in it): enough
# that deep foreign key chains are not rebuilt for every table, few enough that locks are not
# held for the whole run.
_TABLES_PER_TRANSACTION = 100
# Probe transactions run side by side on this many connections unless told otherwise: while
# one connection waits for its server process, schemadoc prepares the next probes for the other
DEFAULT_JOBS = 2
ENDED_CODE = "SD704"  # error: a probe transaction was no longer open when it was to be rolled back
_OLD_TIMESTAMP = "2001-02-03 04:05:06"
# what two probe transactions side by side can meet in each other: a lock timeout, a deadlock, and
# a lock table that holds the locks of either one but not of both (out of shared memory)
_LOCK_STATES = frozenset({"55P03", "40P01", "53200"})
_ORPHAN_DRAWS = 5  # keys drawn for an orphan row before the foreign key probe gives up
_DIFFERENT_EACH_ROW = ("gen_random_uuid", "uuid_generate", "uuidv", "nextval", "random")


def verify_promises(
    conn: psycopg.Connection[Any],
    schema: Schema,
    *,
    progress: Callable[[int, int], None] | None = None,
    lock_timeout_ms: int = 2000,
    statement_timeout_ms: int = 5000,
    more_connections: Sequence[psycopg.Connection[Any]] = (),
    tables_per_transaction: int = _TABLES_PER_TRANSACTION,
    tables: Collection[QName] | None = None,
    jobs: int = 1,
    open_connection: Callable[[], psycopg.Connection[Any]] | None = None,
) -> VerifyReport:
    """Probe every promise of ``schema`` on ``conn`` (only those of ``tables``, when given); the
    database's data is left as it was.

    ``more_connections`` (to the same database, idle) probe other tables at the same time:
    the probe transactions of a run are independent (each builds its own parent rows, every
    probe in its own savepoint, all rolled back), so each connection takes the next one.
    With ``open_connection``, connections are opened (and closed at the end) until there are
    ``jobs``, or one per probe transaction when there are fewer; a connection the server
    refuses (too many clients, say) leaves the run to those it has."""
    conns = [conn, *more_connections]
    opened: list[psycopg.Connection[Any]] = []
    for c in conns:
        if c.info.transaction_status != TransactionStatus.IDLE:
            raise fail("SD703", "verify needs a connection with no open transaction")
    promises = [p for p in build_promises(schema) if tables is None or p.table in tables]
    groups: dict[QName | None, list[int]] = {}  # None: promises probed without a table's row
    for i, p in enumerate(promises):
        key = p.table if p.table is not None and p.table in schema.tables and p.kind != "view" else None
        groups.setdefault(key, []).append(i)
    results: dict[int, PromiseResult] = {}
    done = 0
    total = len(promises)
    keys = sorted(groups, key=lambda k: k or QName("", ""))
    lanes = max(jobs if open_connection is not None else 1, len(conns))
    size = _batch_size(len(keys), tables_per_transaction, lanes)
    batches = [
        [(key, [promises[i] for i in groups[key]]) for key in keys[start : start + size]]
        for start in range(0, len(keys), size)
    ]
    if len(batches) < 2:
        conns = conns[:1]
    elif open_connection is not None:
        opened = _open_more(open_connection, min(jobs, len(batches)) - len(conns))
        conns += opened
    saved = [(c.autocommit, c.prepare_threshold) for c in conns]
    # what exists now (the schema, the promises) lives through the run: the collector need not
    # walk it again and again while the probes make their short-lived objects
    gc.freeze()
    for c in conns:
        c.autocommit = True  # each probe transaction is opened (and rolled back) by conn.transaction()
        c.prepare_threshold = None  # nothing is prepared server-side: no bookkeeping for it
    try:
        for batch, found in _run_batches(conns, schema, batches, lock_timeout_ms, statement_timeout_ms):
            for (key, _), group in zip(batch, found, strict=True):
                for i, result in zip(groups[key], group, strict=True):
                    results[i] = result
                    done += 1
                    if progress is not None:
                        progress(done, total)
    finally:
        gc.unfreeze()
        for c, (autocommit, prepare_threshold) in zip(conns, saved, strict=True):
            c.prepare_threshold = prepare_threshold
            if not c.closed and c.info.transaction_status == TransactionStatus.IDLE:
                c.autocommit = autocommit
        for c in opened:
            c.close()
    return VerifyReport([results[i] for i in range(total)])


def _batch_size(tables: int, most: int, lanes: int) -> int:
    """Tables per probe transaction: at most ``most``; when there are more tables than that and
    several connections (``lanes``), the transactions are made as even as their number, rounded
    up to a multiple of the connections, allows (150 tables on two: 75 and 75, not 100 and 50)."""
    if lanes < 2 or tables <= most:
        return max(most, 1)
    count = -(-tables // most)
    count = -(-count // lanes) * lanes
    return -(-tables // count)


def _open_more(
    open_connection: Callable[[], psycopg.Connection[Any]], count: int
) -> list[psycopg.Connection[Any]]:
    """Up to ``count`` more connections; the first one refused ends the opening."""
    out: list[psycopg.Connection[Any]] = []
    for _ in range(count):
        try:
            out.append(open_connection())
        except (SchemadocError, psycopg.Error):
            break
    return out


_Batch = list[tuple[QName | None, list[Promise]]]


def _run_batches(
    conns: list[psycopg.Connection[Any]], schema: Schema, batches: list[_Batch], lock_ms: int, stmt_ms: int
) -> Iterator[tuple[_Batch, list[list[PromiseResult]]]]:
    """Each batch with its results; with several connections, batches run side by side (one
    transaction per batch on whichever connection is free).

    Side by side, two probe transactions can wait for each other: both build a parent row with
    the same value in a unique column that allows few values (a CHECK list, an enum), and the
    second waits for the first to end, longer than the lock timeout; or the server's lock table
    has room for the locks of one long foreign key chain, not two. A batch that met a lock
    timeout, a deadlock or a full lock table is run again at the end, alone, and its second
    results are the ones kept; so running side by side never shows a result that running on one
    connection would not give."""
    if len(conns) == 1:
        prober = _Prober(conns[0], schema, lock_ms, stmt_ms)
        for batch in batches:
            yield batch, prober.run_batch(batch)
        return
    free: queue.SimpleQueue[_Prober] = queue.SimpleQueue()
    for c in conns:
        free.put(_Prober(c, schema, lock_ms, stmt_ms))

    def run(batch: _Batch) -> list[list[PromiseResult]]:
        prober = free.get()
        try:
            return prober.run_batch(batch)
        finally:
            free.put(prober)

    again: list[_Batch] = []
    with ThreadPoolExecutor(max_workers=len(conns), thread_name_prefix="schemadoc-probe") as pool:
        futures = [pool.submit(run, batch) for batch in batches]
        try:
            for batch, future in zip(batches, futures, strict=True):
                found = future.result()
                if any(r.actual_sqlstate in _LOCK_STATES for group in found for r in group):
                    again.append(batch)
                else:
                    yield batch, found
        finally:
            for future in futures:  # a run that stops (SD704, an internal error) starts nothing more
                future.cancel()
    prober = free.get()  # every connection is idle now
    for batch in again:
        yield batch, prober.run_batch(batch)


@record(frozen=False)
class _Waiting:
    """A probe whose statements are queued: its plan, what it noted before them, their replies."""

    promise: Promise
    plan: Plan
    log: list[bytes]
    queued: list[Queued]
    sent: list[bytes]  # the plan's statements as sent, in order


class _Prober:
    def __init__(self, conn: psycopg.Connection[Any], schema: Schema, lock_ms: int, stmt_ms: int) -> None:
        self.conn = conn
        self.schema = schema
        self.lock_ms = lock_ms
        self.stmt_ms = stmt_ms
        self.rows = RowFactory(conn, schema)
        self._ahead = True  # probes may plan their statements ahead (see verify.plans)

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One transaction, opened by psycopg and always rolled back at the end.

        The timeouts and the constraint mode go out with the transaction's first
        statement, in the same round trip and before it. A pipeline stays open for the
        whole transaction: every statement is its own extended-protocol command. When the probes are done the
        connection must still be inside this transaction: if anything committed or
        ended it, the run stops with an error instead of going on outside a transaction.
        """
        conn = self.conn
        settings = sql.SQL(
            "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)"
        )
        setup = [
            self.rows.bind(settings, [f"{self.lock_ms}ms", f"{self.stmt_ms}ms"]),
            b"SET CONSTRAINTS ALL IMMEDIATE",
        ]
        with conn.transaction(force_rollback=True):
            try:
                with Pipe(conn) as pipe:
                    self.rows.begin(setup, pipe)
                    try:
                        yield
                        self.rows.channel.flush()
                    finally:
                        self.rows.begin()
            finally:
                self._check_still_open()

    def _check_still_open(self) -> None:
        """Stop the run when the probe transaction is no longer open (whatever else went wrong)."""
        status = self.conn.info.transaction_status
        if status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
            return
        what = "the connection was lost" if self.conn.closed else f"the connection is {status.name.lower()}"
        raise fail(
            ENDED_CODE,
            f"the probe transaction ended before its rollback ({what})",
            hint="something committed or ended the transaction; the probes stopped here;"
            " check the database for rows the probes may have left",
        )

    def run_group(self, table: QName | None, promises: list[Promise]) -> list[PromiseResult]:
        return self.run_batch([(table, promises)])[0]

    def run_batch(self, batch: list[tuple[QName | None, list[Promise]]]) -> list[list[PromiseResult]]:
        """The results of each group of ``batch``, probed in one transaction.

        The parent rows built for one table stay for the next ones (every probe's own
        rows are rolled back to its savepoint), so a long chain of foreign keys is built
        once per transaction rather than once per table. The statements of probes that
        plan them ahead travel together; their judges read the replies at the end.
        """
        out: list[list[PromiseResult]] = []
        try:
            with self._transaction():
                waiting = [self._run_group(table, promises) for table, promises in batch]
                self.rows.channel.flush()
                for group in waiting:
                    out.append([r if isinstance(r, PromiseResult) else self._judge(r) for r in group])
        except psycopg.Error as exc:
            reason = f"the probe transaction failed: {error_text(exc)}"
            for _, promises in batch[len(out) :]:
                out.append(
                    [
                        PromiseResult(
                            p, "untestable", "", p.expected_sqlstate, exc.sqlstate, reason, "failure"
                        )
                        for p in promises
                    ]
                )
        return out

    def _run_group(self, table: QName | None, promises: list[Promise]) -> list[PromiseResult | _Waiting]:
        failure: RowError | None = None
        if table:
            failure = self._prepare(table)
        out: list[PromiseResult | _Waiting] = []
        for p in promises:
            if failure is not None:
                trigger_fault = p.kind == "trigger" and failure.in_trigger
                if trigger_fault:
                    out.append(
                        PromiseResult(p, "broken", "", p.expected_sqlstate, failure.sqlstate, str(failure))
                    )
                    continue
                cause = cause_of(failure.sqlstate)
                out.append(
                    PromiseResult(
                        p, "untestable", "", p.expected_sqlstate, failure.sqlstate, str(failure), cause
                    )
                )
                continue
            out.append(self._probe(p))
        return out

    def _prepare(self, table: QName) -> RowError | None:
        """Build (and keep) the shared parents and check that one valid row can be inserted."""
        try:
            with self.rows.savepoint(keep=True):
                template = self.rows.row(table)
            with self.rows.savepoint():
                self.rows.insert(table, template)
        except RowError as exc:
            return exc
        except psycopg.Error as exc:
            return RowError(
                table,
                f"inserting a row failed: {error_text(exc)}",
                sqlstate=exc.sqlstate,
                in_trigger=raised_in_function(exc),
            )
        return None

    def _probe(self, p: Promise, *, ahead: bool = True) -> PromiseResult | _Waiting:
        """Probe ``p`` in a savepoint of its own; a probe that plans its statements (unless not
        ``ahead``) leaves them queued and is judged later."""
        self.rows.log = []
        outcome = untestable("no probe for this promise")
        if p.stand_in is not None:
            reason = (
                f"depends on the stand-in {p.stand_in}, which the document never defines (--stub-missing)"
            )
            return PromiseResult(p, "untestable", "", p.expected_sqlstate, None, reason, "design")
        self._ahead = ahead
        try:
            with self.rows.savepoint():
                plan = _PROBES[p.kind](self, p)
                if plan is not None:
                    waiting = _Waiting(p, plan, self.rows.log, [], [])
                    for segment in plan.segments:
                        rendered = [self.rows.channel.render(step.query, step.params) for step in segment]
                        waiting.sent.extend(rendered)
                        waiting.queued.append(self.rows.queue(rendered))
                    self.rows.log = None
                    return waiting
        except ProbeEnd as o:
            outcome = o
        except RowError as exc:
            outcome = untestable(str(exc), exc.sqlstate)
        except psycopg.Error as exc:
            outcome = untestable(f"unexpected error: {error_text(exc)}", exc.sqlstate, failed=True)
        except Exception as exc:  # a probe must never end a user's run; under tests it must fail them
            if reader_errors_raise():
                raise
            outcome = untestable(f"internal error while probing: {type(exc).__name__}: {exc}", failed=True)
        tried = self.rows.tried(3)
        self.rows.log = None
        return self._result(p, outcome, tried)

    def _judge(self, waiting: _Waiting) -> PromiseResult:
        """The result of a planned probe, from the replies to its statements."""
        p, plan = waiting.promise, waiting.plan
        if any(q.replies is None for q in waiting.queued):
            self.rows.channel.flush()
        replies: list[Reply] = []
        for q in waiting.queued:
            assert q.replies is not None
            if q.error is not None:
                return self._result(
                    p,
                    untestable(f"unexpected error: {error_text(q.error)}", q.error.sqlstate, failed=True),
                    "",
                )
            replies.extend(q.replies)
        got = Replies(replies, self._fetched)
        outcome = untestable("no probe for this promise")
        try:
            plan.judge(got)
        except ProbeEnd as o:
            outcome = o
        except Fallback:
            again = self._probe(p, ahead=False)
            return again if isinstance(again, PromiseResult) else self._judge(again)
        except Exception as exc:
            if reader_errors_raise():
                raise
            outcome = untestable(f"internal error while probing: {type(exc).__name__}: {exc}", failed=True)
        noted = [
            sent for s, sent in zip(plan.steps[: got.reached + 1], waiting.sent, strict=False) if s.noted
        ]
        return self._result(p, outcome, self.rows.tried(3, [*waiting.log, *noted]))

    @staticmethod
    def _result(p: Promise, outcome: ProbeEnd, tried: str) -> PromiseResult:
        verdict = outcome.outcome
        if verdict == "broken" and failure_state(outcome.actual):
            # an error that says the attempt failed (a lock or statement timeout, a lost
            # connection) is no evidence against the promise, whatever the probe expected
            verdict = "untestable"
        cause = (outcome.cause or cause_of(outcome.actual)) if verdict == "untestable" else None
        return PromiseResult(p, verdict, tried, p.expected_sqlstate, outcome.actual, outcome.reason, cause)

    # -- helpers -----------------------------------------------------------------------------

    # A statement that fails aborts the transaction until the probe's savepoint is
    # rolled back. Every probe ends (raises its outcome) right after a failed statement,
    # so statements get no savepoint of their own unless the probe goes on (``recover``).

    def _insert(
        self, table: QName, values: Row, *, recover: bool = False
    ) -> tuple[Row | None, psycopg.Error | None]:
        """Try an insert; after a failure the probe must end unless ``recover``."""
        try:
            if recover:
                with self.rows.savepoint(keep=True):
                    return self.rows.insert(table, values), None
            return self.rows.insert(table, values), None
        except psycopg.Error as exc:
            return None, exc

    def _run(
        self,
        query: sql.Composed,
        params: list[Any],
        then: tuple[sql.Composed, list[Any]] | None = None,
    ) -> tuple[list[tuple[Any, ...]] | None, psycopg.Error | None]:
        """Try a statement; after a failure the probe must end.

        ``then`` is a query that reads what the statement did: it goes in the same
        message, runs only if the statement succeeded, and its rows are returned.
        """
        statement = self.rows.channel.render(query, params)
        self.rows.note(statement)
        try:
            cur = self.rows.execute(statement, None, then)
            return (cur.fetchall() if cur.description else []), None
        except psycopg.Error as exc:
            return None, exc

    def _where(self, table: QName, row: Row) -> tuple[sql.Composed, list[Any]]:
        loc = self.rows.locator(table, row) or self.rows.ctid_locator(self.rows.last_ctid)
        if loc is None:
            raise untestable(f"no key to find the inserted row of {table} again")
        return loc

    def _fetch(self, table: QName, where: tuple[sql.Composed, list[Any]]) -> Row | None:
        q, params = self._fetch_query(table, where)
        return self._fetched(table, self.rows.execute(q, params).fetchone())

    def _fetch_query(
        self, table: QName, where: tuple[sql.Composed, list[Any]]
    ) -> tuple[sql.Composed, list[Any]]:
        q = sql.SQL("SELECT {} FROM {} WHERE {}").format(
            self.rows.returning(table), table_ident(table), where[0]
        )
        return q, where[1]

    def _fetched(self, table: QName, r: tuple[Any, ...] | None) -> Row | None:
        if r is None:
            return None
        names = [c.name for c in self.rows.info(table).table.columns]
        return dict(zip(names, r[1:], strict=True))

    @staticmethod
    def _state(exc: psycopg.Error) -> str:
        return f"{exc.sqlstate}: {error_text(exc)}"

    # -- probes ------------------------------------------------------------------------------

    def _probe_not_null(self, p: Promise) -> Plan:
        assert p.table and p.column
        table, column = p.table, p.column
        col = self.rows.info(table).table.column(column)
        if col is not None and col.generated is not None:
            raise untestable("a generated column cannot be written")
        values = self.rows.row(table)
        values[column] = None

        def judge(r: Replies) -> None:
            row, exc = r.inserted(0, table)
            if exc is not None:
                if exc.sqlstate == "23502":
                    raise kept(actual="23502")
                raise untestable(
                    f"the row with NULL failed for another reason: {self._state(exc)}", exc.sqlstate
                )
            assert row is not None
            if row.get(column) is None:
                raise broken(f"a row with {column} NULL was accepted")
            raise kept(f"NULL was replaced by {row[column]!r} (a trigger or rule)")

        return Plan([[Step(*self.rows.insert_statement(table, values))]], judge)

    def _probe_check(self, p: Promise) -> Plan:
        assert p.table and p.check
        table, expr = p.table, p.check.expression
        steps = [Step(*self.rows.insert_statement(table, self.rows.row(table, conditions=[(expr, "true")])))]
        failed: RowError | None = None
        try:
            steps.append(Step(*self.rows.insert_statement(table, self.rows.row(table, violate=expr))))
        except RowError as err:
            failed = err

        def judge(r: Replies) -> None:
            exc = r.error(0)
            if exc is not None:
                raise broken(f"a row satisfying the check was rejected: {self._state(exc)}", exc.sqlstate)
            if failed is not None:
                raise untestable(f"found no row that violates this check alone ({failed.reason})")
            exc = r.error(1)
            if exc is None:
                raise broken("a row violating the check was accepted")
            if exc.sqlstate == "23514":
                name = exc.diag.constraint_name
                raise kept(f"rejected by {name}" if name else "", "23514")
            raise untestable(f"the violating row failed for another reason: {self._state(exc)}", exc.sqlstate)

        return Plan([steps], judge)

    def _probe_unique(self, p: Promise) -> Plan | None:
        """Two rows with the same key; for a partial key, two more outside its predicate.

        Planned ahead when every key column gets its value from the probe (a value the
        server picks, from an identity or a sequence, is known only once stored)."""
        assert p.table and p.key
        table, key = p.table, p.key
        if not key.columns:
            raise untestable("the key's columns are not known")
        info = self.rows.info(table)
        picks = any(_server_picks(info.table.column(c)) for c in key.columns)
        if self._ahead and picks and not key.where:
            return self._plan_duplicate(p)
        if not self._ahead or picks:
            self._probe_unique_now(p)
            return None
        inside = [(key.where, "true")] if key.where else []
        first = self.rows.row(table, non_null=key.columns, conditions=inside)  # type: ignore[arg-type]
        same = {c: first.get(c) for c in key.columns}
        if any(v is None for v in same.values()):
            self._probe_unique_now(p)
            return None
        segment = [Step(*self.rows.insert_statement(table, first))]
        lacking: RowError | None = None  # the second row cannot be built
        try:
            second = self.rows.row(table, fixed=same, conditions=inside)  # type: ignore[arg-type]
        except RowError as err:
            lacking = err
        else:
            if key.where:  # the duplicate is tried in a savepoint of its own, to go on after it
                segment.append(Step(self.rows.savepoint_commands(self.rows.depth + 1)[0], None, noted=False))
            segment.append(Step(*self.rows.insert_statement(table, second)))
        segments = [segment]
        at = len(segment) - 1  # the duplicate's statement
        outside = [(key.where, "false")]
        third: Row | None = None
        fourth_lacking: RowError | None = None
        if key.where and lacking is None:
            try:
                third = self.rows.row(table, non_null=key.columns, conditions=outside)  # type: ignore[arg-type]
            except RowError:
                third = None
            if third is not None:
                rollback = self.rows.savepoint_commands(self.rows.depth + 1)[2]
                later = [Step(rollback, None, noted=False), Step(*self.rows.insert_statement(table, third))]
                try:
                    fixed3 = {c: third.get(c) for c in key.columns}
                    fourth = self.rows.row(table, fixed=fixed3, conditions=outside)  # type: ignore[arg-type]
                    later.append(Step(*self.rows.insert_statement(table, fourth)))
                except RowError as err:
                    fourth_lacking = err
                segments.append(later)

        def judge(r: Replies) -> None:
            stored = self._stored_key(key, *r.inserted(0, table))
            if stored != same:
                raise Fallback  # the duplicate must repeat the key as stored
            if lacking is not None:
                raise untestable(str(lacking), lacking.sqlstate)
            self._duplicate(table, key, r.error(at))
            if not key.where:
                raise kept(actual="23505")
            if third is None:
                raise kept("no row outside the index predicate exists to test", "23505")
            row3, exc = r.inserted(at + 2, table)
            if exc is not None or row3 is None:
                raise kept("a row outside the predicate could not be inserted", "23505")
            if {c: row3.get(c) for c in key.columns} != {c: third.get(c) for c in key.columns}:
                raise Fallback
            if fourth_lacking is not None:
                raise untestable(str(fourth_lacking), fourth_lacking.sqlstate)
            self._outside_duplicate(key.where, r.error(at + 3))

        return Plan(segments, judge)

    def _plan_duplicate(self, p: Promise) -> Plan:
        """A key the server fills in (not partial): the first row is inserted now, and the
        duplicate of its stored key is planned."""
        assert p.table and p.key
        table, key = p.table, p.key
        first = self.rows.row(table, non_null=key.columns)
        same = self._stored_key(key, *self._insert(table, first))
        second = self.rows.row(table, fixed=same)

        def judge(r: Replies) -> None:
            self._duplicate(table, key, r.error(0))
            raise kept(actual="23505")

        return Plan([[Step(*self.rows.insert_statement(table, second))]], judge)

    def _stored_key(self, key: UniqueKey, row: Row | None, exc: psycopg.Error | None) -> Row:
        """The key columns of the first row as the server stored it: what a duplicate repeats."""
        if exc is not None:
            raise untestable(f"the first row was rejected: {self._state(exc)}", exc.sqlstate)
        assert row is not None
        stored = {c: row.get(c) for c in key.columns}
        if any(v is None for v in stored.values()):
            raise untestable("the stored key has a NULL, so a duplicate cannot be made")
        return stored

    def _duplicate(self, table: QName, key: UniqueKey, exc: psycopg.Error | None) -> None:
        """Judge the duplicate of a stored key: it must fail with 23505 on this key (on a
        partitioned table, on the key's index in the partition the row went to)."""
        if exc is None:
            raise broken(f"a second row with the same {', '.join(key.columns)} was accepted")
        if exc.sqlstate != "23505":
            raise untestable(f"the duplicate failed for another reason: {self._state(exc)}", exc.sqlstate)
        hit = exc.diag.constraint_name
        if key.name and hit and hit != key.name and not self._in_a_partition(table, key, exc):
            raise untestable(f"the duplicate hit {hit}, not {key.name}", exc.sqlstate)

    def _in_a_partition(self, table: QName, key: UniqueKey, exc: psycopg.Error) -> bool:
        """Whether the violation is of a partition of ``table`` whose key has the same columns:
        a partitioned table's unique index is one index in each partition, each named for its
        partition."""
        hit_in = QName(exc.diag.schema_name or "", exc.diag.table_name or "")
        partition = self.schema.tables.get(hit_in)
        if partition is None or partition.partition_of != table:
            return False
        keys = [partition.primary_key.columns] if partition.primary_key else []
        keys += [u.columns for u in partition.uniques]
        # a partition made with PARTITION OF states no key of its own: it has its parent's
        return not keys or tuple(key.columns) in keys

    def _probe_unique_now(self, p: Promise) -> None:
        """The unique probe a statement at a time, each reading what the last one stored."""
        assert p.table and p.key
        key = p.key
        inside = [(key.where, "true")] if key.where else []
        first = self.rows.row(p.table, non_null=key.columns, conditions=inside)  # type: ignore[arg-type]
        same = self._stored_key(key, *self._insert(p.table, first))
        second = self.rows.row(p.table, fixed=same, conditions=inside)  # type: ignore[arg-type]
        _, exc = self._insert(p.table, second, recover=bool(key.where))
        self._duplicate(p.table, key, exc)
        if not key.where:
            raise kept(actual="23505")
        # outside the predicate duplicates are allowed
        outside = [(key.where, "false")]
        try:
            third = self.rows.row(p.table, non_null=key.columns, conditions=outside)  # type: ignore[arg-type]
        except RowError:
            raise kept("no row outside the index predicate exists to test", "23505") from None
        row3, exc = self._insert(p.table, third)
        if exc is not None or row3 is None:
            raise kept("a row outside the predicate could not be inserted", "23505")
        same3 = {c: row3.get(c) for c in key.columns}
        fourth = self.rows.row(p.table, fixed=same3, conditions=outside)  # type: ignore[arg-type]
        _, exc = self._insert(p.table, fourth)
        self._outside_duplicate(key.where, exc)

    def _outside_duplicate(self, where: str, exc: psycopg.Error | None) -> NoReturn:
        """Judge the duplicate of a row outside a partial key's predicate (it must be accepted)."""
        if exc is not None and exc.sqlstate == "23505":
            raise broken(
                f"a duplicate outside WHERE {where} was rejected ({exc.diag.constraint_name})", "23505"
            )
        if exc is not None:
            raise kept(
                f"duplicate outside the predicate failed for another reason: {self._state(exc)}", "23505"
            )
        raise kept(actual="23505")

    def _probe_foreign_key(self, p: Promise) -> Plan:
        assert p.table and p.foreign_key
        fk = p.foreign_key
        # the key gets values no row has: a parent row for it would go unused
        values = self.rows.row(p.table, non_null=fk.columns, no_parent=fk)
        ahead = self._ahead
        for attempt in range(_ORPHAN_DRAWS):
            for c in fk.columns:
                values[c] = self.rows.fresh_value(p.table, c)
            if ahead:
                break
            # a statement at a time: the drawn key is first looked for among the parent's rows
            (taken,) = self.rows.execute(*self._parent_row_exists(fk, values)).fetchone() or (False,)
            if not taken:
                break
            if attempt == _ORPHAN_DRAWS - 1:
                raise untestable(f"every key drawn for an orphan row is taken by a row of {fk.ref_table}")

        def judge(r: Replies) -> None:
            exc = r.error(0)
            if exc is None:
                # the second statement runs only when the row was accepted: the drawn key may
                # belong to a row the parent table already has (its data, or a parent built by
                # an earlier probe), and then it is drawn again, a statement at a time
                found, _ = r.run(1) if ahead else (None, None)
                if found and found[0][0]:
                    raise Fallback
                raise broken(f"a row pointing at no {fk.ref_table} row was accepted")
            if exc.sqlstate == "23503":
                raise kept(actual="23503")
            raise untestable(f"the orphan row failed for another reason: {self._state(exc)}", exc.sqlstate)

        insert = Step(*self.rows.insert_statement(p.table, values))
        if not ahead:
            return Plan([[insert]], judge)
        return Plan([[insert, Step(*self._parent_row_exists(fk, values), noted=False)]], judge)

    def _parent_row_exists(self, fk: ForeignKey, values: Row) -> tuple[sql.Composed, list[Any]]:
        """Whether a row of the referenced table has the key ``values`` give the foreign key."""
        match, params = self._parent_where(
            fk, {r: values[c] for c, r in zip(fk.columns, fk.ref_columns, strict=False)}
        )
        query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE {})").format(table_ident(fk.ref_table), match)
        return query, params

    def _family(self, p: Promise) -> tuple[ForeignKey, Row, Row, tuple[sql.Composed, list[Any]]]:
        """A fresh parent and one child pointing at it."""
        assert p.table and p.foreign_key
        fk = p.foreign_key
        parent = self.rows.parent(fk.ref_table, fk.ref_columns, fresh=True)
        fixed = {c: parent.get(r) for c, r in zip(fk.columns, fk.ref_columns, strict=False)}
        if any(v is None for v in fixed.values()):
            raise untestable(f"the parent row in {fk.ref_table} has a NULL key")
        child_values = self.rows.row(p.table, fixed=fixed)
        child, exc = self._insert(p.table, child_values)
        if exc is not None or child is None:
            raise untestable(f"the child row was rejected: {self._state(exc)}" if exc else "no child row")
        loc = self.rows.locator(p.table, child)
        if loc is None:
            raise untestable(f"{p.table} has no key to find the child row again")
        return fk, parent, child, loc

    def _parent_where(self, fk: ForeignKey, parent: Row) -> tuple[sql.Composed, list[Any]]:
        info = self.rows.info(fk.ref_table)
        parts = [
            sql.SQL("{} = CAST({} AS {})").format(sql.Identifier(r), sql.Placeholder(), _raw(info.types[r]))
            for r in fk.ref_columns
        ]
        return sql.SQL(" AND ").join(parts), [parent.get(r) for r in fk.ref_columns]

    def _after_action(
        self,
        p: Promise,
        action: str,
        event: str,
        child: Row,
        loc: tuple[sql.Composed, list[Any]],
        exc: psycopg.Error | None,
        new_values: dict[str, str | None],
        read_back: list[Row | None] | None = None,
    ) -> None:
        """Judge what the referenced row's update or delete did to the child row.

        ``read_back`` holds the child row as read right after the statement, when
        the probe read it in the same round trip (see :meth:`_reads_child`).
        """
        assert p.table and p.foreign_key
        fk = p.foreign_key
        if action in ("NO ACTION", "RESTRICT"):
            if exc is None:
                raise broken(f"the {event} of the referenced row was allowed while a child row existed")
            if exc.sqlstate == "23503":
                raise kept(actual="23503")
            raise untestable(f"the {event} failed for another reason: {self._state(exc)}", exc.sqlstate)
        if exc is not None:
            raise broken(f"the {event} of the referenced row failed: {self._state(exc)}", exc.sqlstate)
        if not self._reads_child(p, action, child):
            raise untestable("the child's key contains the foreign key columns")
        after = read_back[0] if read_back is not None else self._fetch(p.table, loc)
        if action == "CASCADE" and event == "delete":
            if after is None:
                raise kept()
            raise broken("the child row still exists after its parent was deleted")
        if after is None:
            raise broken(f"the child row was deleted, not updated ({action})")
        if action == "CASCADE":
            expected: dict[str, str | None] = new_values
        elif action == "SET NULL":
            expected = dict.fromkeys(fk.columns)
        else:
            defaults = self.rows.defaults(p.table)
            expected = {c: defaults.get(c) for c in fk.columns}
        got = {c: after.get(c) for c in fk.columns}
        if got == expected:
            raise kept()
        raise broken(f"after the {event} the child has {got}, expected {expected} ({action})")

    def _reads_child(self, p: Promise, action: str, child: Row) -> bool:
        """Whether the child row is read back after the action (found by its key)."""
        assert p.table and p.foreign_key
        if action in ("NO ACTION", "RESTRICT"):
            return False
        keyed = {c for c in child if loc_uses(self, p.table, c)}
        return not (set(p.foreign_key.columns) & keyed) or action == "CASCADE"

    def _probe_on_delete(self, p: Promise) -> Plan:
        assert p.table
        table = p.table
        fk, parent, child, loc = self._family(p)
        where = self._parent_where(fk, parent)
        q = sql.SQL("DELETE FROM {} WHERE {}").format(table_ident(fk.ref_table), where[0])
        action = fk.on_delete
        if not self._reads_child(p, action, child):

            def judge_alone(r: Replies) -> None:
                self._after_action(p, action, "delete", child, loc, r.error(0), {})

            return Plan([[Step(q, where[1])]], judge_alone)
        if action == "SET DEFAULT":
            self.rows.defaults(table)  # what the judge compares with, evaluated now
        # the child row is read back right after the DELETE, when it succeeded
        fetch, fetch_params = self._fetch_query(table, loc)

        def judge(r: Replies) -> None:
            exc = r.error(0)
            after = None if exc is not None else self._fetched(table, r.reply(1).fetchone())
            self._after_action(p, action, "delete", child, loc, exc, {}, [after])

        return Plan([[Step(q, where[1]), Step(fetch, fetch_params, noted=False)]], judge)

    def _probe_on_update(self, p: Promise) -> None:
        fk, parent, child, loc = self._family(p)
        where = self._parent_where(fk, parent)
        info = self.rows.info(fk.ref_table)
        new = {r: self.rows.fresh_value(fk.ref_table, r) for r in fk.ref_columns}
        sets = sql.SQL(", ").join(
            sql.SQL("{} = CAST({} AS {})").format(sql.Identifier(r), sql.Placeholder(), _raw(info.types[r]))
            for r in fk.ref_columns
        )
        q = sql.SQL("UPDATE {} SET {} WHERE {}").format(table_ident(fk.ref_table), sets, where[0])
        _, exc = self._run(q, [*new.values(), *where[1]])
        new_child = {c: new[r] for c, r in zip(fk.columns, fk.ref_columns, strict=False)}
        if (
            exc is not None
            and fk.on_update not in ("NO ACTION", "RESTRICT")
            and exc.sqlstate in ("428C9", "23514")
        ):
            raise untestable(f"the referenced key cannot be changed: {self._state(exc)}", exc.sqlstate)
        if fk.on_update == "CASCADE":
            # read the parent's new key back as PostgreSQL prints it
            r = (
                self.rows.execute(
                    sql.SQL("SELECT {} FROM {} WHERE {}").format(
                        sql.SQL(", ").join(
                            sql.SQL("{}::text").format(sql.Identifier(r)) for r in fk.ref_columns
                        ),
                        table_ident(fk.ref_table),
                        sql.SQL(" AND ").join(
                            sql.SQL("{} = CAST({} AS {})").format(
                                sql.Identifier(r), sql.Placeholder(), _raw(info.types[r])
                            )
                            for r in fk.ref_columns
                        ),
                    ),
                    list(new.values()),
                ).fetchone()
                if exc is None
                else None
            )
            if r is not None:
                new_child = dict(zip(fk.columns, r, strict=False))
        self._after_action(p, fk.on_update, "update", child, loc, exc, new_child)

    def _probe_default(self, p: Promise) -> Plan:
        assert p.table and p.column
        table, column = p.table, p.column
        info = self.rows.info(table)
        col = info.table.column(column)
        assert col is not None and col.default is not None
        values = self.rows.row(table, omit=[column])
        values.pop(column, None)
        steps = [Step(*self.rows.insert_statement(table, values))]
        volatile = is_volatile_default(col.default)
        twice = volatile and any(f in col.default.lower() for f in _DIFFERENT_EACH_ROW)
        lacking: RowError | None = None  # no second row could be built
        if twice:
            try:
                values2 = self.rows.row(table, omit=[column])
                values2.pop(column, None)
                steps.append(Step(*self.rows.insert_statement(table, values2)))
            except RowError as err:
                lacking = err
        elif not volatile:
            q = sql.SQL("SELECT CAST(({}) AS {})::text").format(_raw(col.default), _raw(info.types[column]))
            steps.append(Step(q, []))

        def judge(r: Replies) -> None:
            row, exc = r.inserted(0, table)
            if exc is not None or row is None:
                raise untestable(
                    f"a row relying on the default was rejected: {self._state(exc)}" if exc else ""
                )
            got = row.get(column)
            if volatile:
                if got is None:
                    raise broken("the column was NULL, not the default")
                if twice:
                    if lacking is not None:
                        raise untestable(str(lacking), lacking.sqlstate)
                    row2, _ = r.inserted(1, table)
                    if row2 is not None and row2.get(column) == got:
                        raise broken(f"two rows got the same value {got!r}")
                raise kept()
            rows, exc = r.run(1)
            if exc is not None or not rows:
                raise untestable(
                    f"the default expression cannot be evaluated: {self._state(exc)}" if exc else ""
                )
            expected = rows[0][0]
            if got == expected:
                raise kept()
            raise broken(f"an omitted {column} became {got!r}; the document's default gives {expected!r}")

        return Plan([steps], judge)

    def _probe_enum(self, p: Promise) -> None:
        assert p.enum
        enum = p.enum
        ident = sql.Identifier(enum.schema, enum.name)
        for label in enum.labels:
            q = sql.SQL("SELECT CAST({} AS {})::text").format(sql.Placeholder(), ident)
            _, exc = self._run(q, [label])
            if exc is not None:
                raise broken(f"the label {label!r} is not accepted: {self._state(exc)}", exc.sqlstate)
        outsider = f"sd_not_a_label_{secrets.token_hex(4)}"
        q = sql.SQL("SELECT CAST({} AS {})").format(sql.Placeholder(), ident)
        _, exc = self._run(q, [outsider])
        if exc is None:
            raise broken(f"the value {outsider!r} was accepted")
        if exc.sqlstate == "22P02":
            raise kept(actual="22P02")
        raise untestable(f"the outside value failed for another reason: {self._state(exc)}", exc.sqlstate)

    def _probe_view(self, p: Promise) -> None:
        assert p.view
        view = p.view
        q = sql.SQL("SELECT * FROM {} LIMIT 0").format(sql.Identifier(view.schema, view.name))
        statement = self.rows.channel.render(q, None)
        self.rows.note(statement)
        try:
            cur = self.rows.execute(statement)
        except psycopg.Error as exc:
            raise broken(f"selecting from the view failed: {self._state(exc)}", exc.sqlstate) from None
        got = [d.name for d in cur.description or ()]
        expected = list(view.columns) or view_columns(view.definition)
        if not expected:
            raise kept(f"returns {', '.join(got)}")
        missing = [c for c in expected if c not in got]
        extra = [c for c in got if c not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"unexpected {', '.join(extra)}")
            raise broken("the view's columns differ: " + "; ".join(parts))
        raise kept()

    def _probe_trigger(self, p: Promise) -> None:
        assert p.trigger
        trig = p.trigger
        if p.table not in self.schema.tables:
            raise untestable("triggers on views are not probed")
        if p.pattern == "updated_at":
            self._trigger_updated_at(p)
        elif p.pattern == "duration":
            self._trigger_duration(p)
        events = [e.split()[0].upper() for e in trig.events]
        for event in events:
            self._fire(p, event)
        raise kept()

    def _fire(self, p: Promise, event: str) -> None:
        assert p.table and p.trigger
        table = p.table
        if event == "TRUNCATE":
            return  # TRUNCATE takes an exclusive lock on the table: never probed
        values = self.rows.row(table)
        row, exc = self._insert(table, values)
        if exc is not None or row is None:
            if event == "INSERT" and exc is not None:
                raise broken(f"INSERT failed: {self._state(exc)}", exc.sqlstate)
            raise untestable(f"no row to fire the trigger on: {self._state(exc)}" if exc else "no row")
        where = self._where(table, row)
        if event == "UPDATE":
            col = self._some_column(table, p)
            q = sql.SQL("UPDATE {} SET {} = {} WHERE {}").format(
                table_ident(table), sql.Identifier(col), sql.Identifier(col), where[0]
            )
        elif event == "DELETE":
            q = sql.SQL("DELETE FROM {} WHERE {}").format(table_ident(table), where[0])
        else:
            return
        _, exc = self._run(q, where[1])
        if exc is not None:
            raise broken(f"{event} failed: {self._state(exc)}", exc.sqlstate)

    def _some_column(self, table: QName, p: Promise) -> str:
        assert p.trigger
        for e in p.trigger.events:
            if e.upper().startswith("UPDATE OF"):
                return e[len("UPDATE OF") :].split(",")[0].strip().strip('"')
        info = self.rows.info(table)
        keys = {c for k in info.keys for c in k.columns}
        skip = keys | set(p.pattern_columns)
        for c in info.table.columns:
            if c.name not in skip and c.generated is None and c.identity is None:
                return c.name
        for c in info.table.columns:
            if c.generated is None and c.identity is None:
                return c.name
        raise untestable("the table has no column an UPDATE could set")

    def _trigger_updated_at(self, p: Promise) -> None:
        assert p.table
        (col,) = p.pattern_columns
        values = self.rows.row(p.table, fixed={col: _OLD_TIMESTAMP})
        row, exc = self._insert(p.table, values)
        if exc is not None or row is None:
            raise untestable(f"a row with an old {col} was rejected: {self._state(exc)}" if exc else "")
        old = row.get(col)
        where = self._where(p.table, row)
        other = self._some_column(p.table, p)
        q = sql.SQL("UPDATE {} SET {} = {} WHERE {} RETURNING {}::text").format(
            table_ident(p.table), sql.Identifier(other), sql.Identifier(other), where[0], sql.Identifier(col)
        )
        rows, exc = self._run(q, where[1])
        if exc is not None:
            raise broken(f"the UPDATE failed: {self._state(exc)}", exc.sqlstate)
        if not rows:
            raise untestable("the UPDATE found no row")
        new = rows[0][0]
        if new is None or new == old:
            raise broken(f"after an UPDATE of {other}, {col} stayed {new!r}")

    def _trigger_duration(self, p: Promise) -> None:
        assert p.table and p.trigger
        start, end, duration = p.pattern_columns
        info = self.rows.info(p.table)
        times = self.rows.execute(
            sql.SQL(
                "SELECT CAST(now() + interval '60 seconds' AS {})::text,"
                " CAST(now() + interval '150 seconds' AS {})::text"
            ).format(_raw(info.types[start]), _raw(info.types[end]))
        ).fetchone()
        assert times is not None
        t1, t2 = times
        expected = _expected_duration(duration, info.types[duration])
        events = {e.split()[0].upper() for e in p.trigger.events}
        if "INSERT" in events:
            values = self.rows.row(p.table, fixed={start: t1, end: t2})
            row, exc = self._insert(p.table, values)
            if exc is not None or row is None:
                raise broken(
                    f"inserting a finished row failed: {self._state(exc)}" if exc else "",
                    getattr(exc, "sqlstate", None),
                )
            if not _same_duration(row.get(duration), expected):
                raise broken(
                    f"on INSERT with {start} and {end} 90 s apart, {duration} became {row.get(duration)!r}"
                )
        if "UPDATE" in events:
            col_start, col_end = info.table.column(start), info.table.column(end)
            if col_start is None or col_end is None or not (col_start.nullable and col_end.nullable):
                return
            values = self.rows.row(p.table, fixed={start: None, end: None})
            row, exc = self._insert(p.table, values)
            if exc is not None or row is None:
                raise untestable(
                    f"a row without {start}/{end} was rejected: {self._state(exc)}" if exc else ""
                )
            where = self._where(p.table, row)
            q = sql.SQL(
                "UPDATE {} SET {} = CAST({} AS {}), {} = CAST({} AS {}) WHERE {} RETURNING {}::text"
            ).format(
                table_ident(p.table),
                sql.Identifier(start),
                sql.Placeholder(),
                _raw(info.types[start]),
                sql.Identifier(end),
                sql.Placeholder(),
                _raw(info.types[end]),
                where[0],
                sql.Identifier(duration),
            )
            rows, exc = self._run(q, [t1, t2, *where[1]])
            if exc is not None:
                raise broken(f"the UPDATE failed: {self._state(exc)}", exc.sqlstate)
            got = rows[0][0] if rows else None
            if not _same_duration(got, expected):
                raise broken(f"on UPDATE with {start} and {end} 90 s apart, {duration} became {got!r}")


def loc_uses(prober: _Prober, table: QName, column: str) -> bool:
    """Whether the key used to find rows of ``table`` includes ``column``."""
    info = prober.rows.info(table)
    for key in info.keys:
        if not key.where and not key.expression and key.columns:
            return column in key.columns
    return False


def _expected_duration(name: str, ctype: str) -> str:
    if "interval" in ctype.lower():
        return "00:01:30"
    lowered = name.lower()
    if lowered.endswith("_ms") or "milli" in lowered:
        return "90000"
    if lowered.endswith("_min") or lowered.endswith("_minutes") or lowered.endswith("_mins"):
        return "1.5"
    return "90"


def _same_duration(got: str | None, expected: str) -> bool:
    if got is None:
        return False
    if got == expected:
        return True
    try:
        return Decimal(got) == Decimal(expected)
    except InvalidOperation:
        return False


def _server_picks(col: Column | None) -> bool:
    """Whether the value of ``col`` in a new row is left to the server (identity, sequence,
    generated or volatile default): known only once the row is stored."""
    if col is None:
        return True
    serial = col.type.strip().lower() in (
        "serial",
        "serial4",
        "bigserial",
        "serial8",
        "smallserial",
        "serial2",
    )
    return col.identity is not None or col.generated is not None or serial or is_volatile_default(col.default)


# One probe per kind of promise: it ends by raising its outcome, or returns the plan of the
# statements it will judge once they have run (see verify.plans).
_PROBES: dict[PromiseKind, Callable[[_Prober, Promise], Plan | None]] = {
    "not_null": _Prober._probe_not_null,
    "check": _Prober._probe_check,
    "unique": _Prober._probe_unique,
    "foreign_key": _Prober._probe_foreign_key,
    "on_delete": _Prober._probe_on_delete,
    "on_update": _Prober._probe_on_update,
    "default": _Prober._probe_default,
    "enum": _Prober._probe_enum,
    "view": _Prober._probe_view,
    "trigger": _Prober._probe_trigger,
}

__all__ = ["parse_expression", "verify_promises"]
