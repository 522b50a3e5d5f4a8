"""Dependency order: a deterministic topological sort and the references SQL text makes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from pglast import parse_sql
from pglast.parser import ParseError
from pglast.visitors import Visitor

from schemadoc.model import DEFAULT_SCHEMA


def topo_sort(keys: Iterable[str], deps: Callable[[str], Iterable[str]]) -> list[str]:
    """``keys`` in their given order, except that each key comes after the keys it depends on.

    Only dependencies among ``keys`` count; a cycle is broken at the point it is found, so
    the result is still deterministic.
    """
    ordered = list(keys)
    known = set(ordered)
    done: set[str] = set()
    visiting: set[str] = set()
    out: list[str] = []

    def visit(key: str) -> None:
        if key in done or key in visiting:
            return
        visiting.add(key)
        for dep in sorted(set(deps(key))):
            if dep in known and dep != key:
                visit(dep)
        visiting.discard(key)
        done.add(key)
        out.append(key)

    for key in ordered:
        visit(key)
    return out


class _References(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.relations: set[str] = set()
        self.functions: set[str] = set()

    def visit_RangeVar(self, ancestors: object, node: object) -> None:
        schema = getattr(node, "schemaname", None) or DEFAULT_SCHEMA
        self.relations.add(f"{schema}.{getattr(node, 'relname', '')}")

    def visit_FuncCall(self, ancestors: object, node: object) -> None:
        parts = [getattr(p, "sval", "") for p in getattr(node, "funcname", ()) or ()]
        if len(parts) == 1:
            self.functions.add(f"{DEFAULT_SCHEMA}.{parts[0]}")
        elif len(parts) >= 2:
            self.functions.add(f"{parts[-2]}.{parts[-1]}")


def query_references(query: str) -> tuple[frozenset[str], frozenset[str]]:
    """Relations and functions (qualified names) that an SQL query mentions.

    Unqualified names are taken to live in the default schema. A query pglast cannot
    parse mentions nothing (PostgreSQL will report the problem when it is applied).
    """
    try:
        tree = parse_sql(query)
    except ParseError:
        return frozenset(), frozenset()
    refs = _References()
    refs(tree)
    return frozenset(refs.relations), frozenset(refs.functions)


def mentions(text: str, names: Mapping[str, str], *, calls: bool = False) -> set[str]:
    """Keys of ``names`` (key -> bare object name) whose name occurs as a word in ``text``;
    with ``calls``, only where it is followed by ``(``.

    Used for function bodies, which may be in any language: erring towards a dependency
    only moves an object later, never breaks the output.
    """
    by_name: dict[str, list[str]] = {}
    for key, name in names.items():
        if name:
            by_name.setdefault(name.lower(), []).append(key)
    if not by_name or not text:
        return set()
    alternatives = "|".join(re.escape(n) for n in sorted(by_name, key=lambda n: (-len(n), n)))
    tail = r"(?=\s*\()" if calls else r"(?![\w$])"
    pattern = re.compile(r"(?<![\w$])(" + alternatives + ")" + tail)
    found: set[str] = set()
    for match in pattern.finditer(text.lower()):
        found.update(by_name[match.group(1)])
    return found
