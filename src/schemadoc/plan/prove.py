"""Proof: a plan is applied to a scratch copy of the live schema (schema only, on the same server)
and the copy is compared with the document's build again. What is still different, beyond the
changes the plan left out, is a schemadoc bug."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from schemadoc.compare.access import CreateRole
from schemadoc.compare.changes import Change
from schemadoc.model import Schema
from schemadoc.pg.connect import connect
from schemadoc.pg.single import execute_each
from schemadoc.plan.catalog import read_schema, server_roles
from schemadoc.plan.model import PlannedStep, ProofFailure

# what proving needs of the comparison: the changes from ``actual`` to ``expected``
Compare = Callable[[Schema, Schema], list[Change]]


def prove(
    maintenance_url: str,
    live: Schema,
    expected: Schema,
    steps: Sequence[PlannedStep],
    left_out: Sequence[Change],
    compare: Compare,
) -> ProofFailure | None:
    """Build ``live`` (the live database as introspected) in a scratch database, run ``steps``
    there as ``apply`` would (each transactional step in a transaction of its own, the others
    outside one), read it back and compare it with ``expected``. None when nothing but
    ``left_out`` remains. The scratch database is dropped in every case."""
    from schemadoc.actions import shadow_database

    with (
        _roles_made_for_a_while(maintenance_url, steps),
        shadow_database(maintenance_url, live) as (url, _diags),
        connect(url, autocommit=True) as conn,
    ):
        failed = run_steps(conn, steps)
        if failed is not None:
            return failed
        proven = read_schema(conn)
    residue = [c for c in compare(expected, proven) if c not in left_out]
    return ProofFailure(None, None, tuple(residue)) if residue else None


@contextmanager
def _roles_made_for_a_while(maintenance_url: str, steps: Sequence[PlannedStep]) -> Iterator[None]:
    """Roles belong to the whole server: those the plan's steps make while it is proven are
    dropped again afterwards (when the server lacked them before and nothing uses them)."""
    names = sorted({s.change.role.name for s in steps if isinstance(s.change, CreateRole)})
    if not names:
        yield
        return
    from schemadoc.actions import drop_roles_made

    with connect(maintenance_url) as conn:
        before = server_roles(conn)
    try:
        yield
    finally:
        drop_roles_made(maintenance_url, names, before)


def run_steps(conn: psycopg.Connection[Any], steps: Sequence[PlannedStep]) -> ProofFailure | None:
    """Run ``steps`` on an autocommit connection; the first failure as a :class:`ProofFailure`."""
    for planned in steps:
        try:
            with conn.cursor() as cur:
                if planned.step.transactional:
                    with conn.transaction():
                        execute_each(cur, [(planned.step.sql, None)])
                else:
                    execute_each(cur, [(planned.step.sql, None)])
        except psycopg.Error as exc:
            state = exc.sqlstate or "?????"
            message = exc.diag.message_primary or str(exc).splitlines()[0]
            return ProofFailure(planned.number, f"{message} [SQLSTATE {state}]")
    return None
