"""Run DDL on a server (all or nothing, or in batches for a database made for it) and list what a
database already holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import psycopg

from schemadoc.diagnostics import fail
from schemadoc.model import Span

__all__ = ["Statement", "apply_statements", "database_objects"]

_SHOWN_SQL = 100  # characters of a failing statement quoted in the message


class Statement(Protocol):
    """What :func:`apply_statements` needs of a statement: its SQL and where the document wrote it."""

    @property
    def sql(self) -> str: ...

    @property
    def span(self) -> Span | None: ...


@runtime_checkable
class _Located(Protocol):
    """A statement that knows which document line wrote each part of its SQL."""

    def span_at(self, position: int) -> Span | None: ...

    def text_at(self, position: int) -> str: ...


def _error_place(statement: Statement, error: psycopg.Error) -> tuple[Span | None, str]:
    """The document span and the SQL of the part of ``statement`` where PostgreSQL places
    ``error`` (its 1-based ``statement_position``); the whole statement's when it names none."""
    position = error.diag.statement_position
    if position and position.isdigit() and isinstance(statement, _Located):
        return statement.span_at(int(position)), statement.text_at(int(position))
    return statement.span, statement.sql


def _sql_excerpt(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= _SHOWN_SQL else one_line[: _SHOWN_SQL - 3] + "..."


def apply_statements(
    conn: psycopg.Connection[Any],
    statements: Sequence[Statement],
    *,
    progress: Callable[[int, int], None] | None = None,
    lock_budget: int | None = None,
) -> None:
    """Execute ``statements`` in one transaction; on the first failure roll back and ``fail()``.

    The error names the document span of the failing statement (of the column or
    constraint that wrote the SQL where PostgreSQL places the error), the SQLSTATE
    and the server's message, detail and hint; nothing of the earlier
    statements remains. On a connection that is already inside a transaction
    the statements run in a savepoint and the caller commits.

    With ``lock_budget`` (only for a database the caller drops when the build fails) the
    statements run in batches whose estimated locks stay within it, each batch its own
    transaction: whatever the connection had open is committed first, and on a failure the
    batches before the failing one stay committed.

    Each statement goes out on its own with the extended query protocol, so text
    that holds a second command is refused by the server, never run. ``progress``
    is called with (statements done, total) after each one.
    """
    if lock_budget is None:
        _apply_batch(conn, statements, 0, len(statements), progress, _ONE_TRANSACTION)
        return
    from schemadoc.pg.lock_budget import lock_batches

    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.commit()
    done = 0
    for batch in lock_batches(statements, lock_budget):
        _apply_batch(conn, batch, done, len(statements), progress, _IN_BATCHES)
        done += len(batch)


_ONE_TRANSACTION = "nothing was applied; the transaction was rolled back"
_IN_BATCHES = (
    "the database was built in batches; the failing batch was rolled back and the database is dropped"
)


def _apply_batch(
    conn: psycopg.Connection[Any],
    statements: Sequence[Statement],
    offset: int,
    total: int,
    progress: Callable[[int, int], None] | None,
    undone: str,
) -> None:
    """Run ``statements`` (numbers ``offset`` + 1 ... of ``total``) in one transaction.

    They go out in segments of :data:`_SEGMENT` statements through libpq's pipeline mode
    (:class:`~schemadoc.pg.wire.Pipe`), each statement its own extended-protocol command, with
    one more segment sent before the replies to the last are read: the server runs DDL while the
    client sends the next, instead of one round trip per statement. The replies say which
    statement failed first; whatever the server skipped after it is rolled back with the rest."""
    from schemadoc.pg.wire import Pipe

    failed: tuple[int, Statement, psycopg.Error] | None = None
    encoding = conn.info.encoding
    segments = [statements[i : i + _SEGMENT] for i in range(0, len(statements), _SEGMENT)]
    try:
        with conn.transaction():
            with Pipe(conn) as pipe:
                sent = 0  # segments sent
                for index, segment in enumerate(segments):
                    while sent < len(segments) and sent <= index + _AHEAD:
                        pipe.send([s.sql.encode(encoding) for s in segments[sent]])
                        sent += 1
                    replies = pipe.receive()
                    first = index * _SEGMENT
                    bad = next((i for i, r in enumerate(replies) if r.error is not None), None)
                    if bad is not None:
                        error = replies[bad].error
                        assert error is not None
                        failed = (offset + first + bad + 1, segment[bad], error)
                        break
                    if progress is not None:
                        for number in range(offset + first + 1, offset + first + len(segment) + 1):
                            progress(number, total)
            if failed is not None:
                raise failed[2]
    except psycopg.Error as exc:
        if failed is None:  # the COMMIT itself failed (e.g. a deferred constraint)
            raise fail(
                "SD521",
                f"the DDL could not be committed: {_server_message(exc)}",
                hint=exc.diag.message_hint or undone,
            ) from None
        number, statement, error = failed
        diag = error.diag
        span, text = _error_place(statement, error)
        where = "" if span else f" (statement {number})"
        message = f"PostgreSQL rejected{where}: {_server_message(error)} in `{_sql_excerpt(text)}`"
        hints = [h for h in (diag.message_detail, diag.message_hint) if h]
        hints.append(undone)
        raise fail("SD520", message, span=span, hint="; ".join(hints)) from None


# Statements sent in one segment (one Sync), and segments sent ahead of the replies being read.
_SEGMENT = 32
_AHEAD = 1


def _server_message(exc: psycopg.Error) -> str:
    primary = exc.diag.message_primary or (str(exc).splitlines() or ["unknown error"])[0]
    state = exc.sqlstate or "?????"
    return f"{primary} [SQLSTATE {state}]"


_OBJECTS_QUERY = """
WITH user_ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
),
ext_members AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
),
internal AS (
    SELECT classid, objid FROM pg_depend WHERE deptype IN ('i', 'a')
      AND refclassid IN ('pg_class'::regclass, 'pg_type'::regclass)
      AND NOT (refclassid = classid AND refobjid = objid)  -- a partition key on its own table
)
SELECT 'schema ' || quote_ident(n.nspname)
FROM user_ns n
WHERE n.nspname <> 'public'
  AND NOT EXISTS (SELECT 1 FROM ext_members e
                  WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid)
UNION ALL
SELECT CASE c.relkind
         WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'v' THEN 'view '
         WHEN 'm' THEN 'materialized view ' WHEN 'S' THEN 'sequence ' WHEN 'f' THEN 'foreign table '
       END || c.oid::regclass::text
FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
  AND NOT EXISTS (SELECT 1 FROM internal i WHERE i.classid = 'pg_class'::regclass AND i.objid = c.oid)
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate ' ELSE 'function ' END
       || p.oid::regprocedure::text
FROM pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
WHERE NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
UNION ALL
SELECT 'type ' || t.oid::regtype::text
FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
LEFT JOIN pg_class c ON c.oid = t.typrelid
WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r', 'm')
  AND (t.typrelid = 0 OR c.relkind = 'c')
  AND NOT EXISTS (SELECT 1 FROM ext_members e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
  AND NOT EXISTS (SELECT 1 FROM internal i WHERE i.classid = 'pg_type'::regclass AND i.objid = t.oid)
ORDER BY 1
"""


def database_objects(conn: psycopg.Connection[Any]) -> list[str]:
    """User objects in the connected database, e.g. ``table public.users``, sorted.

    Tables, views, sequences, functions, types and schemas other than ``public``;
    objects of extensions and PostgreSQL's own schemas are left out, and so are
    objects that only exist as part of another (array types, row types, owned
    sequences of identity and serial columns).
    """
    rows = conn.execute(_OBJECTS_QUERY).fetchall()
    return [str(row[0]) for row in rows]
