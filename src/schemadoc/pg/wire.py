"""Many statements in one round trip, each group of them with its own fate.

psycopg's pipeline reads the results of everything sent before a sync at once and
raises the first error it meets; later errors of the same exchange are lost. Probes
need more: the statements of many probes sent together, each probe's statements in a
*segment* of their own, ended by a Sync message, so an error stops the rest of its
segment only, and every statement's result or error is kept for whoever sent it.

This module talks to libpq's pipeline mode directly (``psycopg.pq``), on a connection
that psycopg has inside a transaction and that nothing else uses meanwhile. Every
statement is its own extended-protocol command, so text that holds a second statement
is refused by the server, as in :mod:`schemadoc.pg.single`. Everything sent is read
back before :func:`exchange` returns, so psycopg finds the connection as it left it.
"""

from __future__ import annotations

import selectors
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import abc, errors, pq
from psycopg.adapt import Transformer

__all__ = ["Reply", "exchange", "pipeline_mode"]

_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_FATAL = pq.ExecStatus.FATAL_ERROR
_ABORTED = pq.ExecStatus.PIPELINE_ABORTED
_SYNC = pq.ExecStatus.PIPELINE_SYNC


@dataclass(slots=True)
class Column:
    """A result column, as far as callers look at one (psycopg's cursors describe theirs alike)."""

    name: str


@dataclass(slots=True)
class Reply:
    """What one statement did: its rows, or its error, or nothing when it did not run
    (an earlier statement of its segment failed)."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    description: list[Column] | None = None  # None: the statement returns no rows
    error: psycopg.Error | None = None
    ran: bool = True

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self.rows)


@contextmanager
def pipeline_mode(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Keep the connection in libpq's pipeline mode for :func:`exchange` (psycopg must not send
    anything on it meanwhile); the connection must be idle, as it is again on the way out."""
    pgconn = conn.pgconn
    pgconn.enter_pipeline_mode()
    try:
        yield
    finally:
        if pgconn.status == pq.ConnStatus.OK:
            pgconn.exit_pipeline_mode()


def exchange(
    conn: psycopg.Connection[Any], segments: Sequence[Sequence[bytes]], tx: abc.Transformer | None = None
) -> list[list[Reply]]:
    """Send every statement of ``segments`` (a Sync after each segment) in one round trip;
    return their replies, segment by segment. The connection must be in :func:`pipeline_mode`.

    An error stops its own segment: the statements after it in that segment get a reply
    that did not run, and the next segment runs as usual (inside a transaction it starts
    in the aborted state; rolling back to a savepoint repairs it). Errors are returned,
    never raised; a lost connection raises.
    """
    pgconn = conn.pgconn
    if tx is None:
        tx = Transformer.from_context(conn)
    encoding = conn.info.encoding
    sent = 0
    replies: list[list[Reply]] = []
    try:
        for segment in segments:
            for statement in segment:
                pgconn.send_query_params(statement, None)
            pgconn.pipeline_sync()
            sent += 1
        with selectors.DefaultSelector() as selector:
            _flush(pgconn, selector)
            for segment in segments:
                replies.append(_read_segment(pgconn, selector, len(segment), tx, encoding))
                sent -= 1
    except BaseException:
        _drain(conn, sent)
        raise
    return replies


def _flush(pgconn: pq.abc.PGconn, selector: selectors.BaseSelector) -> None:
    """Send what libpq holds, reading meanwhile so neither side waits on a full buffer."""
    selector.register(pgconn.socket, selectors.EVENT_READ | selectors.EVENT_WRITE)
    try:
        while pgconn.flush():
            for _, events in selector.select():
                if events & selectors.EVENT_READ:
                    pgconn.consume_input()
    finally:
        selector.unregister(pgconn.socket)


def _next_result(pgconn: pq.abc.PGconn, selector: selectors.BaseSelector) -> pq.abc.PGresult | None:
    if pgconn.is_busy():
        selector.register(pgconn.socket, selectors.EVENT_READ)
        try:
            while pgconn.is_busy():
                selector.select()
                pgconn.consume_input()
        finally:
            selector.unregister(pgconn.socket)
    return pgconn.get_result()


def _read_segment(
    pgconn: pq.abc.PGconn, selector: selectors.BaseSelector, count: int, tx: abc.Transformer, encoding: str
) -> list[Reply]:
    out: list[Reply] = []
    for _ in range(count):
        reply = Reply()
        while (result := _next_result(pgconn, selector)) is not None:
            status = result.status
            if status == _FATAL:
                reply.error = errors.error_from_result(result, encoding=encoding)
            elif status == _ABORTED:
                reply.ran = False
            elif status == _TUPLES_OK:
                tx.set_pgresult(result)
                reply.rows = tx.load_rows(0, result.ntuples, tuple)
                reply.description = [
                    Column((result.fname(i) or b"").decode(encoding)) for i in range(result.nfields)
                ]
        out.append(reply)
    result = _next_result(pgconn, selector)
    if result is None or result.status != _SYNC:
        raise psycopg.OperationalError("the server's replies lost step with the statements sent")
    return out


def _drain(conn: psycopg.Connection[Any], syncs: int) -> None:
    """After an interruption, cancel what runs and read up to the last Sync sent, so the
    connection can still be rolled back; if that fails too, close it."""
    pgconn = conn.pgconn
    if syncs <= 0 or pgconn.status != pq.ConnStatus.OK:
        return
    try:
        conn.cancel_safe(timeout=5)
        with selectors.DefaultSelector() as selector:
            _flush(pgconn, selector)
            while syncs:
                result = _next_result(pgconn, selector)
                if result is not None and result.status == _SYNC:
                    syncs -= 1
    except BaseException:
        conn.close()
