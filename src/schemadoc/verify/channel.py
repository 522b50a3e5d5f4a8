"""The statements of a probe transaction, on their way to the server.

Statements without results to wait for (savepoint commands, session settings) are
*pending*: they travel in front of the next statement that is sent. Statements whose
results can wait (a probe judged later, see :mod:`schemadoc.verify.probes`) are
*queued*, a segment at a time: each segment is the pending commands and the queued
statements, ended by a Sync, so an error in one segment leaves the next ones to run.
Whatever is queued goes out with the next statement that must be answered at once,
or at :meth:`Channel.flush`: many probes in one round trip.

Every statement is its own extended-protocol command (the server refuses text that
holds a second one), with its values bound on the client side, each inside a CAST to
its type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.adapt import Transformer

from schemadoc.pg.single import execute_each
from schemadoc.pg.wire import Column, Reply, exchange

__all__ = ["Channel", "Queued", "Reply"]

Statement = sql.Composable | bytes


@dataclass(slots=True)
class Queued:
    """Statements sent in one segment: their replies, once the segment has been sent.

    ``error`` is the error of a command that went before them in the segment (a savepoint
    command): then none of them ran.
    """

    count: int = 0
    replies: list[Reply] | None = None
    error: psycopg.Error | None = None


class Channel:
    """Sends the statements of one connection's transactions (see the module's docstring).

    Without ``wire`` (see :meth:`begin`) each statement is sent through psycopg, in a
    pipeline of its own, and nothing can be queued: for a caller that owns the transaction.
    """

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.cursor = psycopg.ClientCursor(conn)
        self._tx = Transformer.from_context(conn)
        self.begin()

    def begin(self, setup: Sequence[bytes] = (), *, wire: bool = False) -> None:
        """Start afresh: ``setup`` goes out before the next statement; with ``wire`` the
        connection is in :func:`schemadoc.pg.wire.pipeline_mode` inside a transaction."""
        self.wire = wire
        self.pending: list[bytes] = list(setup)
        self._segments: list[tuple[list[bytes], Queued]] = []
        self._encoding = self.conn.info.encoding

    def render(self, query: Statement, params: Sequence[Any] | None) -> bytes:
        """The statement as sent: values bound, ``%`` placeholders resolved (when there are values)."""
        if params is None:
            return query if isinstance(query, bytes) else query.as_bytes(self.conn)
        assert isinstance(query, bytes | sql.SQL | sql.Composed)
        return self.cursor.mogrify(query, params).encode(self._encoding)

    def execute(
        self,
        query: Statement,
        params: Sequence[Any] | None = None,
        then: tuple[Statement, Sequence[Any] | None] | None = None,
    ) -> Reply:
        """Run one statement after the pending ones, in one round trip with whatever is queued.

        The first error among the pending commands, the statement and ``then`` (which runs
        only when the statement succeeded) is raised; else the reply of the last of them.
        """
        steps = [self.render(query, params)]
        if then is not None:
            steps.append(self.render(*then))
        if not self.wire:
            queries: list[tuple[bytes, None]] = [(q, None) for q in [*self.pending, *steps]]
            self.pending.clear()
            found = execute_each(self.cursor, queries)
            rows = found.fetchall() if found.description else []
            description = [Column(d.name) for d in found.description] if found.description else None
            return Reply(rows, description)
        own = Queued()
        self._close_segment(steps, own)
        self.flush()
        assert own.replies is not None
        if own.error is not None:
            raise own.error
        for reply in own.replies:
            if reply.error is not None:
                raise reply.error
        return own.replies[-1]

    def queue(self, statements: Sequence[bytes]) -> Queued:
        """Queue ``statements`` as one segment (after the pending commands); their replies
        arrive with the next round trip."""
        if not self.wire:
            raise RuntimeError("statements can be queued only on a connection in pipeline mode")
        handle = Queued()
        self._close_segment(list(statements), handle)
        return handle

    def flush(self) -> None:
        """Send every queued segment, in one round trip (none when nothing is queued)."""
        if not self._segments:
            return
        segments, self._segments = self._segments, []
        replies = exchange(self.conn, [s for s, _ in segments], self._tx)
        for (_, handle), got in zip(segments, replies, strict=True):
            lead = len(got) - handle.count
            handle.replies = got[lead:]
            handle.error = next((r.error for r in got[:lead] if r.error is not None), None)

    def _close_segment(self, statements: list[bytes], handle: Queued) -> None:
        lead = self.pending
        self.pending = []
        handle.count = len(statements)
        self._segments.append(([*lead, *statements], handle))
