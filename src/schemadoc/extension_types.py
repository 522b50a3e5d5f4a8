"""Types and operator classes that only an extension provides, and how to get each extension."""

from __future__ import annotations

import re
from functools import lru_cache

from schemadoc.lazy_regex import lazy_regex

# type name -> the extension that provides it
EXTENSION_TYPES: dict[str, str] = {
    "ltree": "ltree",
    "lquery": "ltree",
    "ltxtquery": "ltree",
    "citext": "citext",
    "hstore": "hstore",
    "vector": "vector",
    "halfvec": "vector",
    "sparsevec": "vector",
    "geometry": "postgis",
    "geography": "postgis",
    "box2d": "postgis",
    "box3d": "postgis",
}

# operator class -> the extension that provides it
EXTENSION_OPCLASSES: dict[str, str] = {
    "gin_trgm_ops": "pg_trgm",
    "gist_trgm_ops": "pg_trgm",
}

_CONTRIB = "it ships with PostgreSQL's contrib modules (the postgresql-contrib package of most distributions)"
HOW_TO_GET: dict[str, str] = {
    "ltree": _CONTRIB,
    "citext": _CONTRIB,
    "hstore": _CONTRIB,
    "pg_trgm": _CONTRIB,
    "uuid-ossp": _CONTRIB,
    "pgcrypto": _CONTRIB,
    "vector": "install pgvector (the postgresql-NN-pgvector package, or build it from github.com/pgvector/pgvector)",
    "postgis": "install PostGIS (the postgresql-NN-postgis-3 package, or the postgis/postgis image)",
}

# a type as a column gives it: maybe schema-qualified, maybe with modifiers, maybe an array
_TYPE = lazy_regex(
    r'^\s*(?:"?(?P<schema>[A-Za-z_][\w$]*)"?\s*\.\s*)?"?(?P<name>[A-Za-z_][\w$]*)"?'
    r"\s*(?P<mods>\([^()]*\))?\s*(?P<dims>(?:\[\s*\d*\s*\]\s*)*)$"
)
_OPCLASS = lazy_regex(r"(?<![\w$])(" + "|".join(EXTENSION_OPCLASSES) + r")(?![\w$])", re.IGNORECASE)


@lru_cache(maxsize=1024)  # a document's columns share a few types
def type_extension(type_text: str) -> tuple[str, str] | None:
    """``(type name, extension)`` when ``type_text`` names an extension's type, else None."""
    m = _TYPE.match(type_text)
    if m is None:
        return None
    if m.group("schema") not in (None, "public") and m.group("schema").lower() != "extensions":
        return None
    name = m.group("name").lower()
    ext = EXTENSION_TYPES.get(name)
    return None if ext is None else (name, ext)


def bare_type(type_text: str) -> str:
    """``type_text`` without its modifiers: ``vector(3)[]`` -> ``vector[]`` (a domain takes none)."""
    m = _TYPE.match(type_text)
    if m is None:
        return type_text
    dims = "[]" * m.group("dims").count("[")
    return m.group("name").lower() + dims


def opclass_extension(key: str) -> tuple[str, str] | None:
    """``(operator class, extension)`` when an index key names an extension's operator class."""
    m = _OPCLASS.search(key)
    if m is None:
        return None
    name = m.group(1).lower()
    return name, EXTENSION_OPCLASSES[name]
