"""How many statements of a build one transaction can hold on a given server.

PostgreSQL keeps the locks of every transaction in one shared table sized by
``max_locks_per_transaction`` x (``max_connections`` + ``max_prepared_transactions``)
objects. A transaction holds each lock it takes until it ends, and creating a table
locks the table, its TOAST table and index, its sequences and its indexes; a document
of a few thousand tables outgrows a stock server (``out of shared memory``, SQLSTATE
53200). A database the build made itself can be built in batches, each its own
transaction, because a failed build drops it; an existing database is only ever built
in one transaction, so the build checks beforehand that the document fits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from schemadoc.diagnostics import LOCK_TABLE_TOO_SMALL, fail
from schemadoc.records import record

__all__ = ["LockTable", "estimated_locks", "lock_batches", "lock_table", "require_one_transaction"]

# Locked objects one statement of each kind holds until its transaction ends, on the generous
# side (a CREATE TABLE with an identity primary key and a text column holds about 7: the table,
# its TOAST table and index, the key's index, the sequence, the row type and the namespace).
_LOCKS_BY_KIND: dict[str, int] = {
    "table": 12,
    "index": 2,
    "constraint": 3,
    "sequence": 3,
    "view": 4,
    "trigger": 3,
    "comment": 1,
    "grant": 1,
    "rls": 1,
    "policy": 2,
    "schema": 1,
    "role": 1,
    "type": 3,
    "function": 2,
    # an extension creates many objects at once
    "extension": 64,
}
_OTHER_KIND_LOCKS = 4
# A batch uses at most this share of the lock table: other sessions on the server need theirs.
_BATCH_SHARE = 2  # one half


S = TypeVar("S")


@record
class LockTable:
    """The server's shared lock table: ``per_transaction`` (max_locks_per_transaction) slots for
    each of ``holders`` (max_connections + max_prepared_transactions) sessions."""

    per_transaction: int
    holders: int

    @property
    def size(self) -> int:
        return self.per_transaction * self.holders

    @property
    def batch_budget(self) -> int:
        """Locks one batch of a batched build may take."""
        return max(1, self.size // _BATCH_SHARE)

    def setting_for(self, locks: int) -> int:
        """The smallest max_locks_per_transaction (a multiple of 64) whose table holds ``locks``."""
        needed = -(-locks // self.holders)
        return max(self.per_transaction, -(-needed // 64) * 64)


def lock_table(conn: Any) -> LockTable:
    """The lock table of the server ``conn`` is connected to."""
    row = conn.execute(
        "SELECT current_setting('max_locks_per_transaction')::int,"
        " current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int"
    ).fetchone()
    return LockTable(int(row[0]), max(1, int(row[1])))


def estimated_locks(statement: object) -> int:
    """Locked objects ``statement`` is expected to hold until its transaction ends (by its
    ``kind``, see :class:`schemadoc.write.statement.Statement`; a statement without one counts
    as an other kind)."""
    kind = getattr(statement, "kind", None)
    return _LOCKS_BY_KIND.get(kind, _OTHER_KIND_LOCKS) if isinstance(kind, str) else _OTHER_KIND_LOCKS


def lock_batches(statements: Sequence[S], budget: int) -> Iterator[Sequence[S]]:
    """``statements`` in order, cut into runs whose estimated locks stay within ``budget``
    (a single statement above the budget is a run of its own)."""
    start, used = 0, 0
    for index, statement in enumerate(statements):
        cost = estimated_locks(statement)
        if used and used + cost > budget:
            yield statements[start:index]
            start, used = index, 0
        used += cost
    if start < len(statements):
        yield statements[start:]


def require_one_transaction(statements: Sequence[object], table: LockTable, dbname: str) -> None:
    """Fail before anything runs when ``statements`` would not fit in one transaction."""
    locks = sum(estimated_locks(s) for s in statements)
    if locks <= table.size:
        return
    raise fail(
        LOCK_TABLE_TOO_SMALL.code,
        f"building the document in the existing database {dbname} takes about {locks} locks in one "
        f"transaction, more than the server's lock table holds ({table.per_transaction} "
        f"max_locks_per_transaction x {table.holders} connections); nothing was applied",
        hint=f"raise max_locks_per_transaction to {table.setting_for(locks)} (ALTER SYSTEM SET "
        "max_locks_per_transaction = ...; then restart the server), or let `up` create a new database "
        "(--database NAME), which it builds in batches",
    )
