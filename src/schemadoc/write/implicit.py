"""Objects a schema uses without declaring them, which the DDL must still create.

A column whose default is ``nextval('users_id_seq'::regclass)`` (the way catalog dumps
write a ``serial`` column) needs that sequence. When the schema does not list it, it is
created as ``serial`` would have: typed like the column and owned by it.
"""

from __future__ import annotations

import re

from schemadoc.diagnostics import Diagnostic
from schemadoc.model import DEFAULT_SCHEMA, Schema, Sequence

_NEXTVAL = re.compile(r"^\s*nextval\s*\(\s*'((?:[^']|'')+)'\s*(?:::\s*regclass\s*)?\)\s*$", re.IGNORECASE)
_NAME_PART = re.compile(r'"((?:[^"]|"")*)"|([^."]+)')
_SEQUENCE_TYPES = {"smallint": "smallint", "integer": "integer", "int": "integer", "int4": "integer",
                   "int2": "smallint"}  # fmt: skip


def nextval_sequence(default: str | None) -> str | None:
    """The qualified name of the sequence a ``nextval('...')`` default draws from."""
    if not default:
        return None
    match = _NEXTVAL.match(default)
    if not match:
        return None
    text = match.group(1).replace("''", "'")
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        part = _NAME_PART.match(text, pos)
        if part is None:
            return None
        quoted, plain = part.group(1), part.group(2)
        parts.append(quoted.replace('""', '"') if quoted is not None else plain.strip().lower())
        pos = part.end()
        if pos < len(text):
            if text[pos] != ".":
                return None
            pos += 1
    if len(parts) == 1:
        return f"{DEFAULT_SCHEMA}.{parts[0]}"
    if len(parts) == 2:
        return f"{parts[0]}.{parts[1]}"
    return None


def undeclared_sequences(schema: Schema) -> tuple[list[Sequence], list[Diagnostic]]:
    """Sequences that column defaults draw from but the schema does not declare."""
    found: dict[str, Sequence] = {}
    diagnostics: list[Diagnostic] = []
    for tkey in sorted(schema.tables):
        table = schema.tables[tkey]
        if table.partition_of:
            continue
        for col in table.columns:
            qname = nextval_sequence(col.default)
            if qname is None or qname in schema.sequences or qname in found:
                continue
            schema_name, _, name = qname.partition(".")
            data_type = _SEQUENCE_TYPES.get(col.type.lower(), "bigint")
            found[qname] = Sequence(
                schema_name,
                name,
                data_type,
                owned_by=f"{table.qname}.{col.name}",
                span=col.span or table.span,
            )
            diagnostics.append(
                Diagnostic(
                    "SD402",
                    "note",
                    f"sequence {qname} is used by the default of {table.qname}.{col.name} but never declared;"
                    " creating it owned by that column",
                    col.span or table.span,
                )
            )
    return list(found.values()), diagnostics
