"""A lexer for the lines of an erDiagram entity body (``Name { ... }``).

An attribute's comment is a double-quoted string and may hold any character, ``}`` included
(``timestamptz valid_from "{NOT_NULL}"``): the body ends at the first ``}`` that is outside a
string and before a ``%%`` comment, not at the first ``}`` of the line.
"""

from __future__ import annotations

import re
from typing import Literal

from schemadoc.lazy_regex import lazy_regex
from schemadoc.records import record

TokenKind = Literal["word", "string", "close", "comment"]


@record
class BodyToken:
    kind: TokenKind
    text: str
    pos: int  # 0-based offset in the line


def body_tokens(line: str) -> list[BodyToken]:
    """The tokens of one body line. A string left open runs to the end of the line (mermaid
    strings do not span lines); a ``%%`` outside a string starts a comment that ends the line."""
    tokens: list[BodyToken] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            end = line.find('"', i + 1)
            end = n if end == -1 else end + 1
            tokens.append(BodyToken("string", line[i:end], i))
            i = end
        elif ch == "}":
            tokens.append(BodyToken("close", ch, i))
            i += 1
        elif line.startswith("%%", i):
            tokens.append(BodyToken("comment", line[i:], i))
            break
        else:
            start = i
            while i < n and not line[i].isspace() and line[i] not in '"}' and not line.startswith("%%", i):
                i += 1
            tokens.append(BodyToken("word", line[start:i], start))
    return tokens


def body_end(line: str) -> int | None:
    """Where the ``}`` that closes the entity body stands in ``line``, or None when it does not."""
    for tok in body_tokens(line):
        if tok.kind == "close":
            return tok.pos
    return None


_NOT_NULL_MARK = lazy_regex(r"\{\s*NOT[_ ]NULL\s*\}|^\s*NOT[_ ]NULL\b", re.IGNORECASE)


def comment_says_not_null(comment: str) -> bool:
    """Whether an attribute comment marks the column NOT NULL: ``"{NOT_NULL}"``, ``"NOT NULL ..."``."""
    return bool(_NOT_NULL_MARK.search(comment))
