"""The mermaid ``erDiagram`` of a schema's tables, in the spelling the mermaid reader decodes.

Types are written the way tbls writes them (``character varying(20)`` as
``character_varying_20_``, ``text[]`` as ``text__``), and each relationship carries a
``FOREIGN KEY (...) REFERENCES t(...)`` label, so reading the diagram back gives the same columns,
keys and references as the SQL beside it. A table or column whose name the diagram cannot spell
(anything but letters, digits and ``_``), or that folds to the same word as another (``a`` and
``"A"``: the diagram cannot quote), is left out of the diagram; the SQL still holds it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from functools import lru_cache

from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import DEFAULT_SCHEMA, QName, Schema, Table

_PLAIN = lazy_regex(r"[A-Za-z_][A-Za-z0-9_]*")
_TYPE_WORD = lazy_regex(r"[^A-Za-z0-9]+")


def _folded_twice(names: Iterable[str]) -> set[str]:
    """The names that fold (as an unquoted identifier does) to the same word as another: the
    diagram cannot quote, so it cannot tell them apart."""
    listed = list(names)
    folded = [n.lower() for n in listed]
    if len(set(folded)) == len(folded):
        return set()
    seen = Counter(folded)
    return {n for n in listed if seen[n.lower()] > 1}


def ambiguous_tables(schema: Schema) -> set[QName]:
    """Tables whose names fold to the same word as another table's of the same schema."""
    by_folded = Counter((q.schema.lower(), q.name.lower()) for q in schema.tables)
    if len(by_folded) == len(schema.tables):
        return set()
    return {q for q in schema.tables if by_folded[(q.schema.lower(), q.name.lower())] > 1}


def _entity(qname: QName, ambiguous: AbstractSet[QName] = frozenset()) -> str | None:
    if not _PLAIN.fullmatch(qname.name) or qname in ambiguous:
        return None
    if qname.schema == DEFAULT_SCHEMA:
        return qname.name
    return f"{qname.schema}.{qname.name}" if _PLAIN.fullmatch(qname.schema) else None


@lru_cache(maxsize=4096)  # a catalog uses few types, many times over
def _type_word(written: str) -> str:
    """``numeric(10,2)`` -> ``numeric_10_2_``; ``integer[]`` -> ``integer__``."""
    dims = 0
    text = written
    while text.endswith("[]"):
        text, dims = text[:-2], dims + 1
    base = _TYPE_WORD.sub("_", text)
    if "(" in text and not base.endswith("_"):
        base += "_"
    return base + "__" * dims


def _key_marks(table: Table) -> dict[str, str]:
    """Each key column's marks (``PK, FK``); a column of no key is not listed."""
    pk = set(table.primary_key.columns) if table.primary_key is not None else set()
    uk = {u.columns[0] for u in table.uniques if len(u.columns) == 1}
    fk = {c for f in table.foreign_keys for c in f.columns}
    marks: dict[str, str] = {}
    for column in pk | uk | fk:
        words = [w for w, cols in (("PK", pk), ("UK", uk), ("FK", fk)) if column in cols]
        marks[column] = ", ".join(words)
    return marks


def er_diagram(schema: Schema, tables: list[Table], ambiguous: AbstractSet[QName] | None = None) -> list[str]:
    """The diagram's fenced lines (an empty list when no table can be drawn). ``ambiguous`` is
    :func:`ambiguous_tables` of ``schema``, when the caller draws several diagrams of it."""
    body: list[str] = []
    edges: list[str] = []
    if ambiguous is None:
        ambiguous = ambiguous_tables(schema)
    folded_twice: dict[QName, set[str]] = {}  # by table, for the tables referenced

    def columns_folded_twice(qname: QName) -> set[str]:
        found = folded_twice.get(qname)
        if found is None:
            table = schema.tables.get(qname)
            found = folded_twice[qname] = _folded_twice([c.name for c in table.columns]) if table else set()
        return found

    for table in tables:
        name = _entity(table.qname, ambiguous)
        if name is None:
            continue
        body.append(f"    {name} {{")
        twice = _folded_twice([c.name for c in table.columns])
        marks = _key_marks(table)
        for col in table.columns:
            if not _PLAIN.fullmatch(col.name) or col.name in twice:
                continue
            keys = marks.get(col.name, "")
            body.append(f"        {_type_word(col.type)} {col.name}{' ' + keys if keys else ''}".rstrip())
        body.append("    }")
        for fk in sorted(table.foreign_keys, key=lambda f: (f.ref_table, f.columns)):
            parent = _entity(fk.ref_table, ambiguous)
            parent_twice = columns_folded_twice(fk.ref_table)
            if (
                parent is None
                or not all(_PLAIN.fullmatch(c) and c not in twice for c in fk.columns)
                or not all(_PLAIN.fullmatch(c) and c not in parent_twice for c in fk.ref_columns)
            ):
                continue
            label = f"FOREIGN KEY ({', '.join(fk.columns)}) REFERENCES {parent}({', '.join(fk.ref_columns)})"
            edges.append(f'    {parent} ||--o{{ {name} : "{label}"')
    if not body:
        return []
    return ["```mermaid", "erDiagram", *body, *edges, "```", ""]
