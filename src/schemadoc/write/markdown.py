"""A :class:`~schemadoc.model.Schema` as a reference document that ``schemadoc check`` reads back.

The canonical style: one heading per schema with a mermaid ``erDiagram`` of its tables, one
heading per table with its comment as prose and ONE ``sql`` fence holding the table's CREATE
TABLE, foreign keys, indexes, triggers, row-level security, policies, grants and comments; then
sections for types, sequences, extensions, roles, views and routines. Every statement comes from
the DDL writer (:mod:`schemadoc.write.ddl`), so the document says exactly what ``schemadoc sql``
would build. Objects are sorted by qualified name: the same schema always gives the same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from schemadoc.model import (
    DEFAULT_SCHEMA,
    ColumnGrant,
    Function,
    Grant,
    Index,
    Policy,
    QName,
    Schema,
    Table,
    Trigger,
    View,
)
from schemadoc.records import record, replace
from schemadoc.sqlnames import parse_qualified
from schemadoc.write.array_casts import keep_array_casts_in_schema
from schemadoc.write.ddl import ddl_text, render_ddl, table_statements
from schemadoc.write.ddl_comments import comment_statements
from schemadoc.write.ddl_routines import function_statement, view_statement
from schemadoc.write.statement import Statement

__all__ = ["Part", "document_head", "document_parts", "join_parts", "marker", "part_text", "render_markdown"]

# the sections after the tables: title and the statement kinds they hold, in this order
_SECTIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Schemas", frozenset({"schema"})),
    ("Extensions", frozenset({"extension"})),
    ("Types", frozenset({"type"})),
    ("Sequences", frozenset({"sequence"})),
)


def _on_table(grant: Grant, tables: Iterable[QName]) -> bool:
    return grant.object_type == "TABLE" and grant.object_name in set(tables)


class _TableParts:
    """The objects that belong to each table's fence, grouped once (not searched per table)."""

    def __init__(self, schema: Schema) -> None:
        self.indexes: dict[QName, dict[QName, Index]] = defaultdict(dict)
        for k, i in schema.indexes.items():
            self.indexes[i.table][k] = i
        self.triggers: dict[QName, dict[tuple[QName, str], Trigger]] = defaultdict(dict)
        for tk, t in schema.triggers.items():
            self.triggers[t.table][tk] = t
        self.policies: dict[QName, dict[tuple[QName, str], Policy]] = defaultdict(dict)
        for pk, p in schema.policies.items():
            self.policies[p.table][pk] = p
        self.grants: dict[QName, list[Grant]] = defaultdict(list)
        for g in schema.grants:
            if g.object_type == "TABLE" and isinstance(g.object_name, QName):
                self.grants[g.object_name].append(g)
        self.column_grants: dict[QName, list[ColumnGrant]] = defaultdict(list)
        for cg in schema.column_grants:
            self.column_grants[cg.table].append(cg)


def _table_statements(parts: _TableParts, table: Table) -> list[Statement]:
    q = table.qname
    return table_statements(
        table,
        parts.indexes.get(q, {}),
        parts.triggers.get(q, {}),
        parts.policies.get(q, {}),
        parts.grants.get(q, ()),
        parts.column_grants.get(q, ()),
    )


def _rest(schema: Schema) -> Schema:
    """Everything that is not in a table's fence, views and routines included."""
    tables = set(schema.tables)
    return replace(
        schema,
        tables={},
        indexes={k: i for k, i in schema.indexes.items() if i.table not in tables},
        triggers={k: t for k, t in schema.triggers.items() if t.table not in tables},
        policies={k: p for k, p in schema.policies.items() if p.table not in tables},
        grants=tuple(g for g in schema.grants if not _on_table(g, tables)),
        column_grants=tuple(g for g in schema.column_grants if g.table not in tables),
    )


def _fence(statements: Iterable[Statement]) -> list[str]:
    text = ddl_text(list(statements))
    return ["```sql", text.rstrip("\n"), "```", ""] if text else []


def _prose(comment: str | None) -> list[str]:
    if not comment:
        return []
    # the comment is written as one quoted paragraph: the COMMENT ON statement is what is read
    return [*(f"> {line}".rstrip() for line in comment.splitlines()), ""]


def _title(qname: QName) -> str:
    return qname.name if qname.schema == DEFAULT_SCHEMA else f"{qname.schema}.{qname.name}"


def _view_statements(schema: Schema, view: View) -> list[Statement]:
    out = [view_statement(view)]
    part = Schema(
        views={view.qname: view},
        indexes={k: i for k, i in schema.indexes.items() if i.table == view.qname},
        triggers={k: t for k, t in schema.triggers.items() if t.table == view.qname},
    )
    statements, _ = render_ddl(part)
    out.extend(s for s in statements if s.kind in {"index", "trigger"})
    out.extend(comment_statements(Schema(views={view.qname: view}, indexes=part.indexes)))
    return out


def _function_statements(signature: str, fn: Function) -> list[Statement]:
    return [function_statement(fn), *comment_statements(Schema(functions={signature: fn}))]


def _explicit_multiranges(schema: Schema) -> Schema:
    """Introspection names a range's multirange type bare when it lives in the range's own
    schema, but a bare MULTIRANGE_TYPE_NAME creates it in the first schema of the search path:
    the document names it with its schema."""
    ranges = {}
    for qname, rng in schema.ranges.items():
        target = parse_qualified(rng.multirange, rng.schema) if rng.multirange else None
        ranges[qname] = replace(rng, multirange=str(target)) if target is not None else rng
    return replace(schema, ranges=ranges)


@record
class Part:
    """One generated part of the document: what ``docs --update`` rewrites between its markers.

    ``key`` names the object (``table public.books``, ``schema public``, ``section views``);
    ``lines`` are the part's lines, without markers and without a trailing blank line."""

    key: str
    lines: tuple[str, ...]


def _part(key: str, lines: list[str]) -> Part:
    while lines and lines[-1] == "":
        lines.pop()
    return Part(key, tuple(lines))


def document_parts(schema: Schema, *, max_diagram_tables: int = 40) -> list[Part]:
    """The generated parts of ``schema``'s reference document, in document order."""
    from schemadoc.write.markdown_clusters import schema_diagrams

    schema = keep_array_casts_in_schema(_explicit_multiranges(schema))
    parts: list[Part] = []
    table_parts = _TableParts(schema)
    by_schema: dict[str, list[Table]] = {}
    for qname in sorted(schema.tables):
        by_schema.setdefault(qname.schema, []).append(schema.tables[qname])
    for name in sorted(by_schema):
        lines = [f"## Schema {name}", ""]
        lines += schema_diagrams(schema, by_schema[name], max_diagram_tables)
        parts.append(_part(f"schema {name}", lines))
        for table in by_schema[name]:
            lines = [f"### {_title(table.qname)}", ""]
            lines += _prose(table.comment)
            lines += _fence(_table_statements(table_parts, table))
            parts.append(_part(f"table {table.qname}", lines))
    rest = _rest(schema)
    statements, _ = render_ddl(replace(rest, views={}, functions={}, triggers={}, indexes={}))
    for heading, kinds in _SECTIONS:
        chosen = [s for s in statements if s.kind in kinds]
        if chosen:
            parts.append(_part(f"section {heading.lower()}", [f"## {heading}", "", *_fence(chosen)]))
    type_comments = [s for s in statements if s.kind == "comment"]
    grants = [s for s in statements if s.kind == "grant"]
    if type_comments or grants:
        parts.append(
            _part("section grants", ["## Grants and comments", "", *_fence([*grants, *type_comments])])
        )
    if rest.views:
        parts.append(_part("section views", ["## Views"]))
        for qname in sorted(rest.views):
            lines = [f"### {_title(qname)}", ""]
            lines += _prose(rest.views[qname].comment)
            lines += _fence(_view_statements(rest, rest.views[qname]))
            parts.append(_part(f"view {qname}", lines))
    if rest.functions:
        parts.append(_part("section routines", ["## Routines"]))
        for signature in sorted(rest.functions):
            fn = rest.functions[signature]
            lines = [f"### {_title(fn.qname)}", ""]
            lines += _prose(fn.comment)
            lines += _fence(_function_statements(signature, fn))
            parts.append(_part(f"routine {signature}", lines))
    return parts


def marker(edge: str, key: str) -> str:
    """The HTML comment that opens (``edge`` "begin") or closes ("end") a generated part; a
    ``--`` in a key (a quoted name) is written ``-%2D`` so that it cannot close the comment."""
    escaped = key.replace("%", "%25").replace("--", "-%2D").replace("\n", "%0A")
    return f"<!-- schemadoc:{edge} {escaped} -->"


def part_text(part: Part) -> str:
    return "\n".join((marker("begin", part.key), *part.lines, marker("end", part.key))) + "\n"


HEAD_NOTE = (
    "<!-- Written by `schemadoc docs`. `schemadoc docs --update` rewrites what lies between a "
    "schemadoc:begin and its schemadoc:end line and keeps everything else. -->"
)


def document_head(title: str = "Database reference") -> str:
    return f"# {title}\n\n{HEAD_NOTE}\n"


def join_parts(head: str, parts: list[Part]) -> str:
    """A new document: ``head``, then each part after a blank line."""
    return head + "".join("\n" + part_text(p) for p in parts)


def render_markdown(
    schema: Schema, *, title: str = "Database reference", max_diagram_tables: int = 40
) -> str:
    """The reference document of ``schema``."""
    return join_parts(document_head(title), document_parts(schema, max_diagram_tables=max_diagram_tables))
