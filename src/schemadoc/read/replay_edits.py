"""Edits to the facts read so far, made by a statement that changes what earlier ones created.

A migration set creates a table, then alters, renames and drops: the result is what counts.
Each function here changes :class:`DocFacts` in place the way PostgreSQL changes its catalogs,
including what the server changes along with the object (dropping a column drops the indexes and
constraints on it; dropping a table drops its indexes, triggers, policies and owned sequences).
Table keys are ``(schema, name)`` with the default schema for a name written without one.
"""

from __future__ import annotations

import re

from schemadoc.model import DEFAULT_SCHEMA, Check, QName
from schemadoc.read import pg_names
from schemadoc.read.facts import ColumnFact, DocFacts, Name, RefFact, TableFact, TableIndex
from schemadoc.records import replace

Key = tuple[str, str]


def key_of(name: Name) -> Key:
    return (name.schema or DEFAULT_SCHEMA, name.text)


def qkey(qname: QName) -> Key:
    return (qname.schema, qname.name)


def table_facts(facts: DocFacts, key: Key) -> list[TableFact]:
    """The facts about table ``key``, through an index kept up to date as tables are appended (a
    migration of thousands of ALTER TABLEs stays linear)."""
    index = facts.table_index
    if index.tables is not facts.tables or index.size > len(facts.tables):
        index = facts.table_index = TableIndex(facts.tables)
    for table in facts.tables[index.size :]:
        index.by_key.setdefault(key_of(table.name), []).append(table)
    index.size = len(facts.tables)
    return list(index.by_key.get(key, ()))


def has_column(facts: DocFacts, key: Key, column: str) -> bool:
    return any(c.name == column for t in table_facts(facts, key) for c in t.columns)


def _renamed(name: Name, new: str) -> Name:
    return Name(new, schema=name.schema, quoted=new != new.lower())


# -- words in expressions -----------------------------------------------------------------------------


def _word_pattern(name: str, after_dot: bool = False) -> re.Pattern[str]:
    """The identifier ``name`` as a whole word (not a part of another, nor, unless ``after_dot``,
    the second part of a qualified name)."""
    before = r'(?<![\w$"])' if after_dot else r'(?<![\w$."])'
    if name == name.lower() and re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return re.compile(before + "(" + re.escape(name) + r')(?![\w$"])', re.IGNORECASE)
    return re.compile(r'"' + re.escape(name.replace('"', '""')) + r'"')


def mentions(text: str | None, name: str, after_dot: bool = False) -> bool:
    return bool(text) and _word_pattern(name, after_dot).search(text or "") is not None


def rename_word(text: str, old: str, new: str, after_dot: bool = False) -> str:
    quoted = new if new == new.lower() and re.fullmatch(r"[a-z_][a-z0-9_$]*", new) else f'"{new}"'
    return _word_pattern(old, after_dot).sub(lambda _m: quoted, text)


# -- tables --------------------------------------------------------------------------------------------


def drop_table(facts: DocFacts, key: Key) -> None:
    """The table and what PostgreSQL drops with it: its partitions, indexes, triggers, policies,
    comments, grants, the sequences it owns, and foreign keys that reference it."""
    partitions = [key_of(t.name) for t in facts.tables if t.partition_of and key_of(t.partition_of) == key]
    facts.tables = [t for t in facts.tables if key_of(t.name) != key]
    for table in facts.tables:
        table.foreign_keys = [(c, r) for c, r in table.foreign_keys if key_of(r.table) != key]
        for col in table.columns:
            if col.references is not None and key_of(col.references.table) == key:
                col.references = None
                col.fk_marked = False
    facts.indexes = [i for i in facts.indexes if key_of(i.table) != key]
    facts.triggers = [t for t in facts.triggers if t.table is None or key_of(t.table) != key]
    facts.policies = [p for p in facts.policies if qkey(p.table) != key]
    facts.comments = [
        c for c in facts.comments if not (c.object_type in ("TABLE", "COLUMN") and key_of(c.target) == key)
    ]
    for grant in facts.grants:
        if grant.object_type == "TABLE":
            grant.objects = [o for o in grant.objects if key_of(o) != key]
    facts.grants = [g for g in facts.grants if g.objects or g.bulk]
    facts.sequences = [s for s in facts.sequences if s.owned_by is None or qkey(s.owned_by[0]) != key]
    for child in partitions:
        drop_table(facts, child)


def rename_table(facts: DocFacts, key: Key, new: str) -> None:
    freeze_names(facts, key)
    facts.table_index = TableIndex()  # names change in place
    new_key = (key[0], new)
    for table in facts.tables:
        if key_of(table.name) == key:
            table.name = _renamed(table.name, new)
        if table.partition_of is not None and key_of(table.partition_of) == key:
            table.partition_of = _renamed(table.partition_of, new)
        table.inherits = [_renamed(p, new) if key_of(p) == key else p for p in table.inherits]
        for ref in _references(table):
            if key_of(ref.table) == key:
                ref.table = _renamed(ref.table, new)
    for index in facts.indexes:
        if key_of(index.table) == key:
            index.table = _renamed(index.table, new)
    for view in facts.views:
        # a view stores what it reads, not the name: PostgreSQL shows it under the new name
        if mentions(view.definition, key[1], after_dot=True):
            view.definition = rename_word(view.definition, key[1], new, after_dot=True)
    for trigger in facts.triggers:
        if trigger.table is not None and key_of(trigger.table) == key:
            trigger.table = _renamed(trigger.table, new)
    facts.policies = [
        replace(p, table=QName(*new_key)) if qkey(p.table) == key else p for p in facts.policies
    ]
    for comment in facts.comments:
        if comment.object_type in ("TABLE", "COLUMN") and key_of(comment.target) == key:
            comment.target = _renamed(comment.target, new)
    for grant in facts.grants:
        if grant.object_type == "TABLE":
            grant.objects = [_renamed(o, new) if key_of(o) == key else o for o in grant.objects]
    facts.sequences = [
        replace(s, owned_by=(QName(*new_key), s.owned_by[1]))
        if s.owned_by is not None and qkey(s.owned_by[0]) == key
        else s
        for s in facts.sequences
    ]


def _references(table: TableFact) -> list[RefFact]:
    refs = [r for _, r in table.foreign_keys]
    refs += [c.references for c in table.columns if c.references is not None]
    return refs


# -- columns -------------------------------------------------------------------------------------------

UNSET = object()


def set_column(
    facts: DocFacts,
    key: Key,
    column: str,
    *,
    type_: tuple[str | None, str | None] | None = None,
    default: object = UNSET,
    nullable: bool | None = None,
) -> None:
    """What ALTER COLUMN changes, on every earlier fact about the column (so the facts agree)."""
    for table in table_facts(facts, key):
        for col in table.columns:
            if col.name != column:
                continue
            if type_ is not None:
                col.type, col.type_written = type_
            if default is not UNSET:
                col.default = default if isinstance(default, str) else None
            if nullable is not None:
                col.nullable = nullable
                if nullable and col.primary_key:
                    col.primary_key = False


def drop_column(facts: DocFacts, key: Key, column: str) -> None:
    """The column and the indexes and constraints that use it, as PostgreSQL drops them."""
    for table in table_facts(facts, key):
        table.columns = [c for c in table.columns if c.name != column]
        if table.primary_key and column in table.primary_key:
            table.primary_key = None
            table.primary_key_name = None
        table.uniques = [u for u in table.uniques if column not in u[0]]
        table.checks = [c for c in table.checks if not _check_uses(c, column)]
        table.foreign_keys = [(cols, r) for cols, r in table.foreign_keys if column not in cols]
        table.exclusions = [x for x in table.exclusions if not any(mentions(e, column) for e in x.elements)]
    facts.indexes = [
        i
        for i in facts.indexes
        if key_of(i.table) != key
        or not (any(mentions(k, column) for k in i.keys) or column in i.include or mentions(i.where, column))
    ]
    for table in facts.tables:
        table.foreign_keys = [
            (cols, r)
            for cols, r in table.foreign_keys
            if not (key_of(r.table) == key and column in r.columns)
        ]
        for col in table.columns:
            ref = col.references
            if ref is not None and key_of(ref.table) == key and column in ref.columns:
                col.references = None
    facts.comments = [
        c
        for c in facts.comments
        if not (c.object_type == "COLUMN" and key_of(c.target) == key and c.column == column)
    ]


def _check_uses(check: Check, column: str) -> bool:
    return column in check.columns if check.columns else mentions(check.expression, column)


def rename_column(facts: DocFacts, key: Key, old: str, new: str) -> None:
    """The column's new name, wherever the facts name it: constraints, indexes, references, comments."""
    freeze_names(facts, key)
    for table in table_facts(facts, key):
        for col in table.columns:
            if col.name == old:
                col.name = new
                col.quoted = new != new.lower()
                col.checks = tuple(rename_word(c, old, new) for c in col.checks)
        if table.primary_key:
            table.primary_key = [new if c == old else c for c in table.primary_key]
        table.uniques = [([new if c == old else c for c in cols], n, s, d) for cols, n, s, d in table.uniques]
        table.checks = [
            replace(
                c,
                expression=rename_word(c.expression, old, new),
                columns=tuple(new if x == old else x for x in c.columns),
            )
            for c in table.checks
        ]
        table.foreign_keys = [([new if c == old else c for c in cols], r) for cols, r in table.foreign_keys]
        table.exclusions = [
            replace(x, elements=tuple(rename_word(e, old, new) for e in x.elements)) for x in table.exclusions
        ]
    for index in facts.indexes:
        if key_of(index.table) == key:
            index.keys = [rename_word(k, old, new) for k in index.keys]
            index.include = [new if c == old else c for c in index.include]
            index.where = rename_word(index.where, old, new) if index.where else index.where
    for table in facts.tables:
        for ref in _references(table):
            if key_of(ref.table) == key:
                ref.columns = [new if c == old else c for c in ref.columns]
    for comment in facts.comments:
        if comment.object_type == "COLUMN" and key_of(comment.target) == key and comment.column == old:
            comment.column = new


# -- constraints ---------------------------------------------------------------------------------------


def freeze_names(facts: DocFacts, key: Key) -> None:
    """Give the table's unnamed constraints the names PostgreSQL gave them when they were created:
    a rename keeps those names, so a later DROP CONSTRAINT uses them."""
    table_name = key[1]
    for table in table_facts(facts, key):
        pk_columns = [c.name for c in table.columns if c.primary_key]
        if pk_columns and not table.primary_key:
            table.primary_key = pk_columns
            for col in table.columns:
                col.primary_key = False
        if table.primary_key and not table.primary_key_name:
            table.primary_key_name = pg_names.primary_key_name(table_name)
        table.uniques = [
            (cols, name or pg_names.unique_name(table_name, cols), span, nnd)
            for cols, name, span, nnd in table.uniques
        ]
        table.checks = [
            c if c.name else replace(c, name=pg_names.check_name(table_name, c.columns)) for c in table.checks
        ]
        for cols, ref in table.foreign_keys:
            ref.name = ref.name or pg_names.foreign_key_name(table_name, cols)
        for col in table.columns:
            if col.unique:
                table.uniques.append(
                    ([col.name], pg_names.unique_name(table_name, [col.name]), col.span, False)
                )
                col.unique = False
            if col.references is not None and not col.references.name:
                col.references.name = pg_names.foreign_key_name(table_name, [col.name])
            for check in col.checks:
                name = pg_names.check_name(table_name, [col.name])
                table.checks.append(Check(check, name=name, columns=(col.name,), span=col.span))
            col.checks = ()


def drop_constraint(facts: DocFacts, key: Key, name: str) -> bool:
    """Drop the table's constraint called ``name`` (its own name, or the one PostgreSQL gave it)."""
    return _constraint(facts, key, name, None)


def rename_constraint(facts: DocFacts, key: Key, name: str, new: str) -> bool:
    return _constraint(facts, key, name, new)


def _constraint(facts: DocFacts, key: Key, name: str, new: str | None) -> bool:
    """Find the constraint; drop it (``new`` None) or give it the name ``new``. Whether found."""
    table_name = key[1]
    for table in table_facts(facts, key):
        pk_cols = table.primary_key or [c.name for c in table.columns if c.primary_key]
        if pk_cols and (table.primary_key_name or pg_names.primary_key_name(table_name)) == name:
            if new is not None:
                table.primary_key, table.primary_key_name = list(pk_cols), new
                for col in table.columns:
                    col.primary_key = False
            else:
                # the key's columns stay NOT NULL, as PostgreSQL leaves them
                _not_null(facts, key, pk_cols)
                table.primary_key, table.primary_key_name = None, None
                for col in table.columns:
                    col.primary_key = False
            return True
        for i, (cols, uname, span, nnd) in enumerate(table.uniques):
            if (uname or pg_names.unique_name(table_name, cols)) == name:
                if new is None:
                    del table.uniques[i]
                else:
                    table.uniques[i] = (cols, new, span, nnd)
                return True
        for i, check in enumerate(table.checks):
            if (check.name or pg_names.check_name(table_name, check.columns)) == name:
                if new is None:
                    del table.checks[i]
                else:
                    table.checks[i] = replace(check, name=new)
                return True
        for i, (cols, ref) in enumerate(table.foreign_keys):
            if (ref.name or pg_names.foreign_key_name(table_name, cols)) == name:
                if new is None:
                    del table.foreign_keys[i]
                else:
                    ref.name = new
                return True
        for i, excl in enumerate(table.exclusions):
            if excl.name == name:
                if new is None:
                    del table.exclusions[i]
                else:
                    table.exclusions[i] = replace(excl, name=new)
                return True
        for col in table.columns:
            if _column_constraint(table, col, name, new):
                return True
    return False


def _not_null(facts: DocFacts, key: Key, columns: list[str]) -> None:
    for table in table_facts(facts, key):
        for col in table.columns:
            if col.name in columns:
                col.nullable = False


def _column_constraint(table: TableFact, col: ColumnFact, name: str, new: str | None) -> bool:
    """A constraint written on the column itself, by the name PostgreSQL gave it."""
    table_name = table.name.text
    if col.unique and pg_names.unique_name(table_name, [col.name]) == name:
        col.unique = False
        if new is not None:
            table.uniques.append(([col.name], new, col.span, False))
        return True
    ref = col.references
    if ref is not None and (ref.name or pg_names.foreign_key_name(table_name, [col.name])) == name:
        if new is None:
            col.references = None
            col.fk_marked = False
        else:
            ref.name = new
        return True
    if col.checks and pg_names.check_name(table_name, [col.name]) == name:
        if new is None:
            col.checks = col.checks[1:]
        else:
            table.checks.append(Check(col.checks[0], name=new, columns=(col.name,), span=col.span))
            col.checks = col.checks[1:]
        return True
    return False
