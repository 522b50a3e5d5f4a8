"""SqlSource: finding keywords at paren depth 0 gives the same answer with or without quoting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemadoc.read.sql_source import SqlSource, Tok


def _by_tokens(src: SqlSource, start: int, end: int, *words: str) -> Tok | None:
    """The reference: walk every token, as the reader does when the range holds quotes."""
    depth = 0
    for tok in src.tokens(start, end):
        if tok.kind == "p" and src.b[tok.start] in b"()":
            depth += 1 if src.b[tok.start] == 0x28 else -1
        elif depth == 0 and src.word(tok) in words:
            return tok
    return None


PLAIN = [
    ("CREATE INDEX i ON t (a, (lower(b))) WHERE a > 0", "WHERE a > 0"),
    ("CREATE INDEX i ON t (x) where (y IS NOT NULL)", "where (y IS NOT NULL)"),
    ("CREATE INDEX i ON t USING gin (v) WHERE n > 1.5e-3 AND m < .5", "WHERE n > 1.5e-3 AND m < .5"),
    ("CREATE INDEX i ON t (a) INCLUDE (where_col) WHERE t.wherever = 1", "WHERE t.wherever = 1"),
    ("CREATE INDEX i ON t ((coalesce(a, 1))) WHERE (a) IN (1e5, 2)", "WHERE (a) IN (1e5, 2)"),
    ("CREATE INDEX é ON tëst (ñame) WHERE ñame > 0", "WHERE ñame > 0"),
    ("CREATE INDEX i ON t (a, (b where c))", None),
]
QUOTED = [
    "CREATE INDEX i ON t (a) WHERE x = 'where' AND y = \"where\"",
    "CREATE INDEX i ON t (a) /* where */ WHERE b -- where\n > 0",
    "CREATE INDEX i ON t (a) WHERE b = $$where$$",
]
# strings, quoted names and comments are skipped whole without the token walk; dollar quotes need it
NO_DOLLAR = [
    ("CREATE INDEX i ON t (a) WHERE x = 'where' AND y = \"where\"", "WHERE x = 'where' AND y = \"where\""),
    ("CREATE INDEX i ON t (a) /* where */ WHERE b -- where\n > 0", "WHERE b -- where\n > 0"),
    ("CREATE INDEX i ON t (a, ')where(') WHERE b = E'it\\'s where'", "WHERE b = E'it\\'s where'"),
    ('CREATE INDEX i ON t ("a)") WHERE \'x\'\' where\' = "w""where"', "WHERE 'x'' where' = \"w\"\"where\""),
]


@pytest.mark.parametrize(("text", "tail"), PLAIN + NO_DOLLAR)
def test_find_word_without_quotes_needs_no_tokens(
    text: str, tail: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = SqlSource(text, file="doc.md", line=1)
    start = text.index("(")
    expected = _by_tokens(src, start, len(src.b), "where")

    def no_tokens(*_: object) -> Iterator[Tok]:
        raise AssertionError("the token walk is not needed here")

    monkeypatch.setattr(src, "tokens", no_tokens)
    found = src.find_word(start, len(src.b), "where")
    assert found == expected
    if tail is None:
        assert found is None
    else:
        assert found is not None and src.b[found.start :].decode() == tail


@pytest.mark.parametrize("text", QUOTED)
def test_find_word_with_quotes_or_comments_walks_tokens(text: str) -> None:
    src = SqlSource(text, file="doc.md", line=1)
    found = src.find_word(0, None, "where")
    assert found == _by_tokens(src, 0, len(src.b), "where")
    assert found is not None and src.b[found.start : found.end] == b"WHERE"


def test_find_word_skips_words_inside_parentheses_and_numbers() -> None:
    src = SqlSource("DEFAULT (check) 1e5 CHECK (a > 0)", file="doc.md", line=1)
    tok = src.find_word(0, None, "check")
    assert tok is not None and src.b[tok.start : tok.end] == b"CHECK"
    assert src.find_word(0, None, "e5") is None


def _item_by_tokens(src: SqlSource, start: int, stop: int) -> tuple[int, int, int]:
    """The reference for :meth:`SqlSource.scan_item`: walk every token, counting parentheses."""
    depth = 0
    first, last = -1, start
    for tok in src.tokens(start, stop):
        c = src.b[tok.start : tok.start + 1] if tok.kind == "p" else b""
        if c and c in b"([":
            depth += 1
        elif c and c in b")]":
            if depth == 0:
                return (first, last, tok.start) if first >= 0 else (start, start, tok.start)
            depth -= 1
        elif c and c in b",;" and depth == 0:
            return (first, last, tok.start) if first >= 0 else (start, start, tok.start)
        if first < 0:
            first = tok.start
        last = tok.end
    end = min(stop, len(src.b))
    return (first, last, end) if first >= 0 else (start, start, end)


# A dollar quote or an E string straight after a number is not SQL (PostgreSQL reads it as junk
# after the number): those fragments start with a space.
_FRAGMENTS = st.sampled_from(
    [
        "a",
        "where",
        " ",
        "\n",
        "(",
        ")",
        ",",
        ";",
        "[",
        "]",
        "'x'",
        "'a,b)'",
        "'it''s'",
        " E'a\\'b,'",
        " e'\\\\'",
        '"q"',
        '"a,)"',
        '"x""y"',
        "-- c, )\n",
        "/* ) , */",
        "1.5e3",
        " $$a,)$$",
        " $t$ ; $t$",
        "a$b",
        "x$",
        "::int",
        "'a' 'b'",
        "x = 'y'",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=14), st.integers(min_value=0, max_value=3))
def test_property_scan_item_agrees_with_the_token_walk(parts: list[str], cut: int) -> None:
    text = "".join(parts)
    src = SqlSource(text, file="doc.md", line=1)
    stop = max(len(src.b) - cut, 0)
    assert src.scan_item(0, stop) == _item_by_tokens(src, 0, stop)


@settings(max_examples=500, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=14))
def test_property_find_word_agrees_with_the_token_walk(parts: list[str]) -> None:
    text = "".join(parts)
    src = SqlSource(text, file="doc.md", line=1)
    assert src.find_word(0, None, "where", "a") == _by_tokens(src, 0, len(src.b), "where", "a")


_GROUP_FRAGMENTS = _FRAGMENTS | st.sampled_from(
    ["-", "/", "*", "- 1", "x / y", "\\", "\t", "'\\'", "f(a, b)"]
)


@settings(max_examples=800, deadline=None)
@given(st.lists(_GROUP_FRAGMENTS, max_size=12), st.integers(min_value=0, max_value=3))
def test_property_paren_body_agrees_with_the_scan(parts: list[str], cut: int) -> None:
    # A group that the one-regex path reads must come out as the scan reads it.
    text = " (" + "".join(parts)
    src = SqlSource(text, file="doc.md", line=1)
    stop = max(len(src.b) - cut, 2)
    assert src.paren_body(0, stop) == src.item_end(2, stop)


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("(status IN ('new', 'open'))", "status IN ('new', 'open')"),
        ("(  a > 0 )", "a > 0"),
        ("( )", ""),
        ("(f(x, y) > 0 AND g(1)) tail", "f(x, y) > 0 AND g(1)"),
        ("(a -- ) note\n)", "a"),
        ("(a, b)", "a"),
        ("(E'\\')' = x)", "E'\\')' = x"),
    ],
)
def test_paren_body_reads_the_group(text: str, inside: str) -> None:
    src = SqlSource(text, file="doc.md", line=1)
    got = src.paren_body(0)
    assert got is not None
    assert src.b[got[0] : got[1]].decode() == inside
