"""Dependency order: a deterministic topological sort and the references SQL text makes."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from schemadoc.model import QName

K = TypeVar("K", bound=Hashable)


def topo_sort(keys: Iterable[K], deps: Callable[[K], Iterable[K]]) -> list[K]:
    """``keys`` in their given order, except that each key comes after the keys it depends on.

    Only dependencies among ``keys`` count; a cycle is broken at the point it is found, so
    the result is still deterministic. The walk keeps its own list of keys in progress
    rather than recursing, so chains of any length are sorted.
    """
    ordered = list(keys)
    known = set(ordered)
    done: set[K] = set()
    visiting: set[K] = set()
    out: list[K] = []

    def pending(key: K) -> Iterator[K]:
        return iter([d for d in sorted(set(deps(key)), key=_order_key) if d in known and d != key])

    for start in ordered:
        if start in done:
            continue
        visiting.add(start)
        path: list[tuple[K, Iterator[K]]] = [(start, pending(start))]
        while path:
            key, rest = path[-1]
            dep = next((d for d in rest if d not in done and d not in visiting), None)
            if dep is not None:
                visiting.add(dep)
                path.append((dep, pending(dep)))
                continue
            path.pop()
            visiting.discard(key)
            done.add(key)
            out.append(key)
    return out


def _order_key(key: Any) -> Any:
    return key


def query_references(query: str) -> tuple[frozenset[QName], frozenset[QName]]:
    """Relations and functions (qualified names) that an SQL query mentions.

    Unqualified names are taken to live in the default schema. A query pglast cannot
    parse mentions nothing (PostgreSQL will report the problem when it is applied).
    """
    from schemadoc.write.query_refs import parsed_references  # the parser, only when needed

    return parsed_references(query)


def mentions(text: str, names: Mapping[K, str], *, calls: bool = False) -> set[K]:
    """Keys of ``names`` (key -> bare object name) whose name occurs as a word in ``text``;
    with ``calls``, only where it is followed by ``(``.

    Used for function bodies, which may be in any language: erring towards a dependency
    only moves an object later, never breaks the output.
    """
    by_name: dict[str, list[K]] = {}
    for key, name in names.items():
        if name:
            by_name.setdefault(name.lower(), []).append(key)
    if not by_name or not text:
        return set()
    alternatives = "|".join(re.escape(n) for n in sorted(by_name, key=lambda n: (-len(n), n)))
    tail = r"(?=\s*\()" if calls else r"(?![\w$])"
    pattern = re.compile(r"(?<![\w$])(" + alternatives + ")" + tail)
    found: set[K] = set()
    for match in pattern.finditer(text.lower()):
        found.update(by_name[match.group(1)])
    return found
