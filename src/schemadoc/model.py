"""The one schema model that every reader produces and every action consumes.

All objects are frozen, slotted dataclasses. Source spans and other provenance
fields are declared with ``compare=False``: two objects that compare equal
describe the same schema, wherever they were read from.

Names are stored as PostgreSQL sees them (unquoted identifiers already folded
to lower case). Tables, views, functions and types are keyed by their
qualified name, ``schema.name``; see :func:`qualify`.

SQL fragments (types, defaults, CHECK expressions, index predicates, view
bodies) are kept as SQL text that PostgreSQL accepts. Types use the spelling
of ``format_type`` where a reader can tell (``integer``, ``text``,
``timestamp with time zone``, ``character varying(255)``, ``double precision[]``).
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal, NamedTuple

from schemadoc.records import record, replace

DEFAULT_SCHEMA = "public"

FkAction = Literal["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]
FK_ACTIONS: tuple[FkAction, ...] = ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT")
# PostgreSQL's one-letter action codes, as pg_constraint.confdeltype and the parser's tree give them.
FK_ACTION_CODES: dict[str, FkAction] = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


@record(order=True)
class Span:
    """Where a fact was read: 1-based line and column in a document."""

    file: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class QName(NamedTuple):
    """A qualified name: a schema and a name, each as PostgreSQL stores it. Never a dotted
    string that is split again: ``"odd.name"`` is one table name, not a schema and a name.
    Printed (``str``), it is SQL text with each part quoted where PostgreSQL needs it."""

    schema: str
    name: str

    def __str__(self) -> str:
        from schemadoc.sqlnames import quote_ident

        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


def qualify(name: str, schema: str | None = None) -> QName:
    """``name`` in ``schema`` (the default schema when none is given). ``name`` is never split."""
    return QName(schema or DEFAULT_SCHEMA, name)


@record
class Column:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    identity: Literal["ALWAYS", "BY DEFAULT"] | None = None
    generated: str | None = None  # expression of a STORED generated column
    collation: str | None = None
    comment: str | None = None
    span: Span | None = field(default=None, compare=False)
    type_inferred: bool = field(default=False, compare=False)  # type was not written, we derived it
    # an identity's sequence options (INCREMENT, START, ...), as for Sequence.options
    identity_options: tuple[tuple[str, int | bool | None], ...] = field(default=(), compare=False)


@record
class PrimaryKey:
    columns: tuple[str, ...]
    name: str | None = field(default=None, compare=False)
    span: Span | None = field(default=None, compare=False)


@record
class Unique:
    columns: tuple[str, ...]
    name: str | None = field(default=None, compare=False)
    nulls_not_distinct: bool = False
    span: Span | None = field(default=None, compare=False)


@record
class Check:
    expression: str  # without the CHECK keyword and outer parentheses
    name: str | None = field(default=None, compare=False)
    columns: tuple[str, ...] = field(default=(), compare=False)  # columns the expression mentions
    span: Span | None = field(default=None, compare=False)
    # False: added NOT VALID and never validated (pg_constraint.convalidated); the rows that were
    # there before it are not known to keep it. Not part of equality: the same rule either way.
    validated: bool = field(default=True, compare=False)


@record
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: QName
    ref_columns: tuple[str, ...]
    on_delete: FkAction = "NO ACTION"
    on_update: FkAction = "NO ACTION"
    match_full: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    name: str | None = field(default=None, compare=False)
    span: Span | None = field(default=None, compare=False)
    # False: added NOT VALID and never validated, as for :class:`Check`
    validated: bool = field(default=True, compare=False)


@record
class Exclusion:
    """``EXCLUDE USING method (element WITH operator, ...) [INCLUDE (...)] [WHERE (...)]``."""

    elements: tuple[str, ...]  # each "key WITH operator", e.g. "room WITH =", "during WITH &&"
    method: str = "gist"
    where: str | None = None
    include: tuple[str, ...] = ()
    deferrable: bool = False
    initially_deferred: bool = False
    name: str | None = field(default=None, compare=False)
    span: Span | None = field(default=None, compare=False)


@record
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...] = ()
    primary_key: PrimaryKey | None = None
    uniques: tuple[Unique, ...] = ()
    checks: tuple[Check, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    comment: str | None = None
    rls_enabled: bool = False
    rls_forced: bool = False
    partition_by: str | None = None  # e.g. "RANGE (created_at)"
    partition_of: QName | None = None  # the parent
    partition_bound: str | None = None  # e.g. "FOR VALUES FROM (...) TO (...)"
    exclusions: tuple[Exclusion, ...] = ()
    inherits: tuple[QName, ...] = ()  # parents of INHERITS (...), in order; not partitioning
    stub: bool = field(default=False, compare=False)  # a stand-in for a table the document never defines
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None

    def with_column(self, column: Column) -> Table:
        """A copy with ``column`` added, or replacing the column of the same name."""
        cols = [c for c in self.columns if c.name != column.name]
        if len(cols) == len(self.columns):
            return replace(self, columns=(*self.columns, column))
        return replace(self, columns=tuple(column if c.name == column.name else c for c in self.columns))


@record
class Index:
    schema: str
    name: str
    table: QName
    keys: tuple[str, ...]  # each key as SQL: "paper_id", "completed_at DESC NULLS LAST", "lower(email)"
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False
    comment: str | None = None
    inferred: bool = field(default=False, compare=False)  # columns derived from the name, not written
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)


@record
class View:
    schema: str
    name: str
    definition: str  # the SELECT
    materialized: bool = False
    columns: tuple[str, ...] = ()  # output column names, when known
    comment: str | None = None
    # the search path the document's SQL had set where the view was written (empty: the default);
    # the view is built under it, so its unqualified names mean what they meant there
    search_path: tuple[str, ...] = field(default=(), compare=False)
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)


@record
class Function:
    schema: str
    name: str
    arguments: str  # argument list as SQL, e.g. "" or "a integer, b text"
    returns: str  # e.g. "trigger", "integer", "SETOF text"
    language: str
    body: str
    volatility: Literal["VOLATILE", "STABLE", "IMMUTABLE"] = "VOLATILE"
    security_definer: bool = False
    kind: Literal["function", "procedure"] = "function"
    strict: bool = False  # STRICT (RETURNS NULL ON NULL INPUT)
    parallel: Literal["SAFE", "RESTRICTED", "UNSAFE"] = "UNSAFE"
    # SET clauses as PostgreSQL keeps them (pg_proc.proconfig): "search_path=public, pg_temp"
    config: tuple[str, ...] = ()
    comment: str | None = None
    stub: bool = field(default=False, compare=False)  # a stand-in for a routine the document only calls
    # the search path set where the routine was written (empty: the default); it is created under it
    search_path: tuple[str, ...] = field(default=(), compare=False)
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)

    @property
    def signature(self) -> str:
        """The key of a function: its quoted qualified name and argument list as SQL."""
        return f"{self.qname}({self.arguments})"


@record
class Trigger:
    name: str
    table: QName
    function: QName  # without arguments
    timing: Literal["BEFORE", "AFTER", "INSTEAD OF"] = "BEFORE"
    events: tuple[str, ...] = ("UPDATE",)  # INSERT, UPDATE, DELETE, TRUNCATE; "UPDATE OF a, b" allowed
    for_each_row: bool = True
    when: str | None = None
    function_args: tuple[str, ...] = ()
    description: str | None = field(default=None, compare=False)  # what the document says it does
    span: Span | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[QName, str]:
        return (self.table, self.name)


@record
class Enum:
    schema: str
    name: str
    labels: tuple[str, ...]
    comment: str | None = None
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)


@record
class Domain:
    schema: str
    name: str
    base_type: str
    nullable: bool = True
    default: str | None = None
    checks: tuple[str, ...] = ()
    stub: bool = field(default=False, compare=False)  # a stand-in for a type the document never defines
    # a stand-in for an extension's type: built only where the server lacks the extension
    extension: str | None = field(default=None, compare=False)
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)


@record
class CompositeType:
    """``CREATE TYPE name AS (attribute type, ...)``."""

    schema: str
    name: str
    attributes: tuple[tuple[str, str], ...]  # (name, type) in order
    stub: bool = field(default=False, compare=False)  # a stand-in for a type the document only casts to
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)


@record
class RangeType:
    """``CREATE TYPE name AS RANGE (subtype = ..., ...)``. Options left out take PostgreSQL's
    defaults; ``multirange`` is None when the document leaves the name to PostgreSQL."""

    schema: str
    name: str
    subtype: str
    subtype_opclass: str | None = None
    collation: str | None = None
    subtype_diff: str | None = None  # function name
    multirange: str | None = None
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)


@record
class Sequence:
    schema: str
    name: str
    data_type: str = "bigint"
    owned_by: tuple[QName, str] | None = None  # (table, column)
    # INCREMENT, MINVALUE, ... as the document states them, or those a database's sequence holds
    # that differ from the defaults (see schemadoc.sequence_options); compared option by option
    options: tuple[tuple[str, int | bool | None], ...] = field(default=(), compare=False)
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)


@record
class Extension:
    name: str
    schema: str | None = None
    # --stub-missing: where the server lacks it, its types become stand-in domains over text (and the
    # functions of uuid-ossp and pgcrypto a document calls, stand-in functions)
    stand_in: bool = field(default=False, compare=False)
    span: Span | None = field(default=None, compare=False)


@record
class Role:
    name: str
    login: bool = False
    # SUPERUSER, REPLICATION, BYPASSRLS...: powers over the whole server, built only for a
    # trusted document (see read.screen); not compared: the catalog side never carries them
    powers: tuple[str, ...] = field(default=(), compare=False)
    created_by_document: bool = field(default=True, compare=False)  # False: only granted to, never created
    span: Span | None = field(default=None, compare=False)


@record
class Grant:
    """One privilege on one object for one grantee (grants are stored expanded)."""

    privilege: str  # SELECT, INSERT, ..., ALL, USAGE, EXECUTE
    object_type: Literal["TABLE", "SEQUENCE", "FUNCTION", "SCHEMA", "TYPE"]
    # a table, sequence or type: its QName; a schema: its name; a function: its signature
    object_name: QName | str
    grantee: str
    with_grant_option: bool = False
    span: Span | None = field(default=None, compare=False)


@record
class ColumnGrant:
    """One privilege on one column of a table or view for one grantee (``GRANT SELECT (a) ON t``)."""

    table: QName
    column: str
    privilege: str  # SELECT, INSERT, UPDATE, REFERENCES
    grantee: str
    with_grant_option: bool = False
    span: Span | None = field(default=None, compare=False)


@record
class Policy:
    name: str
    table: QName
    command: Literal["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"] = "ALL"
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None
    span: Span | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[QName, str]:
        return (self.table, self.name)


@record
class Collation:
    """CREATE COLLATION. ``from_collation`` is set for ``FROM existing`` (then the locale fields
    are what the copied collation has, unknown to the document)."""

    schema: str
    name: str
    provider: str = "libc"  # libc, icu or builtin
    lc_collate: str | None = None  # LC_COLLATE (LOCALE sets both, and the ICU locale)
    lc_ctype: str | None = None
    deterministic: bool = True
    from_collation: str | None = None  # FROM "C": the copied collation's name as SQL
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)


@record
class Aggregate:
    """CREATE AGGREGATE with its state function and type (ordinary aggregates: no moving-state or
    ordered-set options). Function and type names are SQL as written (introspection qualifies them)."""

    schema: str
    name: str
    arguments: str  # identity argument types, e.g. "integer", "anyelement", "*"
    state_function: str
    state_type: str
    final_function: str | None = None
    combine_function: str | None = None
    initial_condition: str | None = None
    search_path: tuple[str, ...] = field(default=(), compare=False)  # as for View
    span: Span | None = field(default=None, compare=False)

    @property
    def qname(self) -> QName:
        return QName(self.schema, self.name)

    @property
    def signature(self) -> str:
        return f"{self.qname}({self.arguments})"


@record
class Schema:
    """A whole database schema. Mappings are keyed by qualified name (or ``table.name`` for
    triggers and policies); grants are a sorted tuple."""

    tables: dict[QName, Table] = field(default_factory=dict)
    indexes: dict[QName, Index] = field(default_factory=dict)
    views: dict[QName, View] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)  # keyed by signature
    triggers: dict[tuple[QName, str], Trigger] = field(default_factory=dict)
    enums: dict[QName, Enum] = field(default_factory=dict)
    domains: dict[QName, Domain] = field(default_factory=dict)
    sequences: dict[QName, Sequence] = field(default_factory=dict)
    extensions: dict[str, Extension] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    grants: tuple[Grant, ...] = ()
    policies: dict[tuple[QName, str], Policy] = field(default_factory=dict)
    schemas: tuple[str, ...] = ()  # non-default schemas the document uses
    composites: dict[QName, CompositeType] = field(default_factory=dict)
    ranges: dict[QName, RangeType] = field(default_factory=dict)
    column_grants: tuple[ColumnGrant, ...] = ()  # sorted
    collations: dict[QName, Collation] = field(default_factory=dict)
    aggregates: dict[str, Aggregate] = field(default_factory=dict)  # keyed by signature

    def indexes_on(self, table_qname: QName) -> list[Index]:
        return sorted((i for i in self.indexes.values() if i.table == table_qname), key=lambda i: i.name)

    def triggers_on(self, table_qname: QName) -> list[Trigger]:
        return sorted((t for t in self.triggers.values() if t.table == table_qname), key=lambda t: t.name)

    def stand_ins(self) -> list[str]:
        """The objects built as stand-ins (``--stub-missing``): tables, routines (``name()``) and
        types, each as SQL text, sorted. An extension's type stands in only on a server without
        the extension, so it is not listed here."""
        names = [str(q) for q, t in self.tables.items() if t.stub]
        names += [f"{f.qname}()" for f in self.functions.values() if f.stub]
        names += [str(q) for q, d in self.domains.items() if d.stub and d.extension is None]
        names += [str(q) for q, c in self.composites.items() if c.stub]
        return sorted(set(names))

    def counts(self) -> dict[str, int]:
        """Numbers for a summary line."""
        tables = [t for t in self.tables.values() if not t.stub]
        return {
            "tables": len(tables),
            "columns": sum(len(t.columns) for t in tables),
            "constraints": sum(
                (1 if t.primary_key else 0) + len(t.uniques) + len(t.checks) + len(t.foreign_keys)
                for t in tables
            ),
            "indexes": len(self.indexes),
            "views": len(self.views),
            "functions": sum(1 for f in self.functions.values() if not f.stub),
            "triggers": len(self.triggers),
            "enums": len(self.enums),
        }
