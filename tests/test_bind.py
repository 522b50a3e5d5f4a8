"""The probes' quick binding of values gives psycopg's mogrify text byte for byte, leaves every
other ``%`` form to mogrify, and what it binds runs on the server as the value itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemadoc.pg.bind import Binder


@pytest.fixture(scope="module")
def conn(server_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(server_url) as c:
        yield c


def _mogrify(conn: psycopg.Connection[Any], query: bytes, params: list[Any]) -> bytes:
    return psycopg.ClientCursor(conn).mogrify(query, params).encode(conn.info.encoding)


# text around the marks: quotes, backslashes, percent signs that are doubled, non-ASCII letters
_TEXT = st.text(alphabet=st.sampled_from(list("ab '\"\\;$1é\n(")), max_size=8).map(
    lambda t: t.replace("%", "")
)
_VALUE = st.one_of(
    st.none(),
    st.text(max_size=12).filter(lambda t: "\x00" not in t),
    st.integers(min_value=-(10**12), max_value=10**12),
)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.tuples(_TEXT, st.sampled_from(["%s", "%%"]), _VALUE), max_size=6), tail=_TEXT)
def test_binding_equals_mogrify(
    conn: psycopg.Connection[Any], pieces: list[tuple[str, str, Any]], tail: str
) -> None:
    query = "".join(text + mark for text, mark, _ in pieces) + tail
    params = [value for _, mark, value in pieces if mark == "%s"]
    raw = query.encode()
    assert Binder(conn).bind(raw, params) == _mogrify(conn, raw, params)


def _outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "text", fn(*args)
    except (psycopg.ProgrammingError, TypeError) as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize(
    "query",
    [b"SELECT %(name)s", b"SELECT %b", b"SELECT %t", b"SELECT 100%", b"SELECT %s, %s", b"SELECT 1"],
    ids=["named", "binary", "text", "trailing percent", "too few values", "too many values"],
)
def test_other_forms_are_left_to_mogrify(conn: psycopg.Connection[Any], query: bytes) -> None:
    mine = _outcome(Binder(conn).bind, query, ["x"])
    assert mine == _outcome(_mogrify, conn, query, ["x"])
    assert mine[0] != "text" or b"%" not in mine[1]


@pytest.mark.parametrize(
    "value", ["it's", "back\\slash", "'); DROP TABLE t; --", "100% %s %%", "naïve ☃", "", None]
)
def test_bound_text_is_read_back_as_the_value(conn: psycopg.Connection[Any], value: str | None) -> None:
    statement = Binder(conn).bind(b"SELECT CAST(%s AS text), 'a%%b'", [value])
    row = conn.execute(statement).fetchone()  # type: ignore[call-overload]
    assert row == (value, "a%b")
