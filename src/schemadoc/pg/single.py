"""Statements go to the server one per message, with the extended query protocol.

psycopg sends a query without parameters with the simple query protocol, and the
simple protocol runs every statement the text holds. SQL built from a document
must never get that chance: the extended protocol (one Parse message per
statement) makes the server itself refuse text that holds a second command
(``cannot insert multiple commands into a prepared statement``). Pipeline mode
always uses the extended protocol, for any kind of cursor, and several
statements can travel in one round trip each as its own command.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import sql

__all__ = ["Query", "execute_each"]

Query = sql.SQL | sql.Composed | bytes | str
C = TypeVar("C", bound=psycopg.Cursor[Any])


def execute_each(
    cursor: C,
    queries: Sequence[tuple[Query, Sequence[Any] | None]],
    pipeline: psycopg.Pipeline | None = None,
) -> C:
    """Run ``queries`` in order, each as one extended-protocol command, in one round trip.

    The server stops at the first error (the rest are skipped) and psycopg raises it.
    The cursor holds the result of the last query. With ``pipeline`` (an open pipeline
    of the cursor's connection, kept for many calls: entering one costs more than a
    round trip) the queries are followed by a sync; otherwise a pipeline is opened
    for them alone.
    """
    if pipeline is not None:
        try:
            for query, params in queries:
                cursor.execute(query, params)
        except psycopg.Error:
            # psycopg may read an earlier command's error while it sends a later one (when the
            # results arrive early): the pipeline is then aborted until a sync, which must still
            # go out, or every later call on this pipeline fails with "pipeline aborted"
            with contextlib.suppress(psycopg.Error):
                pipeline.sync()
            raise
        pipeline.sync()
        return cursor
    with cursor.connection.pipeline():
        for query, params in queries:
            cursor.execute(query, params)
    return cursor
