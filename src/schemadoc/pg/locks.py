"""One build of a database at a time, across processes: an advisory lock on the server.

Two ``up`` commands building the same database would both try to create it and build
into it (the loser failing on pg_database's unique index, or losing its connection when
the winner drops a database whose build failed). The builder holds a session advisory
lock named after the database, taken in the maintenance database, so the second waits
and then finds the database built.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors

from schemadoc.diagnostics import OTHER_BUILD_RUNNING, fail

__all__ = ["WAIT_FOR_OTHER_BUILD", "build_lock"]

# The first key of every lock schemadoc takes ("SD"); the second is hashtext(database name).
_LOCK_CLASS = 0x5344
WAIT_FOR_OTHER_BUILD = "30min"


@contextmanager
def build_lock(maintenance_url: str, dbname: str) -> Iterator[psycopg.Connection[Any]]:
    """Hold the lock for building ``dbname`` on the server of ``maintenance_url``; waits (up to
    :data:`WAIT_FOR_OTHER_BUILD`) while another process builds it. Yields the (autocommit)
    connection to the maintenance database that holds the lock."""
    from schemadoc.pg.connect import connect, redact

    with connect(maintenance_url, autocommit=True) as conn:
        got = conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (_LOCK_CLASS, dbname)).fetchone()
        if not (got and got[0]):
            conn.execute("SELECT set_config('statement_timeout', '0', false)")
            conn.execute("SELECT set_config('lock_timeout', %s, false)", (WAIT_FOR_OTHER_BUILD,))
            try:
                conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_CLASS, dbname))
            except errors.LockNotAvailable:
                raise fail(
                    OTHER_BUILD_RUNNING.code,
                    f"another schemadoc process is still building the database {dbname!r} on "
                    f"{redact(maintenance_url)} (waited {WAIT_FOR_OTHER_BUILD})",
                    hint="wait for it to finish and run again, or build into another database (--database NAME)",
                ) from None
        yield conn
        # closing the session releases the lock
