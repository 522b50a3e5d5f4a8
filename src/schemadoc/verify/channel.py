"""The statements of a probe transaction, on their way to the server.

Statements without results to wait for (savepoint commands, session settings) are
*pending*: they travel in front of the next statement that is sent. Statements whose
results can wait (a probe judged later, see :mod:`schemadoc.verify.probes`) are
*queued*, a segment at a time: each segment is the pending commands and the queued
statements, ended by a Sync, so an error in one segment leaves the next ones to run.
A queued segment goes out at once and the server runs it while the client prepares
the next; its replies are read with the next statement that must be answered at once,
or at :meth:`Channel.flush`: many probes in one round trip.

Every statement is its own extended-protocol command (the server refuses text that
holds a second one), with its values bound on the client side, each inside a CAST to
its type.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from schemadoc.pg.bind import Binder
from schemadoc.pg.single import execute_each
from schemadoc.pg.wire import Column, Pipe, Reply
from schemadoc.records import record

__all__ = ["Channel", "Queued", "Reply"]

Statement = sql.Composable | bytes


@record(frozen=False)
class Queued:
    """Statements sent in one segment: their replies, once they have been read.

    ``error`` is the error of a command that went before them in the segment (a savepoint
    command): then none of them ran.
    """

    count: int = 0
    replies: list[Reply] | None = None
    error: psycopg.Error | None = None


class Channel:
    """Sends the statements of one connection's transactions (see the module's docstring).

    Without a :class:`~schemadoc.pg.wire.Pipe` (see :meth:`begin`) each statement is sent
    through psycopg, in a pipeline of its own, and nothing can be queued: for a caller that
    owns the transaction.
    """

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.cursor = psycopg.ClientCursor(conn)
        self._binder = Binder(conn)
        self.begin()

    def begin(self, setup: Sequence[bytes] = (), pipe: Pipe | None = None) -> None:
        """Start afresh: ``setup`` goes out before the next statement; with ``pipe`` the
        connection is in pipeline mode inside a transaction, and queued segments go out at once."""
        self.pipe = pipe
        self.pending: list[bytes] = list(setup)
        self._sent: deque[Queued] = deque()  # segments whose replies were not read yet

    def render(self, query: Statement, params: Sequence[Any] | None) -> bytes:
        """The statement as sent: values bound, ``%`` placeholders resolved (when there are values)."""
        text = query if isinstance(query, bytes) else query.as_bytes(self.conn)
        return text if params is None else self._binder.bind(text, params)

    def execute(
        self,
        query: Statement,
        params: Sequence[Any] | None = None,
        then: tuple[Statement, Sequence[Any] | None] | None = None,
    ) -> Reply:
        """Run one statement after the pending ones, and wait for it (and all queued before it).

        The first error among the pending commands, the statement and ``then`` (which runs
        only when the statement succeeded) is raised; else the reply of the last of them.
        """
        steps = [self.render(query, params)]
        if then is not None:
            steps.append(self.render(*then))
        if self.pipe is None:
            queries: list[tuple[bytes, None]] = [(q, None) for q in [*self.pending, *steps]]
            self.pending.clear()
            found = execute_each(self.cursor, queries)
            rows = found.fetchall() if found.description else []
            description = [Column(d.name) for d in found.description] if found.description else None
            return Reply(rows, description)
        own = self.queue(steps)
        self.flush()
        assert own.replies is not None
        if own.error is not None:
            raise own.error
        for reply in own.replies:
            if reply.error is not None:
                raise reply.error
        return own.replies[-1]

    def queue(self, statements: Sequence[bytes]) -> Queued:
        """Send ``statements`` as one segment (after the pending commands) without waiting:
        their replies are read at the next statement that waits, or at :meth:`flush`."""
        if self.pipe is None:
            raise RuntimeError("statements can be queued only on a connection in pipeline mode")
        handle = Queued(len(statements))
        segment = [*self.pending, *statements]
        self.pending = []
        self._sent.append(handle)
        try:
            self.pipe.send(segment)
        except BaseException as exc:
            self._lose(exc)
            raise
        return handle

    def flush(self) -> None:
        """Read the replies to every segment sent."""
        while self._sent:
            assert self.pipe is not None
            try:
                got = self.pipe.receive()
            except BaseException as exc:
                self._lose(exc)
                raise
            handle = self._sent.popleft()
            lead = len(got) - handle.count
            handle.replies = got[lead:]
            handle.error = next((r.error for r in got[:lead] if r.error is not None), None)

    def _lose(self, exc: BaseException) -> None:
        """The replies not read yet are lost with the connection's trouble: each waiting
        segment gets it as its error."""
        lost = (
            exc
            if isinstance(exc, psycopg.Error)
            else psycopg.OperationalError(str(exc) or type(exc).__name__)
        )
        while self._sent:
            handle = self._sent.popleft()
            handle.replies = [Reply(ran=False) for _ in range(handle.count)]
            handle.error = lost
