"""One DDL statement with the document line it comes from."""

from __future__ import annotations

from dataclasses import dataclass

from schemadoc.model import Span


@dataclass(frozen=True, slots=True)
class Statement:
    """An SQL statement without its trailing semicolon.

    ``kind`` is one of: extension, role, schema, type, table, constraint, index,
    function, view, trigger, grant, rls, policy, comment, sequence.
    """

    sql: str
    span: Span | None
    kind: str


def dollar_quote(body: str, tag: str = "body") -> str:
    """``body`` between dollar quotes whose tag does not occur in it."""
    candidate = tag
    n = 0
    while f"${candidate}$" in body:
        n += 1
        candidate = f"{tag or 'q'}{n}"
    return f"${candidate}${body}${candidate}$"
