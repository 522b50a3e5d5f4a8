"""What the readers hand to the resolver.

Each reader looks at one block of a document and records what it states, with
the span it came from, *as written*: names keep their original spelling and
may name one entity several ways (``Profile``, ``profiles``, ``public.profiles``).
Nothing here is merged or checked yet; :mod:`schemadoc.read.resolve` turns a
:class:`DocFacts` into one :class:`~schemadoc.model.Schema`.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from schemadoc.diagnostics import Diagnostic
from schemadoc.model import (
    Aggregate,
    Check,
    Collation,
    CompositeType,
    Domain,
    Enum,
    Exclusion,
    Extension,
    FkAction,
    Function,
    Policy,
    RangeType,
    Role,
    Sequence,
    Span,
)
from schemadoc.records import record

Source = Literal["sql", "columns", "bullets", "relations", "mermaid", "prose"]


@record(frozen=False)
class Name:
    """An identifier as written. ``quoted`` is true when it was a quoted SQL identifier
    (its case is then significant); names from markdown are not quoted."""

    text: str
    schema: str | None = None
    quoted: bool = False

    def __str__(self) -> str:
        return f"{self.schema}.{self.text}" if self.schema else self.text


@record(frozen=False)
class RefFact:
    """A foreign key as written on a column or a table."""

    table: Name
    columns: list[str] = field(default_factory=list)  # empty: the referenced table's primary key
    on_delete: FkAction | None = None  # None: not stated
    on_update: FkAction | None = None
    name: str | None = None
    deferrable: bool = False
    initially_deferred: bool = False
    match_full: bool = False
    validated: bool = True  # False: added NOT VALID, and no later VALIDATE CONSTRAINT
    span: Span | None = None


@record(frozen=False)
class ColumnFact:
    name: str
    span: Span
    quoted: bool = False
    type: str | None = None  # normalized SQL type, or None when the block does not give one
    type_written: str | None = None  # the type as the document wrote it
    nullable: bool | None = None  # None: not stated
    default: str | None = None  # SQL expression
    primary_key: bool = False
    unique: bool = False
    references: RefFact | None = None
    # CHECK expressions written on the column (a tuple: most columns have none, and share the empty one)
    checks: tuple[str, ...] = ()
    values: list[str] | None = None  # an allowed-value list stated for the column
    identity: Literal["ALWAYS", "BY DEFAULT"] | None = None
    identity_options: tuple[tuple[str, int | bool | None], ...] | None = None  # None: none stated
    generated: str | None = None
    collation: str | None = None
    description: str | None = None
    auto_updated: bool = False  # "AUTO", "@updatedAt": the application (or a trigger) refreshes it
    indexed: bool = False  # "INDEXED" among the column's constraints: an index on the column
    fk_marked: bool = False  # marked FK; ``references`` says what it references, when the block says
    # ON DELETE / ON UPDATE written before the column's reference is known (another cell gives it)
    # actions written before the reference was known; None when there are none (most columns)
    pending_actions: dict[str, FkAction] | None = None


@record(frozen=False)
class TableFact:
    """A table as one block states it. Several facts may describe the same table."""

    name: Name
    span: Span
    source: Source
    columns: list[ColumnFact] = field(default_factory=list)
    primary_key: list[str] | None = None
    primary_key_name: str | None = None
    uniques: list[tuple[list[str], str | None, Span, bool]] = field(default_factory=list)
    #   (columns, constraint name, span, nulls_not_distinct)
    checks: list[Check] = field(default_factory=list)
    foreign_keys: list[tuple[list[str], RefFact]] = field(default_factory=list)
    description: str | None = None
    alter: bool = False  # ALTER TABLE: adds to a table defined elsewhere
    if_not_exists: bool = False
    rls_enabled: bool | None = None
    rls_forced: bool | None = None
    partition_by: str | None = None
    partition_of: Name | None = None
    partition_bound: str | None = None
    exclusions: list[Exclusion] = field(default_factory=list)
    inherits: list[Name] = field(default_factory=list)  # INHERITS (...) parents, in order


@record(frozen=False)
class IndexFact:
    """An index. ``keys`` is empty when the document gives only a name and a purpose."""

    name: str | None
    table: Name
    span: Span
    keys: list[str] = field(default_factory=list)
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: list[str] = field(default_factory=list)
    nulls_not_distinct: bool = False
    purpose: str | None = None  # the prose that came with a name-only index
    schema: str | None = None


@record(frozen=False)
class FkActionFact:
    """Prose such as "ON DELETE CASCADE from papers": the action of the table's FK(s) to ``parent``."""

    table: Name
    parent: Name
    span: Span
    on_delete: FkAction | None = None
    on_update: FkAction | None = None


@record(frozen=False)
class RelationshipFact:
    """An ER edge or a "A -> B (one-to-many, cascade delete)" line: ``child`` refers to ``parent``."""

    parent: Name
    child: Name
    span: Span
    label: str | None = None
    on_delete: FkAction | None = None
    optional: bool | None = None


@record(frozen=False)
class ViewFact:
    name: Name
    definition: str
    span: Span
    materialized: bool = False
    columns: list[str] = field(default_factory=list)  # explicit column list, when written
    description: str | None = None
    search_path: tuple[str, ...] = ()  # the search path SQL had set where it was written


@record(frozen=False)
class TriggerFact:
    """A trigger. ``table``/``function`` may be missing when the document names it only in prose;
    the resolver fills them from context or reports it."""

    name: str
    span: Span
    table: Name | None = None
    function: Name | None = None
    timing: Literal["BEFORE", "AFTER", "INSTEAD OF"] | None = None
    events: list[str] = field(default_factory=list)
    for_each_row: bool = True
    when: str | None = None
    function_args: list[str] = field(default_factory=list)
    description: str | None = None


@record(frozen=False)
class ValueListFact:
    """Allowed values stated for a column outside its own definition (appendix, lifecycle list,
    "Status Values: ..."). ``enum_name`` is set when the list is a named enum type."""

    values: list[str]
    span: Span
    table: Name | None = None
    column: str | None = None
    enum_name: str | None = None


@record(frozen=False)
class GrantFact:
    """A grant on the named ``objects`` (a function by its name; a schema as ``Name(schema)``),
    or, when ``bulk`` is set, on "ALL TABLES", "ALL SEQUENCES" or "ALL FUNCTIONS" in ``schema``."""

    privileges: list[str]  # ["ALL"] or ["SELECT", "INSERT", ...]; "UPDATE (a, b)" kept whole
    object_type: Literal["TABLE", "SEQUENCE", "FUNCTION", "SCHEMA", "TYPE"]
    objects: list[Name]
    grantees: list[str]
    span: Span
    with_grant_option: bool = False
    schema: str | None = None
    bulk: str | None = None
    column_privileges: list[tuple[str, list[str]]] = field(default_factory=list)
    #   ("UPDATE", ["a", "b"]) for GRANT UPDATE (a, b): column names as PostgreSQL folds them


@record(frozen=False)
class CommentFact:
    object_type: str  # TABLE, COLUMN, VIEW, INDEX, FUNCTION, TYPE, ...
    target: Name  # the object; for a column, its table
    text: str | None
    span: Span
    column: str | None = None  # COMMENT ON COLUMN: the column


@record(frozen=False)
class MentionFact:
    """A table named in an overview or a list without being defined there."""

    name: Name
    span: Span
    context: str = ""


_READER_STATE = frozenset({"search_path", "replay", "table_index"})  # not facts: never merged


@record(frozen=False)
class TableIndex:
    """SQL reader state: the table facts by ``(schema, name)``, kept for the statements of a
    migration set that act on earlier tables (rebuilt when ``DocFacts.tables`` is replaced)."""

    tables: list[TableFact] | None = None  # the list indexed (identity), up to ``size`` entries
    size: int = 0
    by_key: dict[tuple[str, str], list[TableFact]] = field(default_factory=dict)


@record(frozen=False)
class DocFacts:
    """Everything the readers found in one or more documents, in reading order."""

    tables: list[TableFact] = field(default_factory=list)
    indexes: list[IndexFact] = field(default_factory=list)
    fk_actions: list[FkActionFact] = field(default_factory=list)
    relationships: list[RelationshipFact] = field(default_factory=list)
    views: list[ViewFact] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    triggers: list[TriggerFact] = field(default_factory=list)
    enums: list[Enum] = field(default_factory=list)
    value_lists: list[ValueListFact] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    grants: list[GrantFact] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    sequences: list[Sequence] = field(default_factory=list)
    comments: list[CommentFact] = field(default_factory=list)
    mentions: list[MentionFact] = field(default_factory=list)
    schemas: list[str] = field(default_factory=list)
    key_defaults: list[tuple[str, Span]] = field(default_factory=list)
    #   "UUIDs for primary keys, generated via gen_random_uuid()": a default for uuid primary keys
    domains: list[Domain] = field(default_factory=list)
    composites: list[CompositeType] = field(default_factory=list)
    ranges: list[RangeType] = field(default_factory=list)
    collations: list[Collation] = field(default_factory=list)
    aggregates: list[Aggregate] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # what a document without tables was seen to hold (tables it names and what each lacks, code
    # blocks skipped), as (span, text): told only in the "no tables found" error
    thin: list[tuple[Span, str]] = field(default_factory=list)
    # the search path an SQL block's SET left in force (SQL reader state; empty: the default)
    search_path: list[str] = field(default_factory=list)
    # whether statements that alter or drop earlier objects are replayed (SQL reader state; off in a
    # deployment section)
    replay: bool = True
    table_index: TableIndex = field(default_factory=TableIndex)

    def extend(self, other: DocFacts) -> None:
        for name in self.__dataclass_fields__:
            if name not in _READER_STATE:
                getattr(self, name).extend(getattr(other, name))
