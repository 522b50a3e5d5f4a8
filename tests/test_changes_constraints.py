"""Keys, UNIQUE, CHECK and foreign key changes and index changes on real PostgreSQL: the online
steps converge an old database to the document, and on a table with bad rows every pre-check
counts them and lists them."""

from __future__ import annotations

from changes_support import count, kinds, listed, pair

from schemadoc.compare.changes import Change, Hazard, Lock
from schemadoc.compare.columns import SetNotNull
from schemadoc.compare.constraints import (
    AddCheck,
    AddPrimaryKey,
    AddUnique,
    ChangeCheck,
    ChangePrimaryKey,
    DropCheck,
    DropPrimaryKey,
    DropUnique,
    ValidateCheck,
)
from schemadoc.compare.foreign_keys import (
    AddForeignKey,
    ChangeForeignKey,
    DropForeignKey,
    ValidateForeignKey,
)
from schemadoc.compare.indexes import AddIndex, DropIndex, ReplaceIndex
from schemadoc.model import Check, ForeignKey, Index, PrimaryKey, QName, Unique

DOCUMENT = """
CREATE TABLE parent (id integer PRIMARY KEY, code text UNIQUE);
CREATE TABLE child (
    id integer PRIMARY KEY,
    parent_id integer REFERENCES parent (id) ON DELETE CASCADE,
    qty integer CHECK (qty > 0),
    code text UNIQUE NULLS NOT DISTINCT,
    email text,
    note text
);
CREATE INDEX child_parent_idx ON child (parent_id);
CREATE UNIQUE INDEX child_email_lower ON child (lower(email));
"""

OLD = """
CREATE TABLE parent (id integer PRIMARY KEY, code text);
CREATE TABLE child (id integer, parent_id integer, qty integer, code text, email text, note text);
INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 10) AS g;
INSERT INTO child SELECT g, 1 + g % 10, g, 'c' || g, 'e' || g || '@x', NULL FROM generate_series(1, 100) AS g;
"""

# rows each new promise refuses: a NULL and a repeated id, a repeated code, qty 0 (NULL passes a
# CHECK), a parent that does not exist (a NULL parent is not checked), emails equal but for case
BAD_ROWS = """
INSERT INTO child VALUES
    (NULL, 1, 1, 'n1', 'n1@x', NULL),
    (7, 1, 1, 'n2', 'n2@x', NULL),
    (201, 1, 1, 'c1', 'n3@x', NULL),
    (202, 1, 0, 'n4', 'n4@x', NULL),
    (203, 1, NULL, 'n5', 'n5@x', NULL),
    (204, 99, 1, 'n6', 'n6@x', NULL),
    (205, NULL, 1, 'n7', 'n7@x', NULL),
    (206, 1, 1, 'n8', 'E1@X', NULL)
"""


def _one(changes: list[Change], kind: type[Change]) -> Change:
    [found] = [c for c in changes if type(c) is kind]
    return found


def test_new_constraints_and_indexes_converge(server_url: str) -> None:
    with pair(server_url, DOCUMENT, OLD) as p:
        changes = p.changes()
        assert kinds(changes) == [
            "AddCheck",
            "AddForeignKey",
            "AddIndex",
            "AddIndex",
            "AddPrimaryKey",
            "AddUnique",
            "AddUnique",
            "SetNotNull",
        ]
        pk = _one(changes, AddPrimaryKey)
        assert isinstance(pk, AddPrimaryKey) and pk.nullable == ("id",)
        assert _one(changes, SetNotNull).steps() == ()  # the new key makes id NOT NULL itself
        for change in changes:
            assert not change.destructive
            for step in change.steps():
                assert step.lock is not Lock.SHARE  # nothing blocks writes for a whole build
        p.converge()
        # names are the ones PostgreSQL gave the document's build
        names = listed(
            p.old_url,
            "SELECT conname FROM pg_constraint WHERE conrelid = 'child'::regclass AND contype <> 'n' ORDER BY conname",
        )
        assert [n for (n,) in names] == [
            "child_code_key",
            "child_parent_id_fkey",
            "child_pkey",
            "child_qty_check",
        ]


def test_every_precheck_counts_the_bad_rows(server_url: str) -> None:
    with pair(server_url, DOCUMENT, OLD + BAD_ROWS) as p:
        changes = p.changes()
        fk = _one(changes, AddForeignKey)
        add, validate = fk.steps()
        assert (add.lock, validate.lock) == (Lock.SHARE_ROW_EXCLUSIVE, Lock.SHARE_UPDATE_EXCLUSIVE)
        assert "NOT VALID" in add.sql and add.precheck is None
        assert validate.hazards == {Hazard.CAN_FAIL_ON_DATA}
        counts: dict[str, int] = {}
        for change in changes:
            for step in change.steps():
                if step.precheck is not None:
                    assert Hazard.CAN_FAIL_ON_DATA in step.hazards
                    found = count(p.old_url, step.precheck.count_sql)
                    assert (len(listed(p.old_url, step.precheck.list_sql)) > 0) == (found > 0)
                    counts[f"{type(change).__name__} {step.sql.split()[0]} {step.precheck.what}"] = found
        assert sorted(counts.values()) == [0, 1, 1, 1, 2, 2, 2], counts  # parent.code has no duplicates
        check = _one(changes, AddCheck)
        assert count(p.old_url, check.steps()[1].precheck.count_sql) == 1  # type: ignore[union-attr]
        orphans = validate.precheck
        assert orphans is not None and count(p.old_url, orphans.count_sql) == 1
        lower_email = next(c for c in changes if isinstance(c, AddIndex) and c.index.unique)
        [build] = lower_email.steps()
        assert not build.transactional and build.lock is Lock.SHARE_UPDATE_EXCLUSIVE
        assert "CONCURRENTLY" in build.sql
        assert build.precheck is not None and count(p.old_url, build.precheck.count_sql) == 2


CHANGED_OLD = """
CREATE TABLE p (id integer PRIMARY KEY);
CREATE TABLE c (
    id integer PRIMARY KEY,
    k integer,
    p_id integer REFERENCES p (id),
    qty integer CHECK (qty >= 0),
    u text UNIQUE,
    x text CHECK (x <> ''),
    during tstzrange,
    EXCLUDE USING gist (during WITH &&)
);
CREATE INDEX c_k_idx ON c (k);
CREATE INDEX c_extra_idx ON c (u);
INSERT INTO p SELECT generate_series(1, 5);
INSERT INTO c SELECT g, g, 1 + g % 5, g, 'u' || g, 'x', NULL FROM generate_series(1, 20) AS g;
"""

CHANGED_DOCUMENT = """
CREATE TABLE p (id integer PRIMARY KEY);
CREATE TABLE c (
    id integer,
    k integer,
    p_id integer REFERENCES p (id) ON DELETE CASCADE DEFERRABLE,
    qty integer CHECK (qty > 0),
    u text UNIQUE NULLS NOT DISTINCT,
    x text,
    during tstzrange,
    PRIMARY KEY (id, k)
);
CREATE INDEX c_k_idx ON c (k DESC);
"""


def test_changed_and_dropped_constraints_converge(server_url: str) -> None:
    with pair(server_url, CHANGED_DOCUMENT, CHANGED_OLD) as p:
        changes = p.changes()
        assert kinds(changes) == [
            "ChangeCheck",
            "ChangeForeignKey",
            "ChangeForeignKeyOption",
            "ChangePrimaryKey",
            "ChangeUniqueNulls",
            "DropCheck",
            "DropExclusion",
            "DropIndex",
            "ReplaceIndex",
            "SetNotNull",
        ]
        # one foreign key differs twice: reported twice, rebuilt once
        fk_changes = [c for c in changes if isinstance(c, ChangeForeignKey)]
        assert [bool(c.steps()) for c in fk_changes] == [True, False]
        destructive = sorted(type(c).__name__ for c in changes if c.destructive)
        assert destructive == ["DropCheck", "DropExclusion", "DropIndex"]
        assert all(Hazard.DROPS_CONSTRAINT in c.hazards for c in changes if c.destructive)
        replace_index = _one(changes, ReplaceIndex)
        build, drop, rename = replace_index.steps()
        assert (build.transactional, drop.transactional, rename.transactional) == (False, False, True)
        assert (
            "CONCURRENTLY" in build.sql
            and "DROP INDEX CONCURRENTLY" in drop.sql
            and "RENAME TO" in rename.sql
        )
        pk = _one(changes, ChangePrimaryKey)
        assert isinstance(pk, ChangePrimaryKey) and pk.nullable == ("k",)
        p.converge()


def test_inverses() -> None:
    t = QName("public", "t")
    fk = ForeignKey(("a",), QName("public", "p"), ("id",))
    other_fk = ForeignKey(("a",), QName("public", "p"), ("id",), on_delete="CASCADE")
    index = Index("public", "t_a_idx", t, ("a",))
    for change in (
        AddPrimaryKey(t, PrimaryKey(("a",))),
        DropPrimaryKey(t, PrimaryKey(("a",))),
        AddUnique(t, Unique(("a",))),
        DropUnique(t, Unique(("a",))),
        AddCheck(t, Check("a > 0")),
        DropCheck(t, Check("a > 0")),
        ChangeCheck(t, Check("a > 0"), Check("a > 1")),
        AddForeignKey(t, fk),
        DropForeignKey(t, fk),
        ChangeForeignKey(t, fk, other_fk),
        AddIndex(index),
        DropIndex(index),
    ):
        back = change.inverse()
        assert back is not None and back.inverse() == change
    assert AddForeignKey(t, fk).inverse() == DropForeignKey(t, fk)
    assert ChangeForeignKey(t, fk, other_fk).inverse() == ChangeForeignKey(t, other_fk, fk)


def test_the_other_way_converges(server_url: str) -> None:
    with pair(server_url, OLD, DOCUMENT) as p:
        dropped = p.converge()
        assert all(c.destructive for c in dropped)
    # a column leaves the primary key before it becomes nullable
    with pair(server_url, CHANGED_OLD, CHANGED_DOCUMENT) as p:
        assert "DropNotNull" in kinds(p.converge())


NOT_VALID_DOCUMENT = """
CREATE TABLE parent (id integer PRIMARY KEY);
CREATE TABLE child (
    id integer PRIMARY KEY,
    parent_id integer REFERENCES parent (id),
    other_id integer REFERENCES parent (id) ON DELETE CASCADE,
    qty integer CHECK (qty > 0)
);
"""

# what a run stopped between each constraint's NOT VALID step and its VALIDATE step leaves,
# under names of its own; ``rows`` go in before the constraints, which therefore never saw them
NOT_VALID_OLD = """
CREATE TABLE parent (id integer PRIMARY KEY);
CREATE TABLE child (id integer PRIMARY KEY, parent_id integer, other_id integer, qty integer);
INSERT INTO parent SELECT generate_series(1, 5);
INSERT INTO child SELECT g, 1 + g % 5, 1, g FROM generate_series(1, 20) AS g;
{rows}
ALTER TABLE child ADD CONSTRAINT legacy_parent FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;
ALTER TABLE child ADD CONSTRAINT legacy_other FOREIGN KEY (other_id) REFERENCES parent (id) NOT VALID;
ALTER TABLE child ADD CONSTRAINT legacy_qty CHECK (qty > 0) NOT VALID;
"""


def test_constraints_left_not_valid_are_validated_under_their_own_names(server_url: str) -> None:
    with pair(server_url, NOT_VALID_DOCUMENT, NOT_VALID_OLD.format(rows="")) as p:
        changes = p.changes()
        # the foreign key whose ON DELETE differs is added again (and validated) anyway
        assert kinds(changes) == ["ChangeForeignKey", "ValidateCheck", "ValidateForeignKey"]
        check, fk = _one(changes, ValidateCheck), _one(changes, ValidateForeignKey)
        assert (check.code, check.level, fk.code) == ("SD367", "error", "SD367")
        assert check.message() == (
            "table public.child: CHECK (qty > 0) (named legacy_qty) is NOT VALID in the database: "
            "the rows it had when it was added were never checked"
        )
        assert (
            "FOREIGN KEY (parent_id) -> public.parent(id) (named legacy_parent) is NOT VALID" in fk.message()
        )
        for change, name in ((check, "legacy_qty"), (fk, "legacy_parent")):
            [step] = change.steps()
            assert step.sql == f"ALTER TABLE public.child VALIDATE CONSTRAINT {name}"
            assert step.lock is Lock.SHARE_UPDATE_EXCLUSIVE and step.transactional
            assert step.hazards == {Hazard.CAN_FAIL_ON_DATA} and not change.destructive
            assert step.precheck is not None and count(p.old_url, step.precheck.count_sql) == 0
            assert change.inverse() is None
        p.converge()
        validated = listed(
            p.old_url,
            "SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'child'::regclass"
            " AND contype IN ('c', 'f') ORDER BY 1",
        )
        assert validated == [
            ("child_other_id_fkey", True),
            ("legacy_parent", True),
            ("legacy_qty", True),
        ]


def test_rows_a_not_valid_constraint_never_saw_are_counted_before_it_is_validated(server_url: str) -> None:
    rows = "INSERT INTO child VALUES (101, 99, 1, 1), (102, 1, 1, 0), (103, 1, 1, -1);"
    with pair(server_url, NOT_VALID_DOCUMENT, NOT_VALID_OLD.format(rows=rows)) as p:
        changes = p.changes()
        for kind, bad in ((ValidateCheck, [(102,), (103,)]), (ValidateForeignKey, [(101,)])):
            [step] = _one(changes, kind).steps()
            assert step.precheck is not None
            assert count(p.old_url, step.precheck.count_sql) == len(bad)
            assert sorted((r[0],) for r in listed(p.old_url, step.precheck.list_sql)) == bad


def test_a_constraint_the_document_leaves_not_valid_too_is_not_reported(server_url: str) -> None:
    document = NOT_VALID_OLD.format(rows="").replace("ON DELETE CASCADE", "")
    with pair(server_url, document, NOT_VALID_OLD.format(rows="")) as p:
        assert p.changes() == []
    # a database that validated what the document leaves NOT VALID keeps more than was promised
    validated = NOT_VALID_OLD.format(rows="ALTER TABLE child ADD CHECK (qty > 0);").replace(
        "ALTER TABLE child ADD CONSTRAINT legacy_qty CHECK (qty > 0) NOT VALID;", ""
    )
    with pair(server_url, document, validated) as p:
        assert p.changes() == []
