"""A routine's SET clauses (``SET search_path TO 'public', 'pg_temp'``), kept as PostgreSQL keeps
them in ``pg_proc.proconfig`` (``search_path=public, pg_temp``) so that a document's and a
database's compare as equal strings, and written back as clauses of CREATE FUNCTION."""

from __future__ import annotations

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


def _split_names(value: str) -> list[str]:
    """The names of a flattened list (``public, "my schema"``), unquoted."""
    out: list[str] = []
    i, n = 0, len(value)
    while i <= n:
        while i < n and value[i] == " ":
            i += 1
        if i < n and value[i] == '"':
            j, name = i + 1, []
            while j < n:
                if value[j] == '"' and j + 1 < n and value[j + 1] == '"':
                    name.append('"')
                    j += 2
                elif value[j] == '"':
                    break
                else:
                    name.append(value[j])
                    j += 1
            out.append("".join(name))
            i = value.find(",", j)
        else:
            end = value.find(",", i)
            out.append(value[i : n if end < 0 else end].strip())
            i = end
        if i < 0:
            break
        i += 1
    return out
