"""Diagrams a person can read: a schema too big for one diagram gets one per cluster of related tables.

A schema of at most ``limit`` tables gets one ``erDiagram``. A bigger one is cut along its
foreign keys: each connected component of the schema's tables is a cluster; a component bigger
than ``limit`` is cut around its hubs (the table with the most links, then its neighbours and
theirs until the cluster is full, then the next hub among the tables left). Clusters of less
than half a diagram are packed together, in order, up to ``limit`` tables per diagram. A link to
a table of another diagram is still drawn, to a box without columns, so each diagram shows where
it leads. A table of contents lists the diagrams and the tables each holds.
"""

from __future__ import annotations

import re

from schemadoc.model import QName, Schema, Table
from schemadoc.write.markdown_diagram import ambiguous_tables, er_diagram

__all__ = ["clusters", "schema_diagrams"]


def _links(tables: list[Table]) -> dict[QName, set[QName]]:
    names = {t.qname for t in tables}
    links: dict[QName, set[QName]] = {q: set() for q in names}
    for table in tables:
        for fk in table.foreign_keys:
            if fk.ref_table in names and fk.ref_table != table.qname:
                links[table.qname].add(fk.ref_table)
                links[fk.ref_table].add(table.qname)
    return links


def _components(links: dict[QName, set[QName]]) -> list[list[QName]]:
    seen: set[QName] = set()
    out: list[list[QName]] = []
    for start in sorted(links):
        if start in seen:
            continue
        seen.add(start)
        stack, component = [start], []
        while stack:
            q = stack.pop()
            component.append(q)
            for n in sorted(links[q]):
                if n not in seen:
                    seen.add(n)
                    stack.append(n)
        out.append(sorted(component))
    return out


def _around_hubs(component: list[QName], links: dict[QName, set[QName]], limit: int) -> list[list[QName]]:
    """A component too big for one diagram, cut into the neighbourhoods of its hubs: from the
    table with the most links among those left, its neighbours, then theirs, until it is full."""
    left = set(component)
    degree = {q: len(links[q]) for q in component}  # links to tables still left
    out: list[list[QName]] = []
    while left:
        hub = min(left, key=lambda q: (-degree[q], q))
        cluster, taken, i = [hub], {hub}, 0
        while i < len(cluster) and len(cluster) < limit:
            near = sorted((links[cluster[i]] & left) - taken, key=lambda q: (-degree[q], q))
            for q in near[: limit - len(cluster)]:
                cluster.append(q)
                taken.add(q)
            i += 1
        left -= taken
        for q in taken:
            for n in links[q] & left:
                degree[n] -= 1
        out.append(cluster)
    return out


def clusters(tables: list[Table], limit: int) -> list[list[QName]]:
    """The tables of each diagram, in document order; one list when they fit in one."""
    if len(tables) <= limit:
        return [sorted(t.qname for t in tables)]
    links = _links(tables)
    pieces: list[list[QName]] = []
    for component in sorted(_components(links), key=lambda c: (-len(c), c[0])):
        pieces += [component] if len(component) <= limit else _around_hubs(component, links, limit)
    # a cluster of at least half a diagram stands alone; smaller ones share diagrams
    packed: list[list[QName]] = []
    shared = False
    for piece in pieces:
        small = 2 * len(piece) < limit
        if packed and shared and small and len(packed[-1]) + len(piece) <= limit:
            packed[-1] += piece
        else:
            packed.append(list(piece))
            shared = small
    return packed


def _anchor(heading: str) -> str:
    """The anchor GitHub and GitLab give a heading."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


def schema_diagrams(schema: Schema, tables: list[Table], limit: int) -> list[str]:
    """The lines of a schema's diagram(s), with a table of contents when there are several."""
    groups = clusters(tables, limit)
    if len(groups) == 1:
        return er_diagram(schema, tables)
    by_name = {t.qname: t for t in tables}
    links = _links(tables)
    ambiguous = ambiguous_tables(schema)
    toc: list[str] = [f"{len(tables)} tables, in {len(groups)} diagrams of related tables:", ""]
    body: list[str] = []
    for number, group in enumerate(groups, 1):
        members = set(group)
        hub = min(group, key=lambda q: (-len(links[q] & members), q))
        heading = f"Diagram {number}: {hub.name} and {len(group) - 1} more"
        names = ", ".join(q.name for q in sorted(group))
        toc.append(f"{number}. [{heading}](#{_anchor(heading)}): {names}")
        body += [f"#### {heading}", ""]
        body += er_diagram(schema, [by_name[q] for q in sorted(group)], ambiguous)
    return [*toc, "", *body]
