"""What ``plan`` produces: the ordered steps from a live database to the document, what was
left out and why, the sizes of the tables the steps lock, the data pre-checks and the proof."""

from __future__ import annotations

from enum import StrEnum

from schemadoc.compare.changes import Change, Hazard, PreCheck, Step
from schemadoc.model import QName
from schemadoc.records import record

EXIT_READY, EXIT_ROWS, EXIT_REFUSED, EXIT_BUG = 0, 1, 3, 70


@record
class PlannedStep:
    """Step ``number`` (1-based, in the order it runs) and the change it comes from."""

    number: int
    step: Step
    change: Change


class LeftOutReason(StrEnum):
    DESTRUCTIVE = "destructive"  # a destructive hazard that was not allowed
    UNPLANNABLE = "unplannable"  # no statement repairs it (a Noted change, or one without steps)
    RENAME = "probable-rename"  # one side of a probable rename


@record
class LeftOut:
    change: Change
    reason: LeftOutReason
    hazards: frozenset[Hazard] = frozenset()  # the destructive hazards that were not allowed


@record
class Rename:
    """A table (``column`` is None) or a column of ``table`` that disappears while one of the
    same shape appears: probably renamed, from ``old`` to ``new``."""

    old: QName
    new: QName
    column: tuple[str, str] | None = None  # (old name, new name) of a column of ``new``

    def text(self) -> str:
        if self.column is None:
            return f"table {self.old} -> {self.new}"
        return f"column {self.new}.{self.column[0]} -> {self.column[1]}"


@record
class WrongDatabase:
    """The database shares almost nothing with the document."""

    document_tables: int
    shared_tables: int
    own_tables: int  # tables of the database the document does not have

    def text(self) -> str:
        return (
            f"the database holds {self.shared_tables} of the document's {self.document_tables} table(s) "
            f"and {self.own_tables} table(s) of its own: probably the wrong database; nothing is planned"
        )


@record
class TableSize:
    """Catalog figures of a table a step locks: ``rows`` is pg_class.reltuples (an estimate; None
    when the table was never analyzed), ``bytes`` pg_total_relation_size."""

    table: QName
    rows: int | None
    bytes: int

    def text(self) -> str:
        rows = "rows unknown (never analyzed)" if self.rows is None else f"~{self.rows:,} row(s)"
        return f"{rows}, {_size(self.bytes)}"


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover - the loop returns at GB


@record
class PreCheckResult:
    """What the pre-check of step ``number`` found on the live database: ``rows`` (None when it
    could not run: ``error`` says why; ``skipped`` when the step's table does not exist yet)."""

    number: int
    check: PreCheck
    rows: int | None
    error: str | None = None
    skipped: bool = False

    @property
    def blocks(self) -> bool:
        return not self.skipped and (self.rows is None or self.rows > 0)


@record
class ProofFailure:
    """The plan, applied to a scratch copy of the live schema, failed at step ``number`` (None: it ran
    through but left ``residue``, the differences still found afterwards)."""

    number: int | None
    error: str | None
    residue: tuple[Change, ...] = ()


@record
class Plan:
    steps: tuple[PlannedStep, ...]
    left_out: tuple[LeftOut, ...] = ()
    renames: tuple[Rename, ...] = ()
    wrong_database: WrongDatabase | None = None
    sizes: tuple[TableSize, ...] = ()  # sorted by table
    prechecks: tuple[PreCheckResult, ...] = ()
    proved: bool = False  # applied to a scratch copy of the live schema and found to reach the document
    proof_failure: ProofFailure | None = None
    lock_timeout_ms: int = 1000
    # the tables the plan creates (a step's table with no size is one of them, or not a table:
    # a view, a sequence)
    new_tables: frozenset[QName] = frozenset()

    @property
    def empty(self) -> bool:
        """Nothing to do and nothing left out."""
        return not self.steps and not self.left_out and not self.renames and self.wrong_database is None

    @property
    def refused(self) -> bool:
        """Something needs the user's leave: destructive changes, probable renames, the wrong database."""
        return (
            self.wrong_database is not None
            or bool(self.renames)
            or any(x.reason is not LeftOutReason.UNPLANNABLE for x in self.left_out)
        )

    @property
    def blocked_by_data(self) -> bool:
        return any(r.blocks for r in self.prechecks)

    @property
    def exit_code(self) -> int:
        """70 the proof failed (a schemadoc bug); 3 refused; 1 rows block a step; 0 ready."""
        if self.proof_failure is not None:
            return EXIT_BUG
        if self.refused:
            return EXIT_REFUSED
        if self.blocked_by_data:
            return EXIT_ROWS
        return EXIT_READY

    @property
    def ready(self) -> bool:
        """Whether ``apply`` may run the steps."""
        return self.exit_code == EXIT_READY

    def size_of(self, table: QName | None) -> TableSize | None:
        for size in self.sizes:
            if size.table == table:
                return size
        return None

    def precheck_of(self, number: int) -> PreCheckResult | None:
        for result in self.prechecks:
            if result.number == number:
                return result
        return None
