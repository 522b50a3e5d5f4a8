"""The one place identifiers are quoted for SQL text that schemadoc writes.

Code that sends SQL over a connection uses :mod:`psycopg.sql` (``sql.Identifier``)
for identifiers and parameters for values. Text that is *shown* or written to a
file (DDL, migration plans) quotes identifiers here, and only where PostgreSQL
needs it, so the output reads like hand-written SQL.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from schemadoc.lazy_regex import lazy_regex

if TYPE_CHECKING:
    from schemadoc.model import QName


def _keyword_module() -> ModuleType:
    """pglast's list of PostgreSQL's keywords. Imported through its package it would load the
    whole parser first, which quoting a name never needs (and which takes longer than many a
    command's own work): the list is read on its own unless the package is already loaded."""
    loaded = sys.modules.get("pglast.keywords")
    if loaded is not None:
        return loaded
    package = importlib.util.find_spec("pglast")
    places = package.submodule_search_locations if package is not None else None
    if places:
        path = Path(next(iter(places))) / "keywords.py"
        spec = importlib.util.spec_from_file_location("schemadoc._pglast_keywords", path)
        if spec is not None and spec.loader is not None and path.is_file():
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    import pglast.keywords

    return pglast.keywords


def _words_needing_quotes() -> frozenset[str]:
    keywords = _keyword_module()
    return frozenset(
        {*keywords.RESERVED_KEYWORDS, *keywords.TYPE_FUNC_NAME_KEYWORDS, *keywords.COL_NAME_KEYWORDS}
    )


_PLAIN = lazy_regex(r"^[a-z_][a-z0-9_$]*$")
_NEEDS_QUOTES = _words_needing_quotes()


@lru_cache(maxsize=65536)  # a catalog names the same columns and schemas many times over
def quote_ident(name: str) -> str:
    """``name`` as an SQL identifier, quoted only when it must be."""
    if _PLAIN.match(name) and name not in _NEEDS_QUOTES:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_qualified(qname: QName) -> str:
    """``schema.name`` quoted part by part; ``public.`` is kept, it is cheap and explicit."""
    return f"{quote_ident(qname.schema)}.{quote_ident(qname.name)}"


_NAME_PART = lazy_regex(r'\s*(?:"((?:[^"]|"")*)"|([^."\s]+))\s*')


def parse_qualified(text: str, default_schema: str = "public") -> QName | None:
    """The name SQL text such as ``mood``, ``app.mood`` or ``"My Schema"."Mood"`` denotes:
    unquoted parts folded to lower case, quoted ones kept; ``None`` for anything else."""
    from schemadoc.model import QName

    parts: list[str] = []
    pos = 0
    while True:
        part = _NAME_PART.match(text, pos)
        if part is None or part.end() == pos:
            return None
        quoted, plain = part.group(1), part.group(2)
        parts.append(quoted.replace('""', '"') if quoted is not None else plain.lower())
        pos = part.end()
        if pos == len(text):
            break
        if text[pos] != ".":
            return None
        pos += 1
    if len(parts) == 1:
        return QName(default_schema, parts[0])
    if len(parts) == 2:
        return QName(parts[0], parts[1])
    return None


def quote_literal(value: str) -> str:
    """A string literal for SQL *text* (DDL files, COMMENT ON). Never used for values sent
    to a server with parameters available."""
    if "\\" in value:
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + value.replace("'", "''") + "'"
