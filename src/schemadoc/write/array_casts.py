"""Expressions PostgreSQL prints, written so that PostgreSQL reads them back to the same thing.

PostgreSQL prints ``col IN ('a', 'b')`` on a ``varchar`` column as
``col::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::text[])``: an array of
``varchar`` cast as a whole to ``text[]``. Read back, a cast written right after ``ARRAY[...]``
is pushed into the elements instead (``ARRAY['a'::character varying::text, ...]``), which is
another expression to the catalog, so a database built from the printed text differs from the
one it was printed from. Writing the array's own type in between
(``ARRAY[...]::character varying[]::text[]``) keeps the printed meaning: the inner cast changes
nothing, the outer one casts the whole array, as in the catalog.

Only text that came from the catalog goes through here (``schemadoc docs``); a document's own
expressions are built as written.
"""

from __future__ import annotations

from schemadoc.model import Column, Domain, Index, Policy, Schema, Table, Trigger, View
from schemadoc.records import replace

__all__ = ["keep_array_casts", "keep_array_casts_in_schema"]

_PREFIX = "SELECT "


def _rewrite(text: str) -> str:
    """``text`` (a whole statement) with the element array type written before each cast of an
    ``ARRAY[...]`` of casts; unchanged when it does not parse or holds no such cast."""
    if "ARRAY[" not in text.upper():
        return text
    from schemadoc.write.array_casts_tree import array_cast_inserts  # the parser, only when needed

    inserts = array_cast_inserts(text)
    if not inserts:
        return text
    for offset, insert in sorted(inserts, reverse=True):  # offsets count characters
        if text[offset : offset + 2] == "::":  # CAST(... AS ...) is left as written
            text = text[:offset] + insert + text[offset:]
    return text


def keep_array_casts(expression: str) -> str:
    """An expression as PostgreSQL printed it, written so that it reads back the same."""
    if "[" not in expression:  # no ARRAY[...]: nothing to write differently
        return expression
    written = _rewrite(_PREFIX + expression)
    return written[len(_PREFIX) :] if written.startswith(_PREFIX) else expression


def _opt(expression: str | None) -> str | None:
    return None if expression is None else keep_array_casts(expression)


def _column(column: Column) -> Column:
    default, generated = _opt(column.default), _opt(column.generated)
    if default == column.default and generated == column.generated:
        return column
    return replace(column, default=default, generated=generated)


def _table(table: Table) -> Table:
    columns = tuple(_column(c) for c in table.columns)
    checks = tuple(
        c if (e := keep_array_casts(c.expression)) == c.expression else replace(c, expression=e)
        for c in table.checks
    )
    exclusions = tuple(
        x if (w := _opt(x.where)) == x.where else replace(x, where=w) for x in table.exclusions
    )
    if columns == table.columns and checks == table.checks and exclusions == table.exclusions:
        return table
    return replace(table, columns=columns, checks=checks, exclusions=exclusions)


def _index(index: Index) -> Index:
    keys, where = tuple(keep_array_casts(k) for k in index.keys), _opt(index.where)
    return index if keys == index.keys and where == index.where else replace(index, keys=keys, where=where)


def _view(view: View) -> View:
    return replace(view, definition=_rewrite(view.definition))


def _domain(domain: Domain) -> Domain:
    return replace(
        domain, default=_opt(domain.default), checks=tuple(keep_array_casts(c) for c in domain.checks)
    )


def _policy(policy: Policy) -> Policy:
    return replace(policy, using=_opt(policy.using), with_check=_opt(policy.with_check))


def _trigger(trigger: Trigger) -> Trigger:
    return replace(trigger, when=_opt(trigger.when))


def keep_array_casts_in_schema(schema: Schema) -> Schema:
    """``schema`` (introspected) with every expression written so that it reads back the same."""
    return replace(
        schema,
        tables={k: _table(t) for k, t in schema.tables.items()},
        indexes={k: _index(i) for k, i in schema.indexes.items()},
        views={k: _view(v) for k, v in schema.views.items()},
        domains={k: _domain(d) for k, d in schema.domains.items()},
        policies={k: _policy(p) for k, p in schema.policies.items()},
        triggers={k: _trigger(t) for k, t in schema.triggers.items()},
    )
