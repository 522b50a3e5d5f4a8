"""Matching the several names a document gives one entity.

A document may call one table ``Profile`` (model name), ``profiles`` (SQL) and
``public.profiles`` (prose). :func:`entity_key` reduces each spelling to one key;
:func:`column_key` does the same for columns (``ownerId``, ``ownerid``, ``owner_id``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from schemadoc.lazy_regex import lazy_regex

_CAMEL = lazy_regex(r"(?<=[a-z0-9])(?=[A-Z])")
_PLACEHOLDER = lazy_regex(r"(?:your|my|some|example)_table(?:_?name)?|table_?name|tbl_?name", re.IGNORECASE)


def singular(word: str) -> str:
    """A crude English singular, enough to match ``profiles`` with ``Profile``."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")) and len(word) > 4:
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


@lru_cache(maxsize=8192)
def snake(name: str) -> str:
    """``DataRecord`` -> ``data_record``; snake_case stays as it is."""
    return _CAMEL.sub("_", name).lower()


@lru_cache(maxsize=8192)
def entity_key(name: str, schema: str | None = None) -> str:
    """One key for every spelling of a table name, schema included."""
    if schema is None and "." in name:
        schema, _, name = name.partition(".")
    words = snake(name).replace("-", "_").split("_")
    words = [w for w in words if w]
    if words:
        words[-1] = singular(words[-1])
    return f"{(schema or 'public').lower()}.{''.join(words)}"


@lru_cache(maxsize=8192)
def column_key(name: str) -> str:
    """One key for every spelling of a column name (the same names recur in every table: one
    string for each)."""
    return name.lower().replace("_", "")


def is_folded_camel(written: str, actual: str) -> bool:
    """True when ``written`` is what PostgreSQL makes of the unquoted ``actual`` (``ownerid``
    for ``ownerId``): the same letters, and ``actual`` has capitals."""
    return written != actual and written == actual.lower() and actual != actual.lower()


def is_placeholder(name: str) -> bool:
    """``table_name``, ``your_table``: a name that stands for any table in an example statement
    (``CREATE TRIGGER ... ON table_name``), not a table of the schema."""
    return _PLACEHOLDER.fullmatch(name) is not None
