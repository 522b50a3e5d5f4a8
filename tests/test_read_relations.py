from __future__ import annotations

import re

import pytest

from schemadoc.read.facts import ColumnFact, DocFacts
from schemadoc.read.relations import looks_like_relations, read_relations, split_top_level

from conftest import seed_file

BLOCK = """\
authors(id PK, name, born DATE)
books(id BIGINT PK, author_id FK->authors(id), title varchar(200) NOT NULL, price numeric(8,2))
reviews(id PK, book_id FK → books(id) ON DELETE CASCADE, stars smallint, body, meta JSONB)
loans(book_id FK -> books, member_id REFERENCES public.members(member_no), PRIMARY KEY (book_id, member_id))
"""


def _read(text: str = BLOCK, line: int = 20) -> DocFacts:
    return read_relations(text, file="doc.md", line=line)


def _cols(facts: DocFacts, table: str) -> dict[str, ColumnFact]:
    return {c.name: c for t in facts.tables if t.name.text == table for c in t.columns}


def test_tables_and_columns() -> None:
    facts = _read()
    assert [t.name.text for t in facts.tables] == ["authors", "books", "reviews", "loans"]
    assert all(t.source == "relations" for t in facts.tables)
    assert list(_cols(facts, "books")) == ["id", "author_id", "title", "price"]
    assert facts.diagnostics == []


def test_types_written_or_left_open() -> None:
    facts = _read()
    authors = _cols(facts, "authors")
    assert authors["id"].type is None and authors["id"].primary_key
    assert authors["name"].type is None and authors["name"].type_written is None
    assert authors["born"].type == "date"
    books = _cols(facts, "books")
    assert books["id"].type == "bigint"
    assert books["title"].type == "character varying(200)" and books["title"].nullable is False
    assert books["price"].type == "numeric(8,2)"
    assert _cols(facts, "reviews")["meta"].type == "jsonb"
    assert _cols(facts, "reviews")["stars"].type_written == "smallint"


def test_reference_forms() -> None:
    facts = _read()
    ref = _cols(facts, "books")["author_id"].references
    assert ref is not None and (str(ref.table), ref.columns) == ("authors", ["id"])
    ref = _cols(facts, "reviews")["book_id"].references
    assert ref is not None and (str(ref.table), ref.columns, ref.on_delete) == ("books", ["id"], "CASCADE")
    loans = _cols(facts, "loans")
    ref = loans["book_id"].references
    assert ref is not None and (str(ref.table), ref.columns) == ("books", [])
    ref = loans["member_id"].references
    assert ref is not None and (ref.table.schema, ref.table.text, ref.columns) == (
        "public",
        "members",
        ["member_no"],
    )


def test_table_level_primary_key() -> None:
    loans = next(t for t in _read().tables if t.name.text == "loans")
    assert loans.primary_key == ["book_id", "member_id"]
    assert not any(c.primary_key for c in loans.columns)


def test_spans() -> None:
    facts = _read(line=20)
    books = facts.tables[1]
    assert (books.span.line, books.span.col) == (21, 1)
    author_id = _cols(facts, "books")["author_id"]
    assert (author_id.span.line, author_id.span.col) == (21, 21)


def test_fk_without_target_and_bad_items_are_reported() -> None:
    facts = _read("a(id PK, b_id FK, c = 3)\nnot a relation\n", line=5)
    assert [(d.code, d.span.line if d.span else 0) for d in facts.diagnostics] == [
        ("SD030", 5),
        ("SD146", 5),
        ("SD146", 6),
    ]
    assert list(_cols(facts, "a")) == ["id", "b_id"]


def test_split_top_level_keeps_parentheses() -> None:
    parts = [p for p, _ in split_top_level("a numeric(8,2), b FK->t(x, y), c")]
    assert parts == ["a numeric(8,2)", " b FK->t(x, y)", " c"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BLOCK, True),
        ("t(a PK)\n\n-- comment\nu(b FK->t(a))\n", True),
        ("users(id, name)\n", False),  # no key marked: could be anything
        ("print(a, b)\n", False),
        ("runs(plan_id)\n", False),
        ("CREATE TABLE t(a int PRIMARY KEY);\n", False),
        ("t(a PK, b int)\nThe table above holds things.\n", False),
        ("SELECT count(*) FROM t;\n", False),
        ("f(x PK, y = 'z')\n", False),
        ("", False),
    ],
)
def test_looks_like_relations(text: str, expected: bool) -> None:
    assert looks_like_relations(text) is expected


def test_seed_001_relations() -> None:
    path = seed_file(1)
    text = path.read_text()
    blocks = [
        (m.group(1), text.count("\n", 0, m.start(1)) + 1)
        for m in re.finditer(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M)
    ]
    relation_blocks = [b for b in blocks if looks_like_relations(b[0])]
    assert len(relation_blocks) == 1
    body, line = relation_blocks[0]
    facts = read_relations(body, file=path.name, line=line)
    assert [t.name.text for t in facts.tables] == ["papers", "plans", "runs", "run_events", "storyboards"]
    ref = _cols(facts, "runs")["plan_id"].references
    assert ref is not None and (str(ref.table), ref.columns) == ("plans", ["id"])
    assert _cols(facts, "run_events")["seq"].type == "bigint"
    assert all(t.columns[0].name == "id" and t.columns[0].primary_key for t in facts.tables)
    assert facts.diagnostics == []
