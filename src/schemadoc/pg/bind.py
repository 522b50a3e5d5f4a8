"""Values bound into a statement's text on the client, quickly, by psycopg's own quoting.

psycopg's ``ClientCursor.mogrify`` parses every statement it has not seen lately for its
placeholders before it quotes the values; a probe run sends tens of thousands of
statements that differ from table to table, so that parse was most of the cost of
binding them. :func:`bind` reads the two forms the probes write (``%s`` for a value,
``%%`` for a percent sign) with one regular expression, and quotes each value with the
connection's own adapters (``Transformer.as_literal``, as ``mogrify`` does), so the
text is the same byte for byte. A statement with any other ``%`` form, or with a count
of values that does not match, is left to ``mogrify``, which reads or refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.adapt import Transformer

from schemadoc.lazy_regex import lazy_regex

__all__ = ["Binder"]

_MARK = lazy_regex(rb"%(.?)", re.DOTALL)


class Binder:
    """Binds values into statements for one connection (see the module's docstring)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._tx = Transformer.from_context(conn)
        self._cursor = psycopg.ClientCursor(conn)
        self._encoding = conn.info.encoding

    def bind(self, query: bytes, params: Sequence[Any]) -> bytes:
        """``query`` with ``params`` in place of its ``%s`` marks and ``%%`` made ``%``."""
        pieces: list[bytes] = []
        start = 0
        taken = 0
        as_literal = self._tx.as_literal
        for mark in _MARK.finditer(query):
            kind = mark.group(1)
            if kind == b"%":
                pieces.append(query[start : mark.start() + 1])
            elif kind == b"s" and taken < len(params):
                pieces.append(query[start : mark.start()])
                value = params[taken]
                pieces.append(b"NULL" if value is None else as_literal(value))
                taken += 1
            else:
                return self._mogrify(query, params)
            start = mark.end()
        if taken != len(params):
            return self._mogrify(query, params)
        pieces.append(query[start:])
        return b"".join(pieces)

    def _mogrify(self, query: bytes, params: Sequence[Any]) -> bytes:
        return self._cursor.mogrify(query, params).encode(self._encoding)
