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

import queue
import secrets
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

from schemadoc.diagnostics import fail
from schemadoc.model import ForeignKey, QName, Schema
from schemadoc.pg.wire import pipeline_mode
from schemadoc.read import reader_errors_raise
from schemadoc.verify.checkexpr import parse_expression
from schemadoc.verify.promises import Promise, PromiseKind, build_promises, view_columns
from schemadoc.verify.report import Cause, Outcome, PromiseResult, VerifyReport, failure_state
from schemadoc.verify.rows import (
    Row,
    RowError,
    RowFactory,
    _raw,
    error_text,
    is_volatile_default,
    raised_in_function,
    table_ident,
)

# Tables whose promises share one probe transaction (and the parent rows built in it): enough
# that deep foreign key chains are not rebuilt for every table, few enough that locks are not
# held for the whole run.
_TABLES_PER_TRANSACTION = 200
ENDED_CODE = "SD704"  # error: a probe transaction was no longer open when it was to be rolled back
_OLD_TIMESTAMP = "2001-02-03 04:05:06"
_DIFFERENT_EACH_ROW = ("gen_random_uuid", "uuid_generate", "uuidv", "nextval", "random")


class _Outcome(Exception):
    """Raised inside a probe to end it with a result."""

    def __init__(
        self, outcome: Outcome, reason: str = "", actual: str | None = None, cause: Cause | None = None
    ) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.actual = actual
        self.cause = cause


def _broken(reason: str, actual: str | None = None) -> _Outcome:
    return _Outcome("broken", reason, actual)


def _untestable(reason: str, actual: str | None = None, *, failed: bool = False) -> _Outcome:
    """Untestable: by design, unless ``failed`` or the error's SQLSTATE says the attempt failed."""
    return _Outcome("untestable", reason, actual, _cause(actual, failed))


def _cause(sqlstate: str | None, failed: bool = False) -> Cause:
    return "failure" if failed or failure_state(sqlstate) else "design"


def _kept(reason: str = "", actual: str | None = None) -> _Outcome:
    return _Outcome("kept", reason, actual)


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
) -> VerifyReport:
    """Probe every promise of ``schema`` on ``conn`` (only those of ``tables``, when given); the
    database's data is left as it was.

    ``more_connections`` (to the same database, idle) probe other tables at the same time:
    the probe transactions of a run are independent (each builds its own parent rows, every
    probe in its own savepoint, all rolled back), so each connection takes the next one."""
    conns = [conn, *more_connections]
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
    batches = [
        [(key, [promises[i] for i in groups[key]]) for key in keys[start : start + tables_per_transaction]]
        for start in range(0, len(keys), tables_per_transaction)
    ]
    if len(batches) < 2:
        conns = conns[:1]
    saved = [(c.autocommit, c.prepare_threshold) for c in conns]
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
        for c, (autocommit, prepare_threshold) in zip(conns, saved, strict=True):
            c.prepare_threshold = prepare_threshold
            if not c.closed and c.info.transaction_status == TransactionStatus.IDLE:
                c.autocommit = autocommit
    return VerifyReport([results[i] for i in range(total)])


_Batch = list[tuple[QName | None, list[Promise]]]


def _run_batches(
    conns: list[psycopg.Connection[Any]], schema: Schema, batches: list[_Batch], lock_ms: int, stmt_ms: int
) -> Iterator[tuple[_Batch, list[list[PromiseResult]]]]:
    """Each batch with its results, in order; with several connections, batches run side by side
    (one transaction per batch on whichever connection is free)."""
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

    with ThreadPoolExecutor(max_workers=len(conns), thread_name_prefix="schemadoc-probe") as pool:
        futures = [pool.submit(run, batch) for batch in batches]
        try:
            for batch, future in zip(batches, futures, strict=True):
                yield batch, future.result()
        finally:
            for future in futures:  # a run that stops (SD704, an internal error) starts nothing more
                future.cancel()


class _Prober:
    def __init__(self, conn: psycopg.Connection[Any], schema: Schema, lock_ms: int, stmt_ms: int) -> None:
        self.conn = conn
        self.schema = schema
        self.lock_ms = lock_ms
        self.stmt_ms = stmt_ms
        self.rows = RowFactory(conn, schema)

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
                with pipeline_mode(conn):
                    self.rows.begin(setup, wire=True)
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
        once per transaction rather than once per table.
        """
        out: list[list[PromiseResult]] = []
        try:
            with self._transaction():
                for table, promises in batch:
                    out.append(self._run_group(table, promises))
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

    def _run_group(self, table: QName | None, promises: list[Promise]) -> list[PromiseResult]:
        failure: RowError | None = None
        if table:
            failure = self._prepare(table)
        out: list[PromiseResult] = []
        for p in promises:
            if failure is not None:
                trigger_fault = p.kind == "trigger" and failure.in_trigger
                if trigger_fault:
                    out.append(
                        PromiseResult(p, "broken", "", p.expected_sqlstate, failure.sqlstate, str(failure))
                    )
                    continue
                cause = _cause(failure.sqlstate)
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

    def _probe(self, p: Promise) -> PromiseResult:
        self.rows.log = []
        outcome = _untestable("no probe for this promise")
        if p.stand_in is not None:
            reason = (
                f"depends on the stand-in {p.stand_in}, which the document never defines (--stub-missing)"
            )
            return PromiseResult(p, "untestable", "", p.expected_sqlstate, None, reason, "design")
        try:
            with self.rows.savepoint():
                _PROBES[p.kind](self, p)
        except _Outcome as o:
            outcome = o
        except RowError as exc:
            outcome = _untestable(str(exc), exc.sqlstate)
        except psycopg.Error as exc:
            outcome = _untestable(f"unexpected error: {error_text(exc)}", exc.sqlstate, failed=True)
        except Exception as exc:  # a probe must never end a user's run; under tests it must fail them
            if reader_errors_raise():
                raise
            outcome = _untestable(f"internal error while probing: {type(exc).__name__}: {exc}", failed=True)
        tried = self.rows.tried(3)
        self.rows.log = None
        cause = (outcome.cause or _cause(outcome.actual)) if outcome.outcome == "untestable" else None
        return PromiseResult(
            p, outcome.outcome, tried, p.expected_sqlstate, outcome.actual, outcome.reason, cause
        )

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
        self.rows.note(query, params)
        try:
            cur = self.rows.execute(query, params, then)
            return (cur.fetchall() if cur.description else []), None
        except psycopg.Error as exc:
            return None, exc

    def _where(self, table: QName, row: Row) -> tuple[sql.Composed, list[Any]]:
        loc = self.rows.locator(table, row) or self.rows.ctid_locator(self.rows.last_ctid)
        if loc is None:
            raise _untestable(f"no key to find the inserted row of {table} again")
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

    def _probe_not_null(self, p: Promise) -> None:
        assert p.table and p.column
        col = self.rows.info(p.table).table.column(p.column)
        if col is not None and col.generated is not None:
            raise _untestable("a generated column cannot be written")
        values = self.rows.row(p.table)
        values[p.column] = None
        row, exc = self._insert(p.table, values)
        if exc is not None:
            if exc.sqlstate == "23502":
                raise _kept(actual="23502")
            raise _untestable(
                f"the row with NULL failed for another reason: {self._state(exc)}", exc.sqlstate
            )
        assert row is not None
        if row.get(p.column) is None:
            raise _broken(f"a row with {p.column} NULL was accepted")
        raise _kept(f"NULL was replaced by {row[p.column]!r} (a trigger or rule)")

    def _probe_check(self, p: Promise) -> None:
        assert p.table and p.check
        expr = p.check.expression
        values = self.rows.row(p.table, conditions=[(expr, "true")])
        _, exc = self._insert(p.table, values)
        if exc is not None:
            raise _broken(f"a row satisfying the check was rejected: {self._state(exc)}", exc.sqlstate)
        try:
            bad = self.rows.row(p.table, violate=expr)
        except RowError as err:
            raise _untestable(f"found no row that violates this check alone ({err.reason})") from err
        _, exc = self._insert(p.table, bad)
        if exc is None:
            raise _broken("a row violating the check was accepted")
        if exc.sqlstate == "23514":
            name = exc.diag.constraint_name
            raise _kept(f"rejected by {name}" if name else "", "23514")
        raise _untestable(f"the violating row failed for another reason: {self._state(exc)}", exc.sqlstate)

    def _probe_unique(self, p: Promise) -> None:
        assert p.table and p.key
        key = p.key
        if not key.columns:
            raise _untestable("the key's columns are not known")
        inside = [(key.where, "true")] if key.where else []
        first = self.rows.row(p.table, non_null=key.columns, conditions=inside)  # type: ignore[arg-type]
        row1, exc = self._insert(p.table, first)
        if exc is not None:
            raise _untestable(f"the first row was rejected: {self._state(exc)}", exc.sqlstate)
        assert row1 is not None
        same = {c: row1.get(c) for c in key.columns}
        if any(v is None for v in same.values()):
            raise _untestable("the stored key has a NULL, so a duplicate cannot be made")
        second = self.rows.row(p.table, fixed=same, conditions=inside)  # type: ignore[arg-type]
        _, exc = self._insert(p.table, second, recover=bool(key.where))
        if exc is None:
            raise _broken(f"a second row with the same {', '.join(key.columns)} was accepted")
        if exc.sqlstate != "23505":
            raise _untestable(f"the duplicate failed for another reason: {self._state(exc)}", exc.sqlstate)
        hit = exc.diag.constraint_name
        if key.name and hit and hit != key.name:
            raise _untestable(f"the duplicate hit {hit}, not {key.name}", exc.sqlstate)
        if not key.where:
            raise _kept(actual="23505")
        # outside the predicate duplicates are allowed
        outside = [(key.where, "false")]
        try:
            third = self.rows.row(p.table, non_null=key.columns, conditions=outside)  # type: ignore[arg-type]
        except RowError:
            raise _kept("no row outside the index predicate exists to test", "23505") from None
        row3, exc = self._insert(p.table, third)
        if exc is not None or row3 is None:
            raise _kept("a row outside the predicate could not be inserted", "23505")
        same3 = {c: row3.get(c) for c in key.columns}
        fourth = self.rows.row(p.table, fixed=same3, conditions=outside)  # type: ignore[arg-type]
        _, exc = self._insert(p.table, fourth)
        if exc is not None and exc.sqlstate == "23505":
            raise _broken(
                f"a duplicate outside WHERE {key.where} was rejected ({exc.diag.constraint_name})", "23505"
            )
        if exc is not None:
            raise _kept(
                f"duplicate outside the predicate failed for another reason: {self._state(exc)}", "23505"
            )
        raise _kept(actual="23505")

    def _probe_foreign_key(self, p: Promise) -> None:
        assert p.table and p.foreign_key
        fk = p.foreign_key
        # the key gets values no row has: a parent row for it would go unused
        values = self.rows.row(p.table, non_null=fk.columns, no_parent=fk)
        for c in fk.columns:
            values[c] = self.rows.fresh_value(p.table, c)
        _, exc = self._insert(p.table, values)
        if exc is None:
            raise _broken(f"a row pointing at no {fk.ref_table} row was accepted")
        if exc.sqlstate == "23503":
            raise _kept(actual="23503")
        raise _untestable(f"the orphan row failed for another reason: {self._state(exc)}", exc.sqlstate)

    def _family(self, p: Promise) -> tuple[ForeignKey, Row, Row, tuple[sql.Composed, list[Any]]]:
        """A fresh parent and one child pointing at it."""
        assert p.table and p.foreign_key
        fk = p.foreign_key
        parent = self.rows.parent(fk.ref_table, fk.ref_columns, fresh=True)
        fixed = {c: parent.get(r) for c, r in zip(fk.columns, fk.ref_columns, strict=False)}
        if any(v is None for v in fixed.values()):
            raise _untestable(f"the parent row in {fk.ref_table} has a NULL key")
        child_values = self.rows.row(p.table, fixed=fixed)
        child, exc = self._insert(p.table, child_values)
        if exc is not None or child is None:
            raise _untestable(f"the child row was rejected: {self._state(exc)}" if exc else "no child row")
        loc = self.rows.locator(p.table, child)
        if loc is None:
            raise _untestable(f"{p.table} has no key to find the child row again")
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
                raise _broken(f"the {event} of the referenced row was allowed while a child row existed")
            if exc.sqlstate == "23503":
                raise _kept(actual="23503")
            raise _untestable(f"the {event} failed for another reason: {self._state(exc)}", exc.sqlstate)
        if exc is not None:
            raise _broken(f"the {event} of the referenced row failed: {self._state(exc)}", exc.sqlstate)
        if not self._reads_child(p, action, child):
            raise _untestable("the child's key contains the foreign key columns")
        after = read_back[0] if read_back is not None else self._fetch(p.table, loc)
        if action == "CASCADE" and event == "delete":
            if after is None:
                raise _kept()
            raise _broken("the child row still exists after its parent was deleted")
        if after is None:
            raise _broken(f"the child row was deleted, not updated ({action})")
        if action == "CASCADE":
            expected: dict[str, str | None] = new_values
        elif action == "SET NULL":
            expected = dict.fromkeys(fk.columns)
        else:
            defaults = self.rows.defaults(p.table)
            expected = {c: defaults.get(c) for c in fk.columns}
        got = {c: after.get(c) for c in fk.columns}
        if got == expected:
            raise _kept()
        raise _broken(f"after the {event} the child has {got}, expected {expected} ({action})")

    def _reads_child(self, p: Promise, action: str, child: Row) -> bool:
        """Whether the child row is read back after the action (found by its key)."""
        assert p.table and p.foreign_key
        if action in ("NO ACTION", "RESTRICT"):
            return False
        keyed = {c for c in child if loc_uses(self, p.table, c)}
        return not (set(p.foreign_key.columns) & keyed) or action == "CASCADE"

    def _probe_on_delete(self, p: Promise) -> None:
        assert p.table
        fk, parent, child, loc = self._family(p)
        where = self._parent_where(fk, parent)
        q = sql.SQL("DELETE FROM {} WHERE {}").format(table_ident(fk.ref_table), where[0])
        if not self._reads_child(p, fk.on_delete, child):
            _, exc = self._run(q, where[1])
            self._after_action(p, fk.on_delete, "delete", child, loc, exc, {})
            return
        # the child row is read back in the same round trip, right after the DELETE
        rows, exc = self._run(q, where[1], then=self._fetch_query(p.table, loc))
        after = self._fetched(p.table, rows[0] if rows else None)
        self._after_action(p, fk.on_delete, "delete", child, loc, exc, {}, [after])

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
            raise _untestable(f"the referenced key cannot be changed: {self._state(exc)}", exc.sqlstate)
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

    def _probe_default(self, p: Promise) -> None:
        assert p.table and p.column
        info = self.rows.info(p.table)
        col = info.table.column(p.column)
        assert col is not None and col.default is not None
        values = self.rows.row(p.table, omit=[p.column])
        values.pop(p.column, None)
        row, exc = self._insert(p.table, values)
        if exc is not None or row is None:
            raise _untestable(f"a row relying on the default was rejected: {self._state(exc)}" if exc else "")
        got = row.get(p.column)
        if is_volatile_default(col.default):
            if got is None:
                raise _broken("the column was NULL, not the default")
            lowered = col.default.lower()
            if any(f in lowered for f in _DIFFERENT_EACH_ROW):
                values2 = self.rows.row(p.table, omit=[p.column])
                values2.pop(p.column, None)
                row2, exc = self._insert(p.table, values2)
                if row2 is not None and row2.get(p.column) == got:
                    raise _broken(f"two rows got the same value {got!r}")
            raise _kept()
        q = sql.SQL("SELECT CAST(({}) AS {})::text").format(_raw(col.default), _raw(info.types[p.column]))
        rows, exc = self._run(q, [])
        if exc is not None or not rows:
            raise _untestable(
                f"the default expression cannot be evaluated: {self._state(exc)}" if exc else ""
            )
        expected = rows[0][0]
        if got == expected:
            raise _kept()
        raise _broken(f"an omitted {p.column} became {got!r}; the document's default gives {expected!r}")

    def _probe_enum(self, p: Promise) -> None:
        assert p.enum
        enum = p.enum
        ident = sql.Identifier(enum.schema, enum.name)
        for label in enum.labels:
            q = sql.SQL("SELECT CAST({} AS {})::text").format(sql.Placeholder(), ident)
            _, exc = self._run(q, [label])
            if exc is not None:
                raise _broken(f"the label {label!r} is not accepted: {self._state(exc)}", exc.sqlstate)
        outsider = f"sd_not_a_label_{secrets.token_hex(4)}"
        q = sql.SQL("SELECT CAST({} AS {})").format(sql.Placeholder(), ident)
        _, exc = self._run(q, [outsider])
        if exc is None:
            raise _broken(f"the value {outsider!r} was accepted")
        if exc.sqlstate == "22P02":
            raise _kept(actual="22P02")
        raise _untestable(f"the outside value failed for another reason: {self._state(exc)}", exc.sqlstate)

    def _probe_view(self, p: Promise) -> None:
        assert p.view
        view = p.view
        q = sql.SQL("SELECT * FROM {} LIMIT 0").format(sql.Identifier(view.schema, view.name))
        self.rows.note(q)
        try:
            cur = self.rows.execute(q)
        except psycopg.Error as exc:
            raise _broken(f"selecting from the view failed: {self._state(exc)}", exc.sqlstate) from None
        got = [d.name for d in cur.description or ()]
        expected = list(view.columns) or view_columns(view.definition)
        if not expected:
            raise _kept(f"returns {', '.join(got)}")
        missing = [c for c in expected if c not in got]
        extra = [c for c in got if c not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"unexpected {', '.join(extra)}")
            raise _broken("the view's columns differ: " + "; ".join(parts))
        raise _kept()

    def _probe_trigger(self, p: Promise) -> None:
        assert p.trigger
        trig = p.trigger
        if p.table not in self.schema.tables:
            raise _untestable("triggers on views are not probed")
        if p.pattern == "updated_at":
            self._trigger_updated_at(p)
        elif p.pattern == "duration":
            self._trigger_duration(p)
        events = [e.split()[0].upper() for e in trig.events]
        for event in events:
            self._fire(p, event)
        raise _kept()

    def _fire(self, p: Promise, event: str) -> None:
        assert p.table and p.trigger
        table = p.table
        if event == "TRUNCATE":
            return  # TRUNCATE takes an exclusive lock on the table: never probed
        values = self.rows.row(table)
        row, exc = self._insert(table, values)
        if exc is not None or row is None:
            if event == "INSERT" and exc is not None:
                raise _broken(f"INSERT failed: {self._state(exc)}", exc.sqlstate)
            raise _untestable(f"no row to fire the trigger on: {self._state(exc)}" if exc else "no row")
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
            raise _broken(f"{event} failed: {self._state(exc)}", exc.sqlstate)

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
        raise _untestable("the table has no column an UPDATE could set")

    def _trigger_updated_at(self, p: Promise) -> None:
        assert p.table
        (col,) = p.pattern_columns
        values = self.rows.row(p.table, fixed={col: _OLD_TIMESTAMP})
        row, exc = self._insert(p.table, values)
        if exc is not None or row is None:
            raise _untestable(f"a row with an old {col} was rejected: {self._state(exc)}" if exc else "")
        old = row.get(col)
        where = self._where(p.table, row)
        other = self._some_column(p.table, p)
        q = sql.SQL("UPDATE {} SET {} = {} WHERE {} RETURNING {}::text").format(
            table_ident(p.table), sql.Identifier(other), sql.Identifier(other), where[0], sql.Identifier(col)
        )
        rows, exc = self._run(q, where[1])
        if exc is not None:
            raise _broken(f"the UPDATE failed: {self._state(exc)}", exc.sqlstate)
        if not rows:
            raise _untestable("the UPDATE found no row")
        new = rows[0][0]
        if new is None or new == old:
            raise _broken(f"after an UPDATE of {other}, {col} stayed {new!r}")

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
                raise _broken(
                    f"inserting a finished row failed: {self._state(exc)}" if exc else "",
                    getattr(exc, "sqlstate", None),
                )
            if not _same_duration(row.get(duration), expected):
                raise _broken(
                    f"on INSERT with {start} and {end} 90 s apart, {duration} became {row.get(duration)!r}"
                )
        if "UPDATE" in events:
            col_start, col_end = info.table.column(start), info.table.column(end)
            if col_start is None or col_end is None or not (col_start.nullable and col_end.nullable):
                return
            values = self.rows.row(p.table, fixed={start: None, end: None})
            row, exc = self._insert(p.table, values)
            if exc is not None or row is None:
                raise _untestable(
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
                raise _broken(f"the UPDATE failed: {self._state(exc)}", exc.sqlstate)
            got = rows[0][0] if rows else None
            if not _same_duration(got, expected):
                raise _broken(f"on UPDATE with {start} and {end} 90 s apart, {duration} became {got!r}")


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


# One probe per kind of promise.
_PROBES: dict[PromiseKind, Callable[[_Prober, Promise], None]] = {
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
