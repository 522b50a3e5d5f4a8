"""Read a live database into the schema model.

One catalog query per object kind (the queries live in ``queries/*.sql``), never one
per table, so reading a database with thousands of tables costs a handful of round
trips. All queries run in one read-only snapshot with a fixed ``search_path`` of
``public``: PostgreSQL prints names outside it schema-qualified, the same way for
every database, so two databases introspected here compare cleanly.

Speed matters on large schemas: the catalog functions that print SQL
(``pg_get_constraintdef``, ``pg_get_expr``) are called once per object that needs
them and never per key column; a worker thread runs the queries while the rows
already fetched are turned into model objects.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Sequence as Seq
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import field
from importlib.resources import files
from typing import Any, Literal, cast

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row, tuple_row

from schemadoc import sequence_options
from schemadoc.diagnostics import fail
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import (
    DEFAULT_SCHEMA,
    FK_ACTION_CODES,
    Aggregate,
    Check,
    Collation,
    Column,
    ColumnGrant,
    CompositeType,
    Domain,
    Enum,
    Exclusion,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    Policy,
    PrimaryKey,
    QName,
    RangeType,
    Role,
    Schema,
    Sequence,
    Table,
    Trigger,
    Unique,
    View,
)
from schemadoc.records import record
from schemadoc.sqlnames import quote_ident

Row = dict[str, Any]

SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast"})

_IDENTITY: dict[str, Literal["ALWAYS", "BY DEFAULT"]] = {"a": "ALWAYS", "d": "BY DEFAULT"}
_VOLATILITY: dict[str, Literal["VOLATILE", "STABLE", "IMMUTABLE"]] = {
    "v": "VOLATILE",
    "s": "STABLE",
    "i": "IMMUTABLE",
}
_POLICY_COMMANDS: dict[str, Literal["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"]] = {
    "*": "ALL",
    "r": "SELECT",
    "a": "INSERT",
    "w": "UPDATE",
    "d": "DELETE",
}
_CHECK_SUFFIXES = (" NOT VALID", " NO INHERIT", " NOT ENFORCED")

# Bits of pg_trigger.tgtype.
_TG_ROW = 1
_TG_BEFORE = 2
_TG_INSERT = 4
_TG_DELETE = 8
_TG_UPDATE = 16
_TG_TRUNCATE = 32
_TG_INSTEAD = 64

# Bits of pg_index.indoption.
_IND_DESC = 1
_IND_NULLS_FIRST = 2


MIN_SERVER_VERSION = 150000
UNSUPPORTED_SERVER = "SD530"


def introspect(conn: psycopg.Connection[Any], *, schemas: Seq[str] | None = None) -> Schema:
    """Read the schema of the database behind ``conn``.

    ``schemas`` limits the result to those schemas; by default every schema except the
    system ones and those an extension created. Objects that belong to an extension
    are always left out. Needs PostgreSQL 15 or later.
    """
    if conn.info.server_version < MIN_SERVER_VERSION:
        raise fail(
            UNSUPPORTED_SERVER,
            f"PostgreSQL {conn.info.server_version // 10000} is not supported: "
            "schemadoc reads PostgreSQL 15 or later",
            hint="point schemadoc at a PostgreSQL 15+ server",
        )
    with _snapshot(conn), _gc_paused():
        names = _schema_names(conn, schemas)
        # One worker runs the queries in order while this thread turns the rows that
        # have arrived into model objects: on a large database the server's work and
        # ours overlap instead of adding up.
        params = {"schemas": names}
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="schemadoc-introspect") as worker:
            pending = {name: worker.submit(_fetch, conn, name, params) for name in _QUERIES}
            try:
                return _build(pending, names, conn.info.encoding)
            finally:
                for future in pending.values():
                    future.cancel()


# In the order they run, which is the order their rows are used in: the first error
# is then the one reported.
_QUERIES = (
    "comments",
    "opclasses",
    "columns",
    "tables",
    "constraints",
    "indexes",
    "views",
    "functions",
    "triggers",
    "grants",
    "policies",
    "column_grants",
    "enums",
    "domains",
    "composites",
    "ranges",
    "sequences",
    "extensions",
    "roles",
    "collations",
    "aggregates",
)


def _build(pending: dict[str, Future[list[Any]]], names: list[str], encoding: str) -> Schema:
    def rows(name: str) -> list[Any]:
        return pending[name].result()

    cat = _Catalog(
        comments={(kind, oid, subid): text for kind, oid, subid, text in rows("comments")},
        opclasses=dict(rows("opclasses")),
    )
    columns = cat.read_columns(rows("columns"))
    tables = cat.read_tables(rows("tables"), columns, rows("constraints"))
    indexes = [cat.index(r) for r in rows("indexes")]
    views = [_view(cat, r, columns) for r in rows("views")]
    functions = [_function(cat, r) for r in rows("functions")]
    triggers = [_trigger(r, encoding) for r in rows("triggers")]
    grants = [_grant(r) for r in rows("grants")]
    policies = [_policy(r) for r in rows("policies")]
    column_grants = [_column_grant(r) for r in rows("column_grants")]
    referenced = {g.grantee for g in grants} | {g.grantee for g in column_grants}
    referenced |= {r for p in policies for r in p.roles}
    return Schema(
        tables=tables,
        indexes={i.qname: i for i in indexes},
        views={v.qname: v for v in views},
        functions={f.signature: f for f in functions},
        triggers={t.key: t for t in triggers},
        enums={e.qname: e for e in (_enum(cat, r) for r in rows("enums"))},
        domains={d.qname: d for d in (_domain(r) for r in rows("domains"))},
        composites={t.qname: t for t in (_composite(r) for r in rows("composites"))},
        ranges={t.qname: t for t in (_range(r) for r in rows("ranges"))},
        sequences={s.qname: s for s in (_sequence(r) for r in rows("sequences"))},
        extensions={r["name"]: Extension(r["name"], r["schema"]) for r in rows("extensions")},
        roles={
            r["name"]: Role(r["name"], login=r["login"], created_by_document=False)
            for r in rows("roles")
            if r["name"] in referenced
        },
        grants=tuple(sorted(grants, key=_grant_key)),
        policies={p.key: p for p in policies},
        schemas=tuple(n for n in names if n != DEFAULT_SCHEMA),
        column_grants=tuple(sorted(column_grants, key=_column_grant_key)),
        collations={c.qname: c for c in (_collation(r) for r in rows("collations"))},
        aggregates={a.signature: a for a in (_aggregate(r) for r in rows("aggregates"))},
    )


# The kinds with one row per column, constraint or index come back as plain tuples
# (unpacked in the order of their query's select list): the cost of building a dict
# per row shows on large databases.
_TUPLE_ROWS = frozenset({"comments", "opclasses", "columns", "tables", "constraints", "indexes"})


@record(frozen=False)
class _Catalog:
    """Lookups shared by several object kinds (comments by object, operator classes
    that must be named, column names by relation and column number) and the readers
    of the kinds that need them."""

    comments: dict[tuple[str, int, int], str]
    opclasses: dict[int, str]
    attnames: dict[int, dict[int, str]] = field(default_factory=dict)
    inherited: dict[int, set[str]] = field(default_factory=dict)  # columns a table only inherits

    def comment(self, kind: str, oid: int, subid: int = 0) -> str | None:
        return self.comments.get((kind, oid, subid))

    def names(self, relid: int, attnums: Seq[int] | None) -> tuple[str, ...]:
        table = self.attnames.get(relid, {})
        return tuple([table.get(n) or str(n) for n in attnums or ()])

    def read_columns(self, rows: list[Any]) -> dict[int, list[Column]]:
        """Columns of every table and view, keyed by the relation's oid."""
        out: dict[int, list[Column]] = {}
        commented = {oid for kind, oid, subid in self.comments if kind == "class" and subid}
        for relid, attnum, name, type_, not_null, identity, generated, expr, collation, is_local, seq in rows:
            columns = out.get(relid)
            if columns is None:
                columns = out[relid] = []
                self.attnames[relid] = {}
            self.attnames[relid][attnum] = name
            if not is_local:
                self.inherited.setdefault(relid, set()).add(name)
            is_generated = generated == "s" or generated == "v"
            columns.append(
                Column(
                    name,
                    type_,
                    not not_null,
                    None if is_generated else expr,
                    _IDENTITY.get(identity),
                    expr if is_generated else None,
                    collation,
                    self.comments.get(("class", relid, attnum)) if relid in commented else None,
                    identity_options=_identity_options(type_, seq) if seq else (),
                )
            )
        return out

    def read_tables(
        self, table_rows: list[Any], columns: dict[int, list[Column]], constraint_rows: list[Any]
    ) -> dict[QName, Table]:
        by_table: dict[int, list[Any]] = defaultdict(list)
        for k in constraint_rows:
            by_table[k[0]].append(k)
        tables: dict[QName, Table] = {}
        for (
            oid,
            schema,
            name,
            rls_enabled,
            rls_forced,
            partition_by,
            p_schema,
            p_name,
            bound,
            parents,
        ) in table_rows:
            pk, uniques, checks, fks, exclusions = self._constraints(by_table.get(oid, ()))
            own = columns.get(oid, ())
            if parents:  # a table that INHERITS lists only the columns it declares itself
                inherited = self.inherited.get(oid, set())
                own = [c for c in own if c.name not in inherited]
            tables[QName(schema, name)] = Table(
                schema=schema,
                name=name,
                columns=tuple(own),
                primary_key=pk,
                uniques=tuple(sorted(uniques, key=lambda u: u.columns)),
                checks=tuple(checks),
                foreign_keys=tuple(sorted(fks, key=lambda f: (f.columns, f.ref_table, f.ref_columns))),
                comment=self.comments.get(("class", oid, 0)),
                rls_enabled=rls_enabled,
                rls_forced=rls_forced,
                partition_by=partition_by,
                partition_of=QName(p_schema, p_name) if p_name else None,
                partition_bound=bound,
                exclusions=tuple(sorted(exclusions, key=lambda x: (x.elements, x.where or ""))),
                inherits=tuple(QName(p[0], p[1]) for p in parents or ()),
            )
        return tables

    def _constraints(
        self, rows: Iterable[Any]
    ) -> tuple[PrimaryKey | None, list[Unique], list[Check], list[ForeignKey], list[Exclusion]]:
        pk: PrimaryKey | None = None
        uniques: list[Unique] = []
        checks: list[Check] = []
        fks: list[ForeignKey] = []
        exclusions: list[Exclusion] = []
        for (
            relid,
            name,
            kind,
            conkey,
            definition,
            nulls_not_distinct,
            ref_relid,
            ref_schema,
            ref_table,
            confkey,
            ref_names,
            on_delete,
            on_update,
            match_type,
            deferrable,
            deferred,
            validated,
        ) in rows:
            cols = self.names(relid, conkey)
            if kind == "p":
                pk = PrimaryKey(cols, name)
            elif kind == "u":
                uniques.append(Unique(cols, name, bool(nulls_not_distinct)))
            elif kind == "c":
                checks.append(Check(check_expression(definition), name, cols, None, validated))
            elif kind == "x":
                exclusions.append(exclusion(definition, name, deferrable, deferred))
            else:
                fks.append(
                    ForeignKey(
                        cols,
                        QName(ref_schema, ref_table),
                        tuple(ref_names) if ref_names is not None else self.names(ref_relid, confkey),
                        FK_ACTION_CODES[on_delete],
                        FK_ACTION_CODES[on_update],
                        match_type == "f",
                        deferrable,
                        deferred,
                        name,
                        None,
                        validated,
                    )
                )
        return pk, uniques, checks, fks, exclusions

    def index(self, row: Any) -> Index:
        (
            relid,
            schema,
            name,
            table_schema,
            table_name,
            unique,
            method,
            key_count,
            attnums,
            expressions,
            options,
            opclasses,
            predicate,
            nulls_not_distinct,
            oid,
        ) = row
        table = self.attnames.get(relid, {})
        # key and INCLUDE columns as SQL: a column by name, an expression (attnum 0) as
        # printed, in parentheses unless it is a function call (as pg_get_indexdef does)
        printed = iter(index_expression(e) for e in split_list(expressions)) if expressions else iter(())
        columns = [quote_ident(table.get(n, str(n))) if n else next(printed) for n in attnums]
        keys: list[str] = []
        for position in range(key_count):
            key = columns[position]
            opclass = self.opclasses.get(opclasses[position])
            if opclass:
                key += f" {opclass}"
            option = options[position]
            if option & _IND_DESC:
                key += " DESC" if option & _IND_NULLS_FIRST else " DESC NULLS LAST"
            elif option & _IND_NULLS_FIRST:
                key += " NULLS FIRST"
            keys.append(key)
        return Index(
            schema,
            name,
            QName(table_schema, table_name),
            tuple(keys),
            unique,
            method,
            predicate,
            tuple(columns[key_count:]),
            bool(nulls_not_distinct),
            self.comments.get(("class", oid, 0)),
        )


def query_text(name: str) -> str:
    """The text of catalog query ``name`` (a file in ``queries/``)."""
    return (files("schemadoc.pg") / "queries" / f"{name}.sql").read_text(encoding="utf-8")


def _query(conn: psycopg.Connection[Any], name: str, params: Mapping[str, Any]) -> list[Row]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query_text(name).encode(), params)
        return cur.fetchall()


def _fetch(conn: psycopg.Connection[Any], name: str, params: Mapping[str, Any]) -> list[Any]:
    """The rows of query ``name``: tuples for the high-volume kinds, dicts otherwise."""
    factory = tuple_row if name in _TUPLE_ROWS else dict_row
    with conn.cursor(row_factory=factory, binary=True) as cur:  # binary: less parsing here
        cur.execute(query_text(name).encode(), params)
        return cur.fetchall()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of objects are made:
    none of them form cycles, and its repeated passes cost more than the reading."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _snapshot(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Run the catalog queries in one read-only snapshot with a known search_path.

    When the caller already has a transaction open, the settings are changed for the
    session and put back afterwards.
    """
    settings = {"search_path": DEFAULT_SCHEMA, "jit": "off"}
    if conn.info.transaction_status == TransactionStatus.IDLE:
        with conn.transaction():
            conn.execute(b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for name, value in settings.items():
                conn.execute(b"SELECT pg_catalog.set_config(%s, %s, true)", (name, value))
            yield
        return
    saved = {
        name: conn.execute(b"SELECT pg_catalog.current_setting(%s)", (name,)).fetchone() for name in settings
    }
    for name, value in settings.items():
        conn.execute(b"SELECT pg_catalog.set_config(%s, %s, false)", (name, value))
    try:
        yield
    finally:
        for name, row in saved.items():
            if row is not None:
                conn.execute(b"SELECT pg_catalog.set_config(%s, %s, false)", (name, row[0]))


def _schema_names(conn: psycopg.Connection[Any], schemas: Seq[str] | None) -> list[str]:
    if schemas is not None:
        return sorted({s for s in schemas if s not in SYSTEM_SCHEMAS})
    return [r["name"] for r in _query(conn, "namespaces", {})]


def _qname(schema: str, name: str) -> QName:
    return QName(schema, name)


def _unquoted(text: str) -> Iterator[tuple[int, str]]:
    """Positions and characters of ``text`` outside string literals and quoted names."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            backslash = ch == "'" and i > 0 and text[i - 1] in "Ee"
            i += 1
            while i < n:
                if backslash and text[i] == "\\":
                    i += 2
                    continue
                if text[i] == ch:
                    if i + 1 < n and text[i + 1] == ch:
                        i += 2
                        continue
                    break
                i += 1
        else:
            yield i, ch
        i += 1


def split_list(text: str) -> list[str]:
    """Split a printed expression list (``a, lower(b), (c + d)``) at its top-level commas."""
    parts: list[str] = []
    depth = start = 0
    for i, ch in _unquoted(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


_CALL_START = lazy_regex(r'^(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)(?:\.(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*))*\(')


def index_expression(expr: str) -> str:
    """An index key expression as CREATE INDEX needs it: a function call as is, anything
    else in parentheses."""
    start = _CALL_START.match(expr)
    if start:
        depth = 0
        for i, ch in _unquoted(expr):
            if i < start.end() - 1:
                continue
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                if i == len(expr) - 1:
                    return expr
                break
    return f"({expr})"


def check_expression(definition: str) -> str:
    """The expression of ``CHECK (expr) [NO INHERIT] [NOT VALID] [NOT ENFORCED]``."""
    text = definition.strip()
    changed = True
    while changed:
        changed = False
        for suffix in _CHECK_SUFFIXES:
            if text.endswith(suffix):
                text = text[: -len(suffix)].rstrip()
                changed = True
    if text.startswith("CHECK (") and text.endswith(")"):
        text = text[len("CHECK (") : -1]
    return text.strip()


def _paren_group(text: str, start: int) -> tuple[int, int] | None:
    """Where the parenthesised group opening at or after ``start`` has its inside: (first, end)."""
    depth = 0
    first = -1
    for i, ch in _unquoted(text):
        if i < start:
            continue
        if ch == "(":
            depth += 1
            if depth == 1 and first < 0:
                first = i + 1
        elif ch == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                return first, i
    return None


def _unquote_ident(text: str) -> str:
    """A column name as PostgreSQL prints it (quoted only where it must be) without its quotes."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text


def exclusion(definition: str, name: str | None, deferrable: bool, deferred: bool) -> Exclusion:
    """An exclusion constraint from ``pg_get_constraintdef``: ``EXCLUDE USING gist (room WITH =,
    during WITH &&) [INCLUDE (a)] [WHERE ((predicate))] [DEFERRABLE ...]``."""
    method = definition.split("USING ", 1)[1].split(" ", 1)[0] if "USING " in definition else "gist"
    group = _paren_group(definition, 0)
    if group is None:
        return Exclusion((definition,), method, name=name)
    elements = tuple(split_list(definition[group[0] : group[1]]))
    rest_at = group[1] + 1
    include: tuple[str, ...] = ()
    if definition.startswith(" INCLUDE (", rest_at):
        inc = _paren_group(definition, rest_at)
        if inc is not None:
            include = tuple(_unquote_ident(c) for c in split_list(definition[inc[0] : inc[1]]))
            rest_at = inc[1] + 1
    where = None
    if definition.startswith(" WHERE (", rest_at):
        pred = _paren_group(definition, rest_at)
        if pred is not None:
            where = definition[pred[0] : pred[1]]
    return Exclusion(elements, method, where, include, deferrable, deferred, name)


def _composite(r: Row) -> CompositeType:
    return CompositeType(
        schema=r["schema"],
        name=r["name"],
        attributes=tuple(zip(r["attribute_names"], r["attribute_types"], strict=True)),
    )


def _collation(r: Row) -> Collation:
    locale = r["locale"]
    return Collation(
        schema=r["schema"],
        name=r["name"],
        provider=r["provider"],
        lc_collate=r["lc_collate"] if locale is None else locale,
        lc_ctype=r["lc_ctype"] if locale is None else locale,
        deterministic=r["deterministic"],
    )


def _aggregate(r: Row) -> Aggregate:
    return Aggregate(
        schema=r["schema"],
        name=r["name"],
        arguments=r["arguments"],
        state_function=r["state_function"],
        state_type=r["state_type"],
        final_function=r["final_function"],
        combine_function=r["combine_function"],
        initial_condition=r["initial_condition"],
    )


def _range(r: Row) -> RangeType:
    return RangeType(
        schema=r["schema"],
        name=r["name"],
        subtype=r["subtype"],
        subtype_opclass=r["subtype_opclass"],
        collation=r["collation"],
        subtype_diff=r["subtype_diff"],
        multirange=r["multirange"],
    )


def _column_grant(r: Row) -> ColumnGrant:
    return ColumnGrant(
        table=_qname(r["schema"], r["table_name"]),
        column=r["column_name"],
        privilege=r["privilege"],
        grantee=r["grantee"],
        with_grant_option=r["with_grant_option"],
    )


def _column_grant_key(g: ColumnGrant) -> tuple[QName, str, str, str, bool]:
    return (g.table, g.column, g.grantee, g.privilege, g.with_grant_option)


def _view(cat: _Catalog, r: Row, columns: dict[int, list[Column]]) -> View:
    return View(
        schema=r["schema"],
        name=r["name"],
        definition=r["definition"].strip().removesuffix(";").rstrip(),
        materialized=r["materialized"],
        columns=tuple(c.name for c in columns.get(r["oid"], ())),
        comment=cat.comment("class", r["oid"]),
    )


_PARALLEL: dict[str, Literal["SAFE", "RESTRICTED", "UNSAFE"]] = {
    "s": "SAFE",
    "r": "RESTRICTED",
    "u": "UNSAFE",
}


def _function(cat: _Catalog, r: Row) -> Function:
    return Function(
        schema=r["schema"],
        name=r["name"],
        arguments=r["arguments"],
        returns=r["returns"] or "",
        language=r["language"],
        body=r["body"] or "",
        volatility=_VOLATILITY[r["volatility"]],
        security_definer=r["security_definer"],
        kind="procedure" if r["kind"] == "p" else "function",
        strict=bool(r["strict"]) and r["kind"] != "p",
        parallel=_PARALLEL.get(r["parallel"], "UNSAFE") if r["kind"] != "p" else "UNSAFE",
        config=tuple(r["config"] or ()),
        comment=cat.comment("proc", r["oid"]),
    )


def trigger_when(definition: str) -> str | None:
    """The WHEN condition cut out of a ``pg_get_triggerdef(oid, true)`` text."""
    start = definition.find(" WHEN (")
    end = definition.rfind(") EXECUTE ")
    if start < 0 or end < start:
        return None
    return definition[start + len(" WHEN (") : end]


def _trigger(r: Row, encoding: str) -> Trigger:
    tgtype: int = r["tgtype"]
    if tgtype & _TG_BEFORE:
        timing: Literal["BEFORE", "AFTER", "INSTEAD OF"] = "BEFORE"
    elif tgtype & _TG_INSTEAD:
        timing = "INSTEAD OF"
    else:
        timing = "AFTER"
    events: list[str] = []
    if tgtype & _TG_INSERT:
        events.append("INSERT")
    if tgtype & _TG_UPDATE:
        cols = r["update_columns"]
        events.append("UPDATE OF " + ", ".join(cols) if cols else "UPDATE")
    if tgtype & _TG_DELETE:
        events.append("DELETE")
    if tgtype & _TG_TRUNCATE:
        events.append("TRUNCATE")
    raw: bytes = r["args"] or b""
    args = tuple(a.decode(encoding) for a in raw.split(b"\x00")[: r["nargs"]])
    return Trigger(
        name=r["name"],
        table=_qname(r["schema"], r["table_name"]),
        function=_qname(r["function_schema"], r["function_name"]),
        timing=timing,
        events=tuple(events),
        for_each_row=bool(tgtype & _TG_ROW),
        when=trigger_when(r["definition"]) if r["definition"] else None,
        function_args=args,
    )


def _enum(cat: _Catalog, r: Row) -> Enum:
    return Enum(
        schema=r["schema"], name=r["name"], labels=tuple(r["labels"]), comment=cat.comment("type", r["oid"])
    )


def _domain(r: Row) -> Domain:
    return Domain(
        schema=r["schema"],
        name=r["name"],
        base_type=r["base_type"],
        nullable=not r["not_null"],
        default=r["default"],
        checks=tuple(check_expression(c) for c in r["checks"]),
    )


def _identity_options(data_type: str, values: list[int]) -> tuple[tuple[str, int | bool | None], ...]:
    """An identity sequence's options that differ from the defaults (``values`` in
    :data:`sequence_options.OPTIONS` order, CYCLE as 0 or 1)."""
    held: dict[str, int | bool] = dict(zip(sequence_options.OPTIONS, values, strict=True))
    held["cycle"] = bool(held["cycle"])
    return sequence_options.non_default(data_type, held)


def _sequence(r: Row) -> Sequence:
    owned_by = None
    if r["owner_table"] is not None:
        owned_by = (QName(r["owner_schema"], r["owner_table"]), r["owner_column"])
    values = {name: r[name] for name in sequence_options.OPTIONS}
    return Sequence(
        schema=r["schema"],
        name=r["name"],
        data_type=r["data_type"],
        owned_by=owned_by,
        options=sequence_options.non_default(r["data_type"], values),
    )


def _grant(r: Row) -> Grant:
    object_type = cast(Literal["TABLE", "SEQUENCE", "FUNCTION", "SCHEMA", "TYPE"], r["object_type"])
    name: QName | str
    if object_type == "SCHEMA":
        name = r["name"]
    elif object_type == "FUNCTION":
        name = f"{_qname(r['schema'], r['name'])}({r['arguments']})"
    else:
        name = _qname(r["schema"], r["name"])
    return Grant(
        privilege=r["privilege"],
        object_type=object_type,
        object_name=name,
        grantee=r["grantee"],
        with_grant_option=r["with_grant_option"],
    )


def _grant_key(g: Grant) -> tuple[str, QName | str, str, str, bool]:
    return (g.object_type, g.object_name, g.grantee, g.privilege, g.with_grant_option)


def _policy(r: Row) -> Policy:
    return Policy(
        name=r["name"],
        table=_qname(r["schema"], r["table_name"]),
        command=_POLICY_COMMANDS[r["command"]],
        permissive=r["permissive"],
        roles=tuple(r["roles"]),
        using=r["using_expr"],
        with_check=r["check_expr"],
    )
