"""How a probe ends, and probes whose statements are sent ahead and judged later.

Most probes know every statement they will try before the first one runs: the rows
are built first, and what the probe concludes depends only on what each statement did.
Such a probe returns a :class:`Plan`: its statements, in segments, and a judge. The
statements are queued in the probe's savepoint (see :mod:`schemadoc.verify.channel`)
and travel with other probes' in one round trip; the judge reads the replies as the
probe would have read them one by one, and stops where it would have stopped. A
statement after a failed one in its segment never runs, as it would never have been
tried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import field
from typing import Any

import psycopg
from psycopg import sql

from schemadoc.model import QName
from schemadoc.records import record
from schemadoc.verify.channel import Reply
from schemadoc.verify.report import Cause, Outcome, failure_state
from schemadoc.verify.rows import Row

__all__ = ["Fallback", "Plan", "ProbeEnd", "Replies", "Step", "broken", "cause_of", "kept", "untestable"]


class ProbeEnd(Exception):
    """Raised inside a probe (or its judge) to end it with a result."""

    def __init__(
        self, outcome: Outcome, reason: str = "", actual: str | None = None, cause: Cause | None = None
    ) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.actual = actual
        self.cause = cause


class Fallback(Exception):
    """Raised by a judge whose plan rested on a guess the replies did not bear out (a key
    stored in another form than sent): the probe is run again, a statement at a time."""


def broken(reason: str, actual: str | None = None) -> ProbeEnd:
    return ProbeEnd("broken", reason, actual)


def untestable(reason: str, actual: str | None = None, *, failed: bool = False) -> ProbeEnd:
    """Untestable: by design, unless ``failed`` or the error's SQLSTATE says the attempt failed."""
    return ProbeEnd("untestable", reason, actual, cause_of(actual, failed))


def cause_of(sqlstate: str | None, failed: bool = False) -> Cause:
    return "failure" if failed or failure_state(sqlstate) else "design"


def kept(reason: str = "", actual: str | None = None) -> ProbeEnd:
    return ProbeEnd("kept", reason, actual)


@record
class Step:
    """One statement of a plan; ``noted`` ones are shown as tried (savepoint commands are not)."""

    query: sql.Composed | bytes
    params: Sequence[Any] | None = ()
    noted: bool = True


@record(frozen=False)
class Plan:
    """A probe's statements in segments (an error skips the rest of its segment only) and the
    judge of their replies, which ends the probe by raising :class:`ProbeEnd`."""

    segments: list[list[Step]]
    judge: Callable[[Replies], None]
    steps: list[Step] = field(init=False)

    def __post_init__(self) -> None:
        self.steps = [s for segment in self.segments for s in segment]


class Replies:
    """The replies to a plan's statements, numbered across its segments; remembers the last
    one the judge read, which is how far the probe got."""

    def __init__(self, replies: list[Reply], fetched: Callable[[QName, tuple[Any, ...] | None], Row | None]):
        self._replies = replies
        self._fetched = fetched
        self.reached = -1

    def reply(self, i: int) -> Reply:
        reply = self._replies[i]
        if not reply.ran:
            raise AssertionError(f"the judge read statement {i}, which did not run")
        self.reached = max(self.reached, i)
        return reply

    def error(self, i: int) -> psycopg.Error | None:
        return self.reply(i).error

    def run(self, i: int) -> tuple[list[tuple[Any, ...]] | None, psycopg.Error | None]:
        """The rows of statement ``i``, or its error."""
        reply = self.reply(i)
        if reply.error is not None:
            return None, reply.error
        return (reply.fetchall() if reply.description else []), None

    def inserted(self, i: int, table: QName) -> tuple[Row | None, psycopg.Error | None]:
        """The row an INSERT ... RETURNING of :meth:`RowFactory.insert_step
        <schemadoc.verify.rows.RowFactory.insert_step>` stored, or its error."""
        reply = self.reply(i)
        if reply.error is not None:
            return None, reply.error
        return self._fetched(table, reply.fetchone()), None
