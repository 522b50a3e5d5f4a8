"""``make_plan``: from a live database to the document, as ordered, gated, pre-checked and
proven steps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from schemadoc.compare.changes import Change, Hazard, Lock
from schemadoc.model import Schema
from schemadoc.plan.gate import find_renames, gate, wrong_database
from schemadoc.plan.model import Plan, PlannedStep
from schemadoc.plan.order import Phase, order_steps
from schemadoc.plan.prechecks import DEFAULT_PRECHECK_TIMEOUT_MS, run_prechecks


class Differ(Protocol):
    """The comparison ``plan`` stands on: the typed changes from ``actual`` to ``expected``."""

    def __call__(
        self,
        expected: Schema,
        actual: Schema,
        *,
        doc: Schema | None = None,
        versions: tuple[int, int] | None = None,
    ) -> list[Change]: ...


def default_differ() -> Differ:
    """:func:`schemadoc.compare.diff.diff_changes`."""
    from schemadoc.compare.diff import diff_changes

    return diff_changes


def number_steps(changes: Sequence[Change]) -> tuple[PlannedStep, ...]:
    """The steps of ``changes`` (already ordered), numbered from 1."""
    out: list[PlannedStep] = []
    for change in changes:
        for step in change.steps():
            out.append(PlannedStep(len(out) + 1, step, change))
    return tuple(out)


def make_plan(
    database_url: str,
    doc: Schema,
    *,
    maintenance_url: str,
    allow: frozenset[Hazard] = frozenset(),
    lock_timeout_ms: int = 1000,
    prove: bool = True,
    precheck_timeout_ms: int = DEFAULT_PRECHECK_TIMEOUT_MS,
    differ: Differ | None = None,
    phases: Mapping[type[Change], Phase] | None = None,
) -> Plan:
    """The plan that brings the database of ``database_url`` to ``doc``.

    The document is built in a scratch database on the server of ``maintenance_url`` (the
    target's own server) and both sides are read with the same catalog queries. Changes with a
    destructive hazard not in ``allow`` are left out, and so are both sides of a probable
    rename; a database that shares almost nothing with the document gets a summary and no
    steps. Every step with a data pre-check has it run on the live database. Unless ``prove``
    is False, a plan nothing blocks is applied to a scratch copy of the live schema and must
    reach the document. ``differ`` and ``phases`` replace the comparison and the order's
    dispatch table (for tests)."""
    from schemadoc.actions import shadow_database
    from schemadoc.compare.access import missing_roles
    from schemadoc.compare.routines import around_type_changes
    from schemadoc.pg.connect import connect, server_version
    from schemadoc.plan.catalog import read_schema, server_roles
    from schemadoc.plan.prove import prove as prove_plan
    from schemadoc.plan.sizes import table_sizes

    diff = differ or default_differ()
    with connect(database_url) as conn:
        conn.read_only = True
        live = read_schema(conn)
        live_version = server_version(conn)
        # before the document's build, which makes the roles it needs (for a while)
        roles = server_roles(conn)
    # the wrong database is told from the document's own tables, before anything is built
    wrong = wrong_database(doc, live)
    if wrong is not None:
        return Plan((), wrong_database=wrong, lock_timeout_ms=lock_timeout_ms)
    with shadow_database(maintenance_url, doc) as (shadow_url, _diags), connect(shadow_url) as conn:
        expected = read_schema(conn)
        shadow_version = server_version(conn)
    versions = (shadow_version, live_version)

    # roles belong to the server: no comparison of two databases sees one missing
    changes = missing_roles(doc, expected, roles) + around_type_changes(
        diff(expected, live, doc=doc, versions=versions), expected, live
    )
    if not changes:
        return Plan((), proved=True, lock_timeout_ms=lock_timeout_ms)

    gated = gate(changes, find_renames(expected, live), allow)
    steps = order_steps(gated.planned, phases)
    locked = {s.step.table for s in steps if s.step.table is not None and s.step.lock is not Lock.NONE}
    with connect(database_url) as conn:
        conn.read_only = True
        sizes = tuple(table_sizes(conn, locked))
    new_tables = frozenset(set(expected.tables) - set(live.tables))
    prechecks = tuple(
        run_prechecks(database_url, steps, new_tables=new_tables, timeout_ms=precheck_timeout_ms)
    )
    plan = Plan(
        steps,
        left_out=gated.left_out,
        renames=gated.renames,
        sizes=sizes,
        prechecks=prechecks,
        lock_timeout_ms=lock_timeout_ms,
        new_tables=new_tables,
    )
    if not prove or plan.refused or not steps:
        return plan
    failure = prove_plan(
        maintenance_url,
        live,
        expected,
        steps,
        [x.change for x in gated.left_out],
        lambda want, have: diff(want, have, doc=doc, versions=versions),
    )
    return Plan(
        steps,
        left_out=gated.left_out,
        renames=gated.renames,
        sizes=sizes,
        prechecks=prechecks,
        proved=failure is None,
        proof_failure=failure,
        lock_timeout_ms=lock_timeout_ms,
        new_tables=new_tables,
    )
