"""The names PostgreSQL gives constraints and indexes the document did not name.

A migration that drops a constraint names it the way the server named it when it was created:
``ALTER TABLE t DROP CONSTRAINT t_email_key`` drops the ``UNIQUE (email)`` written without a name.
These follow the server's own rules (``makeObjectName``): ``<table>_<columns>_<label>``, with the
table and column parts shortened in turn, the longer first, until the name fits in 63 bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

NAME_BYTES = 63


def object_name(table: str, addition: str | None, label: str) -> str:
    """``makeObjectName(table, addition, label)``: the name fitted into 63 bytes."""
    name1 = table.encode("utf-8")
    name2 = addition.encode("utf-8") if addition else b""
    overhead = len(label) + 1 + (1 if name2 else 0)
    avail = NAME_BYTES - overhead
    len1, len2 = len(name1), len(name2)
    while len1 + len2 > avail:
        if len1 > len2:
            len1 -= 1
        else:
            len2 -= 1
    part1 = _clip(name1, len1)
    part2 = _clip(name2, len2)
    return f"{part1}_{part2}_{label}" if name2 else f"{part1}_{label}"


def _clip(raw: bytes, length: int) -> str:
    """The first ``length`` bytes, never splitting a character."""
    return raw[:length].decode("utf-8", errors="ignore")


def column_addition(columns: Sequence[str]) -> str:
    """The columns part of a name: joined with ``_``, stopping once it cannot fit any more."""
    out = ""
    for column in columns:
        piece = column if not out else f"_{column}"
        if len((out + piece).encode("utf-8")) >= NAME_BYTES + 1:
            break
        out += piece
    return out


def primary_key_name(table: str) -> str:
    return object_name(table, None, "pkey")


def unique_name(table: str, columns: Sequence[str]) -> str:
    return object_name(table, column_addition(columns), "key")


def foreign_key_name(table: str, columns: Sequence[str]) -> str:
    return object_name(table, column_addition(columns), "fkey")


def check_name(table: str, columns: Sequence[str]) -> str:
    """A CHECK mentioning exactly one column is named after it; any other after the table alone."""
    return object_name(table, columns[0] if len(set(columns)) == 1 else None, "check")


def exclusion_name(table: str, columns: Sequence[str]) -> str:
    return object_name(table, column_addition(columns), "excl")
