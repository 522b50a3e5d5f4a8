"""A :class:`~schemadoc.model.Schema` as PostgreSQL DDL for a fresh database.

Statements come in dependency order: schemas, extensions, roles, types, sequences,
tables (with their keys and checks), foreign keys (after every table, so circular references
compile), indexes (those on partitions first, so that an index on the parent adopts them
instead of creating its own), the foreign keys that reference the columns of a unique index
rather than of a key constraint, functions and views (each after what it uses),
triggers, grants, row-level security, policies and comments. Within a group objects
are sorted by qualified name, so the same schema always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemadoc.diagnostics import Diagnostic
from schemadoc.model import (
    DEFAULT_SCHEMA,
    Aggregate,
    ColumnGrant,
    ForeignKey,
    Function,
    Grant,
    Index,
    Policy,
    QName,
    Role,
    Schema,
    Table,
    Trigger,
    View,
)
from schemadoc.model import Sequence as SequenceDef
from schemadoc.sqlnames import quote_ident
from schemadoc.write.ddl_access import (
    column_grant_statements,
    grant_statements,
    is_role_keyword,
    policy_statement,
    rls_statements,
    role_statement,
)
from schemadoc.write.ddl_comments import comment_statements, table_comment_statements
from schemadoc.write.ddl_extensions import extension_stand_ins, extension_statements
from schemadoc.write.ddl_kinds import aggregate_statement, collation_statement
from schemadoc.write.ddl_routines import (
    early_functions,
    function_statement,
    ordered_routines_and_views,
    trigger_statement,
    under_search_path,
    view_statement,
)
from schemadoc.write.ddl_tables import (
    foreign_key_statements,
    index_statement,
    not_valid_check_statements,
    ordered_tables,
    sequence_owner_statement,
    sequence_statement,
    table_statement,
)
from schemadoc.write.ddl_types import type_statements
from schemadoc.write.implicit import undeclared_sequences
from schemadoc.write.statement import Statement

__all__ = ["Statement", "ddl_text", "render_ddl", "table_statements"]

_BUILTIN_SCHEMAS = frozenset({DEFAULT_SCHEMA, "pg_catalog", "information_schema"})


def _schema_names(schema: Schema, implicit: list[SequenceDef]) -> list[str]:
    names = set(schema.schemas) | {seq.schema for seq in implicit}
    for group in (
        schema.tables,
        schema.indexes,
        schema.views,
        schema.enums,
        schema.domains,
        schema.composites,
        schema.ranges,
        schema.sequences,
    ):
        names.update(obj.schema for obj in group.values())
    names.update(fn.schema for fn in schema.functions.values())
    names.update(ext.schema for ext in schema.extensions.values() if ext.schema)
    return sorted(n for n in names if n and n not in _BUILTIN_SCHEMAS)


def _roles(schema: Schema) -> list[Role]:
    """The document's roles, plus any role it grants to or names in a policy without
    listing it (created the same way as a role it never creates)."""
    roles = dict(schema.roles)
    mentioned = [g.grantee for g in schema.grants] + [g.grantee for g in schema.column_grants]
    for policy in schema.policies.values():
        mentioned.extend(policy.roles)
    for name in mentioned:
        if name and name not in roles:
            roles[name] = Role(name, created_by_document=False)
    return [roles[n] for n in sorted(roles) if not is_role_keyword(roles[n].name)]


def _partition_depth(schema: Schema, table_qname: QName) -> int:
    """How many parents a partition has (0 for any other table)."""
    depth = 0
    seen = {table_qname}
    table = schema.tables.get(table_qname)
    while table is not None and table.partition_of and table.partition_of not in seen:
        depth += 1
        seen.add(table.partition_of)
        table = schema.tables.get(table.partition_of)
    return depth


def _on_key_constraint(schema: Schema, fk: ForeignKey) -> bool:
    """Whether the columns a foreign key references are the referenced table's primary key or
    one of its UNIQUE constraints (built with the table), rather than only a unique index."""
    ref = schema.tables.get(fk.ref_table)
    if ref is None:
        return True
    wanted = set(fk.ref_columns)
    if ref.primary_key is not None and set(ref.primary_key.columns) == wanted:
        return True
    return any(set(u.columns) == wanted for u in ref.uniques)


def schema_statement(name: str, *, if_not_exists: bool = True) -> Statement:
    guard = " IF NOT EXISTS" if if_not_exists else ""
    return Statement(f"CREATE SCHEMA{guard} {quote_ident(name)}", None, "schema")


def drop_schema_statement(name: str) -> Statement:
    """DROP SCHEMA without CASCADE: it fails while the schema holds anything."""
    return Statement(f"DROP SCHEMA {quote_ident(name)}", None, "schema")


def render_ddl(
    schema: Schema,
    *,
    server_version: int | None = None,
    available_extensions: frozenset[str] | None = None,
) -> tuple[list[Statement], list[Diagnostic]]:
    """The statements that build ``schema`` in a fresh database, and any diagnostics.

    ``server_version`` (``server_version_num``) and ``available_extensions`` describe the
    target server when known; they only decide whether an extension whose functions are
    now built into PostgreSQL can be left out (warning SD401). A sequence that a
    ``nextval(...)`` default draws from but the schema never declares is created, owned by
    its column (note SD402).
    """
    schema, stand_in_notes = extension_stand_ins(schema, available_extensions)
    out: list[Statement] = []
    implicit, implicit_notes = undeclared_sequences(schema)
    out.extend(schema_statement(name) for name in _schema_names(schema, implicit))
    ext_statements, diagnostics = extension_statements(schema, server_version, available_extensions)
    diagnostics = stand_in_notes + diagnostics
    out.extend(ext_statements)
    out.extend(role_statement(role) for role in _roles(schema))
    out.extend(collation_statement(schema.collations[k]) for k in sorted(schema.collations))
    out.extend(type_statements(schema))
    diagnostics.extend(implicit_notes)
    sequences = sorted([*schema.sequences.values(), *implicit], key=lambda s: s.qname)
    out.extend(sequence_statement(s) for s in sequences)

    early = early_functions(schema)
    early_keys = sorted(early)
    late_keys = sorted(k for k in schema.functions if k not in early)
    for obj in ordered_routines_and_views(Schema(functions=schema.functions), early_keys):
        if isinstance(obj, Function):
            out.extend(under_search_path(obj, function_statement(obj)))

    tables = ordered_tables(schema)
    for table in tables:
        parent = schema.tables.get(table.partition_of) if table.partition_of else None
        out.append(table_statement(table, parent))
        out.extend(not_valid_check_statements(table, parent))
    out.extend(type_statements(schema, on_tables=True))
    for seq in sequences:
        owner = sequence_owner_statement(seq)
        if owner is not None:
            out.append(owner)
    for table in tables:
        parent = schema.tables.get(table.partition_of) if table.partition_of else None
        out.extend(foreign_key_statements(table, parent, lambda fk: _on_key_constraint(schema, fk)))

    index_keys = sorted(schema.indexes, key=lambda k: (-_partition_depth(schema, schema.indexes[k].table), k))
    out.extend(
        index_statement(schema.indexes[k]) for k in index_keys if schema.indexes[k].table not in schema.views
    )
    # a foreign key whose referenced columns only a unique index makes unique comes after it
    for table in tables:
        parent = schema.tables.get(table.partition_of) if table.partition_of else None
        out.extend(foreign_key_statements(table, parent, lambda fk: not _on_key_constraint(schema, fk)))
    for obj in ordered_routines_and_views(schema, late_keys):
        out.extend(under_search_path(obj, _routine_or_view_statement(obj)))
    out.extend(
        index_statement(schema.indexes[k]) for k in index_keys if schema.indexes[k].table in schema.views
    )

    out.extend(trigger_statement(schema.triggers[k]) for k in sorted(schema.triggers))
    out.extend(grant_statements(schema))
    out.extend(column_grant_statements(schema))
    out.extend(rls_statements(tables))
    out.extend(policy_statement(schema.policies[k]) for k in sorted(schema.policies))
    out.extend(comment_statements(schema))
    return out, diagnostics


def table_statements(
    table: Table,
    indexes: dict[QName, Index],
    triggers: dict[tuple[QName, str], Trigger],
    policies: dict[tuple[QName, str], Policy],
    grants: Sequence[Grant],
    column_grants: Sequence[ColumnGrant],
) -> list[Statement]:
    """What :func:`render_ddl` gives, in the same order, for a schema holding only ``table`` and
    the objects on it (all on ``table``), leaving out the schemas, roles and sequences such a
    schema also gets: the statements of one table's fence in a document, without building the
    whole schema's setup again for each table.

    Alone, a partition has no parent: it is written with every constraint of its own."""
    out = [table_statement(table, None), *not_valid_check_statements(table, None)]
    qname = table.qname

    def on_key(fk: ForeignKey) -> bool:
        if fk.ref_table != qname:
            return True  # another table: not in the schema, so taken as keyed
        wanted = set(fk.ref_columns)
        if table.primary_key is not None and set(table.primary_key.columns) == wanted:
            return True
        return any(set(u.columns) == wanted for u in table.uniques)

    if table.foreign_keys:
        out.extend(foreign_key_statements(table, None, on_key))
    out.extend(index_statement(indexes[k]) for k in sorted(indexes))
    if any(fk.ref_table == qname for fk in table.foreign_keys):  # only those can need a unique index
        out.extend(foreign_key_statements(table, None, lambda fk: not on_key(fk)))
    out.extend(trigger_statement(triggers[k]) for k in sorted(triggers))
    if grants or column_grants:
        part = Schema(grants=tuple(grants), column_grants=tuple(column_grants))
        out.extend(grant_statements(part))
        out.extend(column_grant_statements(part))
    if table.rls_enabled or table.rls_forced:
        out.extend(rls_statements([table]))
    out.extend(policy_statement(policies[k]) for k in sorted(policies))
    out.extend(table_comment_statements(table, indexes))
    return out


def _routine_or_view_statement(obj: Function | View | Aggregate) -> Statement:
    if isinstance(obj, Function):
        return function_statement(obj)
    if isinstance(obj, Aggregate):
        return aggregate_statement(obj)
    return view_statement(obj)


def ddl_text(statements: Sequence[Statement]) -> str:
    """The statements as one SQL script: each ends with ``;``, a blank line between them."""
    if not statements:
        return ""
    return "\n\n".join(s.sql + ";" for s in statements) + "\n"
