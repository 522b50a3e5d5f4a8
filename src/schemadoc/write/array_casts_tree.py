"""The parse behind :mod:`schemadoc.write.array_casts`, imported only for an expression that holds
an ``ARRAY[...]``: most catalogs have none, and the parser is slow to load."""

from __future__ import annotations

from pglast import ast, parse_sql, visitors
from pglast.parser import ParseError
from pglast.stream import RawStream

__all__ = ["array_cast_inserts"]


def _type_text(node: ast.TypeName | None) -> str:
    return "" if node is None else str(RawStream()(node))


def _is_array_type(node: ast.TypeName | None) -> bool:
    return node is not None and bool(node.arrayBounds)


class _Casts(visitors.Visitor):
    """Collects (offset of the outer ``::``, element array type) for each cast to insert."""

    def __init__(self) -> None:
        self.inserts: list[tuple[int, str]] = []

    def visit_TypeCast(self, ancestors: object, node: ast.TypeCast) -> None:
        array = node.arg
        if not isinstance(array, ast.A_ArrayExpr) or not array.elements or not _is_array_type(node.typeName):
            return
        if not all(isinstance(e, ast.TypeCast) and not _is_array_type(e.typeName) for e in array.elements):
            return
        element_types = {_type_text(e.typeName) for e in array.elements}
        if len(element_types) != 1:
            return
        element = element_types.pop()
        if f"{element}[]" == _type_text(node.typeName) or node.location is None or node.location < 0:
            return
        self.inserts.append((node.location, f"::{element}[]"))


def array_cast_inserts(text: str) -> list[tuple[int, str]]:
    """Where (offset of the outer ``::``) to write which element array type in ``text`` (a whole
    statement); none when it does not parse."""
    try:
        tree = parse_sql(text)
    except ParseError:
        return []
    casts = _Casts()
    casts(tree)
    return casts.inserts
