"""The planner's order and gates, on typed changes alone (no server needed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from schemadoc.compare.changes import DESTRUCTIVE, Change, Hazard, Noted, Step
from schemadoc.diagnostics import Diagnostic
from schemadoc.model import Column, ForeignKey, Index, PrimaryKey, QName, Schema, Table, Unique
from schemadoc.plan import number_steps, order_changes, order_steps
from schemadoc.plan.gate import find_renames, gate, wrong_database
from schemadoc.plan.model import LeftOutReason
from schemadoc.plan.order import Phase, phase_of

from plan_support import (
    PHASES,
    AddColumn,
    AddForeignKey,
    AddIndex,
    AddTable,
    AddUnique,
    DropColumn,
    DropIndex,
    DropTable,
    NarrowType,
    SetNotNull,
)

RUNS = QName("public", "runs")
PLANS = QName("public", "plans")


def _changes() -> list[Change]:
    return [
        AddColumn(RUNS, Column("extra", "integer")),
        DropTable(QName("public", "legacy")),
        AddIndex(Index("public", "runs_plan_idx", RUNS, ("plan_id",))),
        AddForeignKey(RUNS, ForeignKey(("plan_id",), PLANS, ("id",)), "runs_plan_id_fkey"),
        DropColumn(RUNS, "old"),
        AddUnique(PLANS, Unique(("title",))),
        SetNotNull(PLANS, "title"),
        AddColumn(RUNS, Column("note", "text")),
        DropIndex(QName("public", "runs_old_idx"), RUNS),
        AddTable(Table("public", "plans", (Column("id", "bigint", False), Column("title", "text")))),
    ]


def test_changes_run_in_dependency_order_whatever_order_they_come_in() -> None:
    ordered = order_changes(_changes(), PHASES)
    kinds = [type(c) for c in ordered]
    assert kinds == [
        DropIndex,  # constraint and index drops come before the changes under them
        AddTable,
        AddColumn,
        AddColumn,
        SetNotNull,
        AddUnique,  # keys
        AddIndex,  # indexes, before the foreign keys that may reference a unique one
        AddForeignKey,  # after the keys they reference
        DropColumn,  # drops of columns, then tables, last
        DropTable,
    ]
    # the same input gives the same order; within a phase the comparison's order is kept
    assert order_changes(_changes(), PHASES) == ordered
    backwards = order_changes(list(reversed(_changes())), PHASES)
    assert [type(c) for c in backwards] == kinds
    columns = [c.column.name for c in ordered if isinstance(c, AddColumn)]
    assert columns == ["extra", "note"]
    assert [c.column.name for c in backwards if isinstance(c, AddColumn)] == ["note", "extra"]


def test_a_changes_own_steps_stay_together_and_in_order() -> None:
    steps = order_steps(_changes(), PHASES)
    assert steps == number_steps(order_changes(_changes(), PHASES))
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    not_null = [s.step.sql for s in steps if isinstance(s.change, SetNotNull)]
    assert [sql.split()[3] for sql in not_null] == ["ADD", "VALIDATE", "ALTER", "DROP"]
    numbers = [s.number for s in steps if isinstance(s.change, SetNotNull)]
    assert numbers == list(range(numbers[0], numbers[0] + 4))


@dataclass(frozen=True, slots=True)
class _Unknown(Change):
    code: ClassVar[str] = "SD399"
    destroys: bool = False

    def message(self) -> str:
        return "a kind the dispatch table does not know"

    def steps(self) -> tuple[Step, ...]:
        hazards = frozenset({Hazard.DELETES_DATA}) if self.destroys else frozenset()
        return (Step("SELECT 1", hazards=hazards),)


def test_a_kind_without_a_phase_runs_after_the_objects_or_with_the_drops() -> None:
    assert phase_of(_Unknown(), PHASES) is Phase.OTHER
    assert phase_of(_Unknown(destroys=True), PHASES) is Phase.DROP_TABLES
    assert Phase.COMMENTS < Phase.OTHER < Phase.DROP_COLUMNS

    @dataclass(frozen=True, slots=True)
    class Sub(AddIndex):
        pass

    # a subclass takes the phase of its listed base
    assert phase_of(Sub(Index("public", "i", RUNS, ("a",))), PHASES) is Phase.INDEXES


def test_destructive_changes_are_left_out_unless_their_hazard_is_allowed() -> None:
    narrow = NarrowType(RUNS, "n", "integer")
    drop = DropColumn(RUNS, "old")
    noted = Noted.of(Diagnostic("SD300", "error", "partitioning differs"))
    changes: list[Change] = [AddColumn(RUNS, Column("note", "text")), narrow, drop, noted]

    none = gate(changes, [], frozenset())
    assert [type(c) for c in none.planned] == [AddColumn]
    reasons = {type(x.change): (x.reason, x.hazards) for x in none.left_out}
    assert reasons[NarrowType] == (LeftOutReason.DESTRUCTIVE, frozenset({Hazard.NARROWS_TYPE}))
    assert reasons[DropColumn] == (LeftOutReason.DESTRUCTIVE, frozenset({Hazard.DELETES_DATA}))
    assert reasons[Noted][0] is LeftOutReason.UNPLANNABLE

    one = gate(changes, [], frozenset({Hazard.NARROWS_TYPE}))
    assert narrow in one.planned and drop not in one.planned
    every = gate(changes, [], DESTRUCTIVE)
    assert [type(c) for c in every.planned] == [AddColumn, NarrowType, DropColumn]
    assert [x.reason for x in every.left_out] == [LeftOutReason.UNPLANNABLE]


def _table(name: str, *cols: tuple[str, str]) -> Table:
    return Table("public", name, tuple(Column(c, t) for c, t in cols))


def test_a_table_that_disappears_while_one_of_the_same_shape_appears_is_a_probable_rename() -> None:
    live = Schema(tables={t.qname: t for t in [_table("runs", ("id", "bigint"), ("status", "text"))]})
    doc = Schema(tables={t.qname: t for t in [_table("jobs", ("status", "text"), ("id", "bigint"))]})
    (rename,) = find_renames(doc, live)
    assert (rename.old, rename.new, rename.column) == (RUNS, QName("public", "jobs"), None)

    changes: list[Change] = [DropTable(RUNS), AddTable(doc.tables[QName("public", "jobs")])]
    gated = gate(changes, [rename], frozenset())
    assert not gated.planned and gated.renames == (rename,)
    assert {x.reason for x in gated.left_out} == {LeftOutReason.RENAME}
    # allowed to delete data: it runs as written, a drop and an add
    allowed = gate(changes, [rename], frozenset({Hazard.DELETES_DATA}))
    assert len(allowed.planned) == 2 and not allowed.renames

    # a different shape is no rename
    other = Schema(tables={t.qname: t for t in [_table("jobs", ("id", "integer"), ("status", "text"))]})
    assert find_renames(other, live) == []


def test_a_column_that_disappears_while_one_of_its_type_appears_is_a_probable_rename() -> None:
    live = Schema(tables={RUNS: _table("runs", ("id", "bigint"), ("state", "text"))})
    doc = Schema(tables={RUNS: _table("runs", ("id", "bigint"), ("status", "text"))})
    (rename,) = find_renames(doc, live)
    assert rename.column == ("state", "status") and rename.text() == "column public.runs.state -> status"
    # two candidates of the same type: no guess
    two = Schema(tables={RUNS: _table("runs", ("id", "bigint"), ("status", "text"), ("phase", "text"))})
    assert find_renames(two, live) == []


def test_a_database_that_shares_almost_nothing_with_the_document_is_the_wrong_one() -> None:
    doc = Schema(tables={t.qname: t for t in (_table(f"t{i}", ("id", "bigint")) for i in range(10))})
    empty = Schema()
    assert wrong_database(doc, empty) is None  # an empty database is a fine target
    one = Schema(tables={t.qname: t for t in [_table("t0", ("id", "bigint")), _table("x", ("a", "text"))]})
    wrong = wrong_database(doc, one)
    assert wrong is not None and (wrong.document_tables, wrong.shared_tables, wrong.own_tables) == (10, 1, 1)
    two = Schema(tables={**one.tables, QName("public", "t1"): _table("t1", ("id", "bigint"))})
    assert wrong_database(doc, two) is None  # a fifth of the document's tables is enough
    only_ours = Schema(tables={QName("public", "t0"): _table("t0", ("id", "bigint"))})
    assert wrong_database(doc, only_ours) is None  # nothing of its own: a database to build up


def test_new_tables_are_all_created_before_their_foreign_keys() -> None:
    from schemadoc.compare import tables
    from schemadoc.plan import order_steps

    def new(name: str, *refs: str) -> tables.AddTable:
        fks = tuple(ForeignKey((f"{r}_id",), QName("public", r), ("id",)) for r in refs)
        cols = (Column("id", "bigint", False), *(Column(f"{r}_id", "bigint") for r in refs))
        return tables.AddTable(Table("public", name, cols, PrimaryKey(("id",)), foreign_keys=fks))

    # a -> c -> b, and e and f reference each other
    listed = [new("a", "c"), new("b"), new("c", "b"), new("e", "f"), new("f", "e")]
    steps = order_steps(listed)
    creates = [s for s in steps if s.step.sql.startswith("CREATE TABLE")]
    keys = [s for s in steps if "FOREIGN KEY" in s.step.sql]
    assert len(creates) == 5 and len(keys) == 4
    assert max(s.number for s in creates) < min(s.number for s in keys)
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    assert order_steps(listed) == steps


def test_the_comparisons_change_classes_have_their_phases() -> None:
    from schemadoc.compare import columns, foreign_keys, indexes, tables
    from schemadoc.plan.phases import covered

    fk = ForeignKey(("plan_id",), PLANS, ("id",))
    assert phase_of(foreign_keys.AddForeignKey(RUNS, fk)) is Phase.FOREIGN_KEYS
    assert phase_of(columns.DropNotNull(RUNS, Column("a", "int"))) is Phase.RELAX_NOT_NULL
    assert phase_of(foreign_keys.ChangeForeignKeyOnUpdate(RUNS, fk, fk)) is Phase.FOREIGN_KEYS
    assert phase_of(indexes.AddIndex(Index("public", "i", RUNS, ("a",)))) is Phase.INDEXES
    assert phase_of(tables.DropTable(Table("public", "old"))) is Phase.DROP_TABLES
    # a NOT NULL another change brings is neither planned nor left to the user
    col = Column("id", "bigint", False)
    gated = gate([columns.SetNotNull(RUNS, col, covered=True)], [], frozenset())
    assert covered(columns.SetNotNull(RUNS, col, covered=True))
    assert not gated.planned and not gated.left_out


def test_a_routine_a_table_calls_runs_before_the_tables_and_any_other_after() -> None:
    from schemadoc.compare import routines
    from schemadoc.model import Function

    def fn(language: str, before_tables: bool) -> routines.CreateFunction:
        f = Function("public", "f", "", "integer", language, "SELECT 1")
        return routines.CreateFunction(f, before_tables=before_tables)

    assert phase_of(fn("sql", False)) is Phase.ROUTINES
    assert phase_of(fn("plpgsql", False)) is Phase.ROUTINES
    assert phase_of(fn("sql", True)) is Phase.EARLY_ROUTINES
    assert phase_of(fn("plpgsql", True)) is Phase.EARLY_ROUTINES
    assert Phase.EARLY_ROUTINES < Phase.TABLES < Phase.COLUMN_DEFAULTS < Phase.ROUTINES < Phase.CHECKS
