"""Objects a schema uses without declaring them, which the DDL must still create.

A column whose default is ``nextval('users_id_seq'::regclass)`` (the way catalog dumps
write a ``serial`` column) needs that sequence. When the schema does not list it, it is
created as ``serial`` would have: typed like the column and owned by it.
"""

from __future__ import annotations

import re

from schemadoc.diagnostics import Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import DEFAULT_SCHEMA, QName, Schema, Sequence
from schemadoc.sqlnames import parse_qualified

_NEXTVAL = lazy_regex(r"^\s*nextval\s*\(\s*'((?:[^']|'')+)'\s*(?:::\s*regclass\s*)?\)\s*$", re.IGNORECASE)
_SEQUENCE_TYPES = {"smallint": "smallint", "integer": "integer", "int": "integer", "int4": "integer",
                   "int2": "smallint"}  # fmt: skip


def nextval_sequence(default: str | None) -> QName | None:
    """The qualified name of the sequence a ``nextval('...')`` default draws from."""
    if not default:
        return None
    match = _NEXTVAL.match(default)
    if not match:
        return None
    return parse_qualified(match.group(1).replace("''", "'"), DEFAULT_SCHEMA)


def undeclared_sequences(schema: Schema) -> tuple[list[Sequence], list[Diagnostic]]:
    """Sequences that column defaults draw from but the schema does not declare."""
    found: dict[QName, Sequence] = {}
    diagnostics: list[Diagnostic] = []
    for tkey in sorted(schema.tables):
        table = schema.tables[tkey]
        if table.partition_of:
            continue
        for col in table.columns:
            qname = nextval_sequence(col.default)
            if qname is None or qname in schema.sequences or qname in found:
                continue
            schema_name, name = qname
            data_type = _SEQUENCE_TYPES.get(col.type.lower(), "bigint")
            found[qname] = Sequence(
                schema_name,
                name,
                data_type,
                owned_by=(table.qname, col.name),
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
