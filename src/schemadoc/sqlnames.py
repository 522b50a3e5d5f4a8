"""The one place identifiers are quoted for SQL text that schemadoc writes.

Code that sends SQL over a connection uses :mod:`psycopg.sql` (``sql.Identifier``)
for identifiers and parameters for values. Text that is *shown* or written to a
file (DDL, migration plans) quotes identifiers here, and only where PostgreSQL
needs it, so the output reads like hand-written SQL.
"""

from __future__ import annotations

import re

from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
_NEEDS_QUOTES = set(RESERVED_KEYWORDS) | set(TYPE_FUNC_NAME_KEYWORDS) | set(COL_NAME_KEYWORDS)


def quote_ident(name: str) -> str:
    """``name`` as an SQL identifier, quoted only when it must be."""
    if _PLAIN.match(name) and name not in _NEEDS_QUOTES:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_qualified(qname: str) -> str:
    """``schema.name`` quoted part by part; ``public.`` is kept, it is cheap and explicit."""
    schema, dot, name = qname.partition(".")
    if not dot:
        return quote_ident(schema)
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def quote_literal(value: str) -> str:
    """A string literal for SQL *text* (DDL files, COMMENT ON). Never used for values sent
    to a server with parameters available."""
    if "\\" in value:
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + value.replace("'", "''") + "'"
