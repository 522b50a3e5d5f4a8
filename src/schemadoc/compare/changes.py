"""Typed changes: what it takes to bring a database to the document, one small frozen class per
kind of difference.

The comparison modules of :mod:`schemadoc.compare` turn two schemas (what the document builds,
what the database holds) into a list of :class:`Change` objects. ``verify --structure`` shows
each change's :meth:`Change.diagnostic`; ``plan`` orders their :meth:`Change.steps` into a
migration. One list, two views: there is no second source of truth.

A change carries:

- its document span (``span``, not part of its identity);
- its steps: the statements that make the database match, rendered by :mod:`schemadoc.write`,
  each with the lock it takes, whether it can run in a transaction block, its hazards and the
  data pre-check that must find no rows before it runs;
- its inverse, where one exists.

A change whose difference no statement can repair without a person deciding (a partitioning
scheme, a renamed enum label) has no steps; ``plan`` lists it and leaves it to the user.
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum
from typing import ClassVar

from schemadoc.diagnostics import Diagnostic, Level
from schemadoc.model import QName, Span
from schemadoc.records import record


class Hazard(StrEnum):
    """What running a step can do besides changing the catalog. ``plan`` leaves out a step
    with a destructive hazard unless it was allowed (``--allow-destructive`` or ``--allow``)."""

    DELETES_DATA = "deletes-data"  # drops a table, a column, or rows; destructive
    NARROWS_TYPE = "narrows-type"  # a type change that can lose or refuse values; destructive
    DROPS_ENUM_VALUE = "drops-enum-value"  # destructive
    DROPS_CONSTRAINT = (
        "drops-constraint"  # drops a constraint, NOT NULL or index: a promise lost; destructive
    )
    REWRITES_TABLE = "rewrites-table"  # rewrites every row under ACCESS EXCLUSIVE
    BLOCKS_WRITES = "blocks-writes"  # holds a lock that blocks writes while it scans the table
    CAN_FAIL_ON_DATA = "can-fail-on-data"  # existing rows can make it fail: a pre-check runs first
    DROPS_DEPENDENTS = "drops-dependents"  # views or routines are dropped and created again around it


DESTRUCTIVE = frozenset(
    {Hazard.DELETES_DATA, Hazard.NARROWS_TYPE, Hazard.DROPS_ENUM_VALUE, Hazard.DROPS_CONSTRAINT}
)


class Lock(StrEnum):
    """The strongest table lock a step takes, as PostgreSQL names it."""

    NONE = "none"  # no table lock (CREATE TYPE, ADD VALUE, a function...)
    ACCESS_SHARE = "ACCESS SHARE"
    ROW_EXCLUSIVE = "ROW EXCLUSIVE"
    SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"  # VALIDATE, CREATE INDEX CONCURRENTLY
    SHARE = "SHARE"  # CREATE INDEX: blocks writes for the whole build
    SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"  # ADD FOREIGN KEY, CREATE TRIGGER
    ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"  # most ALTER TABLE forms; blocks reads too


@record
class PreCheck:
    """Rows that would make a step fail: ``count_sql`` returns one number, ``list_sql`` lists
    the rows (for the user to look at). Both are single SELECT statements built with quoted
    identifiers and PostgreSQL's own text of any expression."""

    what: str  # e.g. "rows of public.runs whose plan_id has no row in public.plans"
    count_sql: str
    list_sql: str


@record
class Step:
    """One statement of a migration."""

    sql: str  # one statement, no trailing semicolon
    lock: Lock = Lock.ACCESS_EXCLUSIVE
    table: QName | None = None  # the table ``lock`` is taken on
    transactional: bool = True  # False: must run outside a transaction block (CONCURRENTLY, ADD VALUE)
    hazards: frozenset[Hazard] = frozenset()
    precheck: PreCheck | None = None

    @property
    def destructive(self) -> bool:
        return bool(self.hazards & DESTRUCTIVE)


@record
class Change:
    """One difference between the document and the database. Subclasses are small frozen
    dataclasses holding the objects involved (from the document's build and from the
    database), a class-level diagnostic ``code`` and ``level``, and they implement
    :meth:`message`, :meth:`steps` and, where they can, :meth:`inverse`."""

    code: ClassVar[str] = ""
    level: ClassVar[Level] = "error"

    span: Span | None = field(default=None, compare=False, kw_only=True)
    hint_text: str | None = field(default=None, compare=False, kw_only=True)
    subject: str | None = field(default=None, compare=False, kw_only=True)

    def message(self) -> str:
        raise NotImplementedError

    def steps(self) -> tuple[Step, ...]:
        """The statements that make the database match the document, in order; empty when no
        statement can (the change is then listed for the user to decide)."""
        return ()

    def inverse(self) -> Change | None:
        """The change that undoes this one, where one exists."""
        return None

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(
            self.code, self.level, self.message(), self.span, self.hint_text, subject=self.subject
        )

    @property
    def hazards(self) -> frozenset[Hazard]:
        out: frozenset[Hazard] = frozenset()
        for step in self.steps():
            out |= step.hazards
        return out

    @property
    def destructive(self) -> bool:
        return bool(self.hazards & DESTRUCTIVE)


@record
class Noted(Change):
    """A difference reported as it was found, with no steps: kinds the planner does not repair
    (comments summed up per table, catalog kinds without a writer). ``code`` and ``level`` are
    per instance here."""

    noted_code: str = ""
    noted_level: Level = "error"
    text: str = ""

    def message(self) -> str:
        return self.text

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(
            self.noted_code, self.noted_level, self.text, self.span, self.hint_text, subject=self.subject
        )

    @staticmethod
    def of(d: Diagnostic) -> Noted:
        return Noted(
            noted_code=d.code,
            noted_level=d.level,
            text=d.message,
            span=d.span,
            hint_text=d.hint,
            subject=d.subject,
        )
