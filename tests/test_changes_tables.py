"""Table changes on real PostgreSQL: a new table with what its CREATE brings, a table only the
database has, row level security and exclusion constraints; the steps converge the old
database and ``verify --structure``'s diagnostics are the changes' own."""

from __future__ import annotations

import pytest
from changes_support import changes_between, count, kinds, listed, pair, read, run_steps

from schemadoc.compare.changes import Hazard, Lock
from schemadoc.compare.diff import diff_schemas
from schemadoc.compare.exclusions import AddExclusion
from schemadoc.compare.tables import AddTable, ChangePartitioning, ChangeRowSecurity, DropTable
from schemadoc.model import QName, Table

OLD = """
CREATE TABLE keep (id integer PRIMARY KEY, room integer, during tstzrange,
    CONSTRAINT keep_excl EXCLUDE USING gist (during WITH &&));
CREATE TABLE obsolete (id integer);
CREATE TABLE booking (id integer PRIMARY KEY, room integer, during tstzrange);
INSERT INTO booking SELECT g, g % 3, tstzrange(now() + g * interval '1 day', now() + (g + 1) * interval '1 day')
FROM generate_series(1, 30) AS g;
"""

DOCUMENT = """
CREATE TABLE keep (id integer PRIMARY KEY, room integer, during tstzrange,
    CONSTRAINT keep_excl EXCLUDE USING gist (during WITH &&) WHERE (room IS NOT NULL));
CREATE TABLE booking (id integer PRIMARY KEY, room integer, during tstzrange,
    EXCLUDE USING gist (during WITH &&));
ALTER TABLE booking ENABLE ROW LEVEL SECURITY;
CREATE TABLE fresh (
    id integer PRIMARY KEY CHECK (id > 0),
    booking_id integer REFERENCES booking (id),
    label text UNIQUE
);
CREATE INDEX fresh_label_idx ON fresh (lower(label));
COMMENT ON TABLE fresh IS 'new';
COMMENT ON COLUMN fresh.label IS 'the label';
ALTER TABLE fresh ENABLE ROW LEVEL SECURITY;
ALTER TABLE fresh FORCE ROW LEVEL SECURITY;
"""


def test_tables_converge(server_url: str) -> None:
    with pair(server_url, DOCUMENT, OLD) as p:
        expected, actual = read(p.expected_url), read(p.old_url)
        changes = changes_between(expected, actual)
        assert kinds(changes) == [
            "AddExclusion",
            "AddTable",
            "ChangeExclusion",
            "ChangeRowSecurity",
            "DropTable",
        ]
        # verify --structure shows exactly these changes
        shown = [d for d in diff_schemas(expected, actual) if d.code not in ("SD361", "SD364")]
        assert sorted(d.message for d in shown) == sorted(c.message() for c in changes)
        added = next(c for c in changes if isinstance(c, AddTable))
        assert isinstance(added, AddTable)
        assert [i.name for i in added.indexes] == ["fresh_label_idx"]
        sql = [s.sql for s in added.steps()]
        assert sql[0].startswith("CREATE TABLE public.fresh")
        assert any("FOREIGN KEY" in s for s in sql) and any("fresh_label_idx" in s for s in sql)
        assert any("COMMENT ON COLUMN" in s for s in sql) and any("FORCE ROW LEVEL" in s for s in sql)
        fk_step = next(s for s in added.steps() if "FOREIGN KEY" in s.sql)
        assert (fk_step.lock, fk_step.table) == (Lock.SHARE_ROW_EXCLUSIVE, QName("public", "booking"))
        dropped = next(c for c in changes if isinstance(c, DropTable))
        assert dropped.hazards == {Hazard.DELETES_DATA} and dropped.destructive
        exclusion = next(c for c in changes if isinstance(c, AddExclusion))
        [step] = exclusion.steps()
        assert Hazard.BLOCKS_WRITES in step.hazards and step.precheck is not None
        assert count(p.old_url, step.precheck.count_sql) == 0
        p.converge()


def test_exclusion_precheck_counts_conflicting_rows(server_url: str) -> None:
    old = OLD + (
        "INSERT INTO booking VALUES (100, 1, tstzrange(now() + interval '2 days', now() + interval '5 days'))"
    )
    with pair(server_url, DOCUMENT, old) as p:
        changes = p.changes()
        [step] = next(c for c in changes if isinstance(c, AddExclusion)).steps()
        assert step.precheck is not None
        conflicting = count(p.old_url, step.precheck.count_sql)
        assert conflicting == 4  # the new row overlaps three days, each of which overlaps it
        assert len(listed(p.old_url, step.precheck.list_sql)) == 4


def test_row_security_and_table_inverses() -> None:
    table = Table("public", "t")
    assert AddTable(table).inverse() == DropTable(table)
    assert DropTable(table).inverse() == AddTable(table)
    rls = ChangeRowSecurity(QName("public", "t"), True)
    assert rls.inverse() == ChangeRowSecurity(QName("public", "t"), False)
    [step] = rls.steps()
    assert step.sql == "ALTER TABLE public.t ENABLE ROW LEVEL SECURITY"
    assert ChangePartitioning(QName("public", "t"), "PARTITION BY", "RANGE (a)", None).steps() == ()


@pytest.mark.parametrize("name", ["Odd Name", "select"])
def test_names_are_quoted(name: str) -> None:
    table = Table("public", name)
    [step] = DropTable(table).steps()
    assert step.sql == f'DROP TABLE public."{name}"'


def test_the_other_way_converges(server_url: str) -> None:
    with pair(server_url, OLD, DOCUMENT) as p:
        assert kinds(p.converge()) == [
            "AddTable",
            "ChangeExclusion",
            "ChangeRowSecurity",
            "DropExclusion",
            "DropTable",
        ]


def test_new_tables_that_reference_each_other(server_url: str) -> None:
    document = """
    CREATE TABLE b (id integer PRIMARY KEY, a_id integer);
    CREATE TABLE a (id integer PRIMARY KEY, b_id integer REFERENCES b (id));
    ALTER TABLE b ADD FOREIGN KEY (a_id) REFERENCES a (id);
    """
    with pair(server_url, document, "SELECT 1") as p:
        added = [c for c in p.changes() if isinstance(c, AddTable)]
        assert [c.table.name for c in added] == ["a", "b"]
        # every table first, then every foreign key: a cycle cannot be created table by table
        run_steps(p.old_url, [s for c in added for s in c.create_steps()])
        run_steps(p.old_url, [s for c in added for s in c.foreign_key_steps()])
        assert changes_between(read(p.expected_url), read(p.old_url)) == []
