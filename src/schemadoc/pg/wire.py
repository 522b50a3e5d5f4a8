"""Many statements in one round trip, each segment of them with its own fate.

psycopg's pipeline reads the results of everything sent before a sync at once and
raises the first error it meets; later errors of the same exchange are lost. Probes
need more: the statements of many probes sent together, each probe's statements in a
*segment* of their own, ended by a Sync message, so an error stops the rest of its
segment only, and every statement's result or error is kept for whoever sent it.

This module talks to libpq's pipeline mode directly (``psycopg.pq``), on a connection
that psycopg has inside a transaction and that nothing else uses meanwhile. Every
statement is its own extended-protocol command, so text that holds a second statement
is refused by the server, as in :mod:`schemadoc.pg.single`. Everything sent is read
back before a :class:`Pipe` is left, so psycopg finds the connection as it left it.
"""

from __future__ import annotations

import selectors
from collections import deque
from collections.abc import Sequence
from dataclasses import field
from typing import Any

import psycopg
from psycopg import errors, pq
from psycopg.adapt import Transformer

from schemadoc.records import record

__all__ = ["Column", "Pipe", "Reply"]

_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_FATAL = pq.ExecStatus.FATAL_ERROR
_ABORTED = pq.ExecStatus.PIPELINE_ABORTED
_SYNC = pq.ExecStatus.PIPELINE_SYNC


@record(frozen=False)
class Column:
    """A result column, as far as callers look at one (psycopg's cursors describe theirs alike)."""

    name: str


@record(frozen=False)
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


class Pipe:
    """A connection in libpq's pipeline mode, inside a transaction psycopg opened: segments
    go out as soon as they are sent (a Sync after each), and their replies are read later,
    oldest first, so the server runs them while the client prepares the next ones.

    Use it as a context manager: psycopg must not send anything on the connection
    meanwhile, and on the way out every reply has been read and the connection is idle.
    """

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self._pgconn = conn.pgconn
        self._tx = Transformer.from_context(conn)
        self._encoding = conn.info.encoding
        self._sizes: deque[int] = deque()  # statements in each segment sent and not yet read
        self._selector: selectors.BaseSelector | None = None

    def __enter__(self) -> Pipe:
        self._pgconn.enter_pipeline_mode()
        self._selector = selectors.DefaultSelector()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._sizes:
                self._drain()
        finally:
            assert self._selector is not None
            self._selector.close()
            if self._pgconn.status == pq.ConnStatus.OK:
                self._pgconn.exit_pipeline_mode()

    @property
    def in_flight(self) -> int:
        """Segments sent whose replies have not been read."""
        return len(self._sizes)

    def send(self, segment: Sequence[bytes]) -> None:
        """Send the statements of one segment and a Sync; every statement is its own
        extended-protocol command. An error stops its own segment: the statements after it
        get a reply that did not run, and the next segment runs as usual (inside a
        transaction it starts in the aborted state; rolling back to a savepoint repairs it)."""
        try:
            for statement in segment:
                self._pgconn.send_query_params(statement, None)
            self._pgconn.pipeline_sync()
            self._sizes.append(len(segment))
            self._flush()
        except BaseException:
            self._drain()
            raise

    def receive(self) -> list[Reply]:
        """The replies to the oldest segment not read yet (waiting for them). Errors are
        returned, never raised; a lost connection raises."""
        try:
            got = self._read_segment(self._sizes[0])
        except BaseException:
            self._drain()
            raise
        self._sizes.popleft()
        return got

    def _flush(self) -> None:
        """Send what libpq holds, reading meanwhile so neither side waits on a full buffer."""
        if not self._pgconn.flush():
            return
        selector = self._selector
        assert selector is not None
        selector.register(self._pgconn.socket, selectors.EVENT_READ | selectors.EVENT_WRITE)
        try:
            while self._pgconn.flush():
                for _, events in selector.select():
                    if events & selectors.EVENT_READ:
                        self._pgconn.consume_input()
        finally:
            selector.unregister(self._pgconn.socket)

    def _next_result(self) -> pq.abc.PGresult | None:
        pgconn = self._pgconn
        if pgconn.is_busy():
            selector = self._selector
            assert selector is not None
            selector.register(pgconn.socket, selectors.EVENT_READ)
            try:
                while pgconn.is_busy():
                    selector.select()
                    pgconn.consume_input()
            finally:
                selector.unregister(pgconn.socket)
        return pgconn.get_result()

    def _read_segment(self, count: int) -> list[Reply]:
        out: list[Reply] = []
        for _ in range(count):
            reply = Reply()
            while (result := self._next_result()) is not None:
                status = result.status
                if status == _FATAL:
                    reply.error = errors.error_from_result(result, encoding=self._encoding)
                elif status == _ABORTED:
                    reply.ran = False
                elif status == _TUPLES_OK:
                    self._tx.set_pgresult(result)
                    reply.rows = self._tx.load_rows(0, result.ntuples, tuple)
                    reply.description = [
                        Column((result.fname(i) or b"").decode(self._encoding)) for i in range(result.nfields)
                    ]
            out.append(reply)
        result = self._next_result()
        if result is None or result.status != _SYNC:
            raise psycopg.OperationalError("the server's replies lost step with the statements sent")
        return out

    def _drain(self) -> None:
        """After an interruption, cancel what runs and read up to the last Sync sent, so the
        connection can still be rolled back; if that fails too, close it."""
        syncs = len(self._sizes)
        self._sizes.clear()
        if syncs <= 0 or self._pgconn.status != pq.ConnStatus.OK:
            return
        try:
            self.conn.cancel_safe(timeout=5)
            self._flush()
            while syncs:
                result = self._next_result()
                if result is not None and result.status == _SYNC:
                    syncs -= 1
        except BaseException:
            self.conn.close()
