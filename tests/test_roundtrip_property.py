"""Property: for random schemas, write DDL -> build on a real server -> introspect -> write DDL
gives the same text.

The generated schemas are written in PostgreSQL's own spelling (the type names of
``format_type``, defaults and CHECK expressions as the catalog queries print them) and give every
constraint a name, because the property is about the writer and introspection keeping a schema
intact, not about PostgreSQL normalising text (the shadow-database comparison covers that).
Names are drawn to need quoting: mixed case, spaces, reserved words, quotes, dots, non-ASCII.
Each example builds in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from schemadoc.model import Check, Column, ForeignKey, Index, PrimaryKey, QName, Schema, Table, Unique
from schemadoc.pg.apply import apply_statements
from schemadoc.pg.connect import connect
from schemadoc.pg.introspect import introspect
from schemadoc.sqlnames import quote_ident
from schemadoc.write.ddl import ddl_text, render_ddl

Template = Callable[[str], str]


def _gt_zero(col: str) -> str:
    return f"{col} > 0"


def _ge_zero(col: str) -> str:
    return f"{col} >= 0"


def _ge_zero_numeric(col: str) -> str:
    return f"{col} >= 0::numeric"


def _text_length(col: str) -> str:
    return f"length({col}) > 0"


def _not_empty(col: str) -> str:
    return f"{col} <> ''::text"


# type -> (defaults as PostgreSQL prints them, CHECK templates over one column)
TYPES: dict[str, tuple[tuple[str, ...], tuple[Template, ...]]] = {
    "integer": (("0", "42", "'-1'::integer"), (_gt_zero, _ge_zero)),
    "bigint": (("7", "'5000000000'::bigint"), (_gt_zero,)),
    "smallint": (("3",), (_ge_zero,)),
    "text": (("'x''y'::text", "''::text"), (_text_length, _not_empty)),
    "boolean": (("true", "false"), ()),
    "numeric(10,2)": (("1.5", "0"), (_ge_zero_numeric,)),
    "character varying(20)": (("'hi'::character varying",), ()),
    "date": (("'2024-01-02'::date",), ()),
    "timestamp with time zone": (("now()",), ()),
    "uuid": (("gen_random_uuid()",), ()),
    "jsonb": (("'{}'::jsonb",), ()),
    "double precision": (("2.5",), ()),
    "text[]": (("'{}'::text[]",), ()),
    "integer[]": (("'{1,2}'::integer[]",), ()),
}
FK_ACTIONS = ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT")

RESERVED_WORDS = (
    "select", "order", "user", "table", "group", "from", "check", "default", "limit", "position",
    "primary", "references", "column", "constraint", "end", "time", "values", "when", "offset",
)  # fmt: skip
identifiers = st.one_of(
    st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
    st.from_regex(r"[A-Z][a-zA-Z0-9]{0,8}", fullmatch=True),  # mixed case
    st.from_regex(r"[a-z]{1,5} [A-Za-z0-9]{1,5}", fullmatch=True),  # a space
    st.sampled_from(RESERVED_WORDS),
    st.sampled_from(['quote"inside', "dot.name", "é_accent", "dollar$", "9lives", "semi;colon", "it's"]),
)


# PostgreSQL prints a name with "$" quoted inside an expression; the writer leaves it bare (both
# spell the same identifier). Expressions here are PostgreSQL's spelling, so they avoid such names.
def _in_expression(col: Column) -> bool:
    return "$" not in col.name


# A dot in a schema name cannot be told apart from the one in the model's "schema.name" keys.
schema_names = identifiers.filter(
    lambda n: "." not in n and n != "public" and not n.startswith("pg_") and n != "information_schema"
)


@st.composite
def schemas(draw: st.DrawFn) -> Schema:
    schema = draw(schema_names)
    n_tables = draw(st.integers(1, 4))
    # One pool for everything that shares a namespace: tables, indexes and constraint names.
    pool = iter(draw(st.lists(identifiers, min_size=n_tables * 8, max_size=n_tables * 8, unique=True)))
    tables: dict[QName, Table] = {}
    indexes: dict[QName, Index] = {}
    column_pools: dict[QName, Iterator[str]] = {}
    for _ in range(n_tables):
        name = next(pool)
        qname = QName(schema, name)
        names = iter(draw(st.lists(identifiers, min_size=8, max_size=8, unique=True)))
        column_pools[qname] = names
        columns: list[Column] = []
        for _ in range(draw(st.integers(1, 4))):
            col_type = draw(st.sampled_from(sorted(TYPES)))
            defaults = TYPES[col_type][0]
            default = draw(st.none() | st.sampled_from(defaults))
            columns.append(Column(next(names), col_type, draw(st.booleans()), default))
        pk: PrimaryKey | None = None
        if draw(st.booleans()):
            key = draw(
                st.lists(st.sampled_from([c.name for c in columns]), min_size=1, max_size=2, unique=True)
            )
            pk = PrimaryKey(tuple(key), next(pool))
            columns = [Column(c.name, c.type, False, c.default) if c.name in key else c for c in columns]
        # PostgreSQL drops a UNIQUE constraint on exactly the primary key's (or an earlier
        # UNIQUE's) columns without a word, so such a pair is not drawn.
        taken = {pk.columns} if pk else set()
        uniques: list[Unique] = []
        for _ in range(draw(st.integers(0, 1))):
            cols = tuple(
                draw(
                    st.lists(st.sampled_from([c.name for c in columns]), min_size=1, max_size=2, unique=True)
                )
            )
            if cols not in taken:
                taken.add(cols)
                uniques.append(Unique(cols, next(pool), draw(st.booleans())))
        checks: list[Check] = []
        for col in columns:
            templates = TYPES[col.type][1]
            if templates and _in_expression(col) and draw(st.integers(0, 3)) == 0:
                template = draw(st.sampled_from(templates))
                checks.append(Check(template(quote_ident(col.name)), next(pool), (col.name,)))
        tables[qname] = Table(schema, name, tuple(columns), pk, tuple(uniques), tuple(checks))
    # Foreign keys: each adds columns of the referenced key's types to the referencing table.
    for qname in list(tables):
        for _ in range(draw(st.integers(0, 1))):
            targets = [t for t in tables.values() if t.primary_key or t.uniques]
            if not targets:
                break
            target = draw(st.sampled_from(targets))
            keys = ([target.primary_key.columns] if target.primary_key else []) + [
                u.columns for u in target.uniques
            ]
            ref_columns = draw(st.sampled_from(keys))
            table = tables[qname]
            new_columns = [
                Column(next(column_pools[qname]), target.column(c).type)  # type: ignore[union-attr]
                for c in ref_columns
            ]
            fk = ForeignKey(
                tuple(c.name for c in new_columns),
                target.qname,
                ref_columns,
                draw(st.sampled_from(FK_ACTIONS)),
                draw(st.sampled_from(FK_ACTIONS)),
                draw(st.booleans()),
                deferrable := draw(st.booleans()),
                deferrable and draw(st.booleans()),
                next(pool),
            )
            tables[qname] = replace(
                table, columns=table.columns + tuple(new_columns), foreign_keys=(*table.foreign_keys, fk)
            )
    for table in list(tables.values()):
        for _ in range(draw(st.integers(0, 2))):
            key_columns = draw(
                st.lists(
                    st.sampled_from([c.name for c in table.columns]), min_size=1, max_size=2, unique=True
                )
            )
            keys = tuple(quote_ident(c) + draw(st.sampled_from(["", " DESC"])) for c in key_columns)
            numbers = [
                c for c in table.columns if c.type in ("integer", "bigint", "smallint") and _in_expression(c)
            ]
            where = None
            if numbers and draw(st.booleans()):
                where = _gt_zero(quote_ident(draw(st.sampled_from(numbers)).name))
            index_name = next(pool)
            indexes[QName(schema, index_name)] = Index(
                schema, index_name, table.qname, keys, draw(st.booleans()), "btree", where
            )
    return Schema(tables=tables, indexes=indexes)


def _schema_of(model: Schema) -> str:
    return next(iter(model.tables.values())).schema


def _comparable(model: Schema) -> Schema:
    """``model`` with each table's constraints in one order (the model keeps them in the order
    they were read) and without the list of schemas (introspection names the one it read)."""
    tables = {
        q: replace(
            t,
            uniques=tuple(sorted(t.uniques, key=lambda u: (u.columns, u.name or ""))),
            checks=tuple(sorted(t.checks, key=lambda c: (c.name or "", c.expression))),
            foreign_keys=tuple(sorted(t.foreign_keys, key=lambda f: (f.name or "", f.columns))),
        )
        for q, t in model.tables.items()
    }
    return replace(model, tables=tables, schemas=())


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(model=schemas())
def test_write_build_introspect_write_gives_the_same_ddl(database_url: str, model: Schema) -> None:
    statements, diags = render_ddl(model)
    assert diags == []
    written = ddl_text(statements)
    name = _schema_of(model)
    with connect(database_url) as conn:
        try:
            apply_statements(conn, statements)
            found = introspect(conn, schemas=[name])
        finally:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
            conn.commit()
    assert ddl_text(render_ddl(found)[0]) == written
    # The same model comes back too: a detail the writer leaves out on both passes (and so
    # renders the same twice) still differs here.
    assert _comparable(found) == _comparable(model)
