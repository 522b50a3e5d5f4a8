"""A routine's SET clauses (``SET search_path TO 'public', 'pg_temp'``), kept as PostgreSQL keeps
them in ``pg_proc.proconfig`` (``search_path=public, pg_temp``) so that a document's and a
database's compare as equal strings, and written back as clauses of CREATE FUNCTION."""

from __future__ import annotations

from schemadoc.lazy_regex import lazy_regex
from schemadoc.sqlnames import quote_ident, quote_literal

# Settings whose value is a list of names: PostgreSQL quotes each element as a name.
_NAME_LISTS = frozenset({"search_path", "temp_tablespaces"})


def setting(name: str, values: list[str]) -> str:
    """``name=value`` as PostgreSQL flattens ``SET name TO values`` into proconfig."""
    if name in _NAME_LISTS:  # each name quoted as quote_identifier quotes it ('' as "")
        return f"{name}={', '.join(quote_ident(v) for v in values)}"
    return f"{name}={', '.join(values)}"


def clause(entry: str) -> str:
    """The SET clause of a proconfig entry."""
    name, _, value = entry.partition("=")
    if name in _NAME_LISTS:
        return f"SET {quote_ident(name)} TO {', '.join(quote_literal(v) for v in _split_names(value))}"
    return f"SET {quote_ident(name)} TO {quote_literal(value)}"


_LIST_NAME = lazy_regex(r'\s*(?:"((?:[^"]|"")*)"|([^,]*?))\s*(?:,|$)')


def _split_names(value: str) -> list[str]:
    """The names of a flattened list (``public, "my schema"``), unquoted."""
    out: list[str] = []
    pos = 0
    while True:
        found = _LIST_NAME.match(value, pos)
        assert found is not None  # the pattern matches anything, empty text included
        quoted, plain = found.groups()
        out.append(quoted.replace('""', '"') if quoted is not None else plain)
        pos = found.end()
        if pos >= len(value):
            return out
