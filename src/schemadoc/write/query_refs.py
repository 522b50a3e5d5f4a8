"""The parse behind :func:`schemadoc.write.order.query_references`, imported only when a query is
read: the parser is slow to load, and a schema without views never needs it."""

from __future__ import annotations

from pglast import parse_sql
from pglast.parser import ParseError
from pglast.visitors import Visitor

from schemadoc.model import DEFAULT_SCHEMA, QName

__all__ = ["parsed_references"]


class _References(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.relations: set[QName] = set()
        self.functions: set[QName] = set()

    def visit_RangeVar(self, ancestors: object, node: object) -> None:
        schema = getattr(node, "schemaname", None) or DEFAULT_SCHEMA
        self.relations.add(QName(schema, getattr(node, "relname", "")))

    def visit_FuncCall(self, ancestors: object, node: object) -> None:
        parts = [getattr(p, "sval", "") for p in getattr(node, "funcname", ()) or ()]
        if len(parts) == 1:
            self.functions.add(QName(DEFAULT_SCHEMA, parts[0]))
        elif len(parts) >= 2:
            self.functions.add(QName(parts[-2], parts[-1]))


def parsed_references(query: str) -> tuple[frozenset[QName], frozenset[QName]]:
    """What :func:`schemadoc.write.order.query_references` gives."""
    try:
        tree = parse_sql(query)
    except ParseError:
        return frozenset(), frozenset()
    refs = _References()
    refs(tree)
    return frozenset(refs.relations), frozenset(refs.functions)
