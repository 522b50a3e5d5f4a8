from __future__ import annotations

import re

from schemadoc.read.facts import DocFacts, TableFact
from schemadoc.read.mermaid import decode_type, names_parent, read_mermaid

from conftest import CORPUS, seed_file

DIAGRAM = """\
erDiagram
    Author ||--o{ Book : writes
    Author {
        uuid id PK
        string email UK "login address"
        Genre favourite
        datetime joinedAt
    }
    Book }o--|| Publisher : "published by"
    Book {
        cuid id PK
        uuid writerId FK
        cuid publisherId FK
        float_array embedding
    }
    Book ||--o{ BookTag : tagged
    BookTag {
        cuid bookId PK, FK
        string tag PK
    }
    Shelf
    Drawer {
    }
"""


def _read(text: str = DIAGRAM, line: int = 10) -> DocFacts:
    return read_mermaid(text, file="doc.md", line=line)


def _table(facts: DocFacts, name: str) -> TableFact:
    return next(t for t in facts.tables if t.name.text == name)


def test_entities_become_tables_with_columns_and_keys() -> None:
    facts = _read()
    assert [t.name.text for t in facts.tables] == ["Author", "Book", "BookTag"]
    author = _table(facts, "Author")
    assert author.source == "mermaid"
    cols = {c.name: c for c in author.columns}
    assert cols["id"].type == "uuid" and cols["id"].primary_key
    assert cols["email"].type == "text" and cols["email"].unique and not cols["email"].primary_key
    assert cols["email"].description == "login address"
    assert cols["favourite"].type is None and cols["favourite"].type_written == "Genre"
    assert cols["joinedAt"].type == "timestamp without time zone"
    book = {c.name: c for c in _table(facts, "Book").columns}
    assert book["id"].type == "text" and book["id"].type_written == "cuid"
    assert book["embedding"].type == "double precision[]"


def test_spans_point_at_entity_and_attribute_lines() -> None:
    facts = _read(line=10)
    author = _table(facts, "Author")
    assert (author.span.line, author.span.col) == (12, 5)
    email = author.columns[1]
    assert (email.span.line, email.span.col) == (14, 9)


def test_relationship_direction_label_and_optionality() -> None:
    facts = _read()
    edges = {(str(r.parent), str(r.child)): r for r in facts.relationships}
    assert set(edges) == {("Author", "Book"), ("Publisher", "Book"), ("Book", "BookTag")}
    assert edges["Author", "Book"].label == "writes"
    assert edges["Author", "Book"].optional is False
    # "Book }o--|| Publisher": the many side (left) refers to the right side.
    assert edges["Publisher", "Book"].label == "published by"
    assert edges["Author", "Book"].span.line == 11


def test_fk_columns_matched_by_name_then_by_elimination() -> None:
    facts = _read()
    book = {c.name: c for c in _table(facts, "Book").columns}
    assert book["publisherId"].references is not None
    assert book["publisherId"].references.table.text == "Publisher"
    assert book["publisherId"].references.columns == []
    # writerId does not name Author, but it is the only FK left and Author the only edge left.
    assert book["writerId"].references is not None
    assert book["writerId"].references.table.text == "Author"
    assert [d.code for d in facts.diagnostics] == ["SD143"]
    assert facts.diagnostics[0].span == book["writerId"].span


def test_composite_primary_key_from_several_pk_marks() -> None:
    tag = _table(_read(), "BookTag")
    assert tag.primary_key == ["bookId", "tag"]
    assert not any(c.primary_key for c in tag.columns)
    assert tag.columns[0].references is not None
    assert tag.columns[0].references.table.text == "Book"


def test_entities_without_attributes_are_mentions() -> None:
    facts = _read()
    assert sorted(m.name.text for m in facts.mentions) == ["Drawer", "Publisher", "Shelf"]


def test_ambiguous_fk_columns_are_left_to_the_resolver() -> None:
    text = """erDiagram
    User ||--o{ Transfer : sends
    User ||--o{ Transfer : receives
    Transfer {
        int id PK
        int senderId FK
        int receiverId FK
    }
"""
    facts = _read(text)
    assert all(c.references is None for c in facts.tables[0].columns)
    assert len(facts.relationships) == 2


def test_tbls_style_quoted_names_mangled_types_and_fk_labels() -> None:
    text = """erDiagram

"public.orders" }o--o| "public.customers" : "FOREIGN KEY (customer_id) REFERENCES customers(id)"
"public.orders" }o--|| "public.regions" : "FOREIGN KEY (code_a,zone_a) REFERENCES regions(code,zone)"

"public.orders" {
  bigint id
  bigint customer_id FK
  varchar_64_ code_a FK
  character_2_ zone_a FK
  timestamp_without_time_zone placed_at
  numeric_10_2_ total
  text__ notes
}
"""
    facts = _read(text)
    orders = facts.tables[0]
    assert (orders.name.schema, orders.name.text) == ("public", "orders")
    cols = {c.name: c for c in orders.columns}
    assert cols["code_a"].type == "character varying(64)"
    assert cols["zone_a"].type == "character(2)"
    assert cols["placed_at"].type == "timestamp without time zone"
    assert cols["total"].type == "numeric(10,2)"
    assert cols["notes"].type == "text[]"
    ref = cols["customer_id"].references
    assert ref is not None and str(ref.table) == "public.customers" and ref.columns == ["id"]
    assert [(cols_, str(r.table), r.columns) for cols_, r in orders.foreign_keys] == [
        (["code_a", "zone_a"], "public.regions", ["code", "zone"])
    ]
    edges = {str(r.parent): r.optional for r in facts.relationships}
    assert edges == {"public.customers": True, "public.regions": False}
    assert facts.diagnostics == []


def test_word_cardinalities_and_one_to_one() -> None:
    text = """erDiagram
    Account only one to zero or one Settings : has
    Passport |o--|| Person : "belongs to"
"""
    facts = _read(text)
    edges = {(str(r.parent), str(r.child)): r.optional for r in facts.relationships}
    assert edges == {("Account", "Settings"): False, ("Person", "Passport"): False}


def test_many_to_many_and_unreadable_lines_are_reported() -> None:
    text = """erDiagram
    Student }o--o{ Course : attends
    this is not mermaid ???
"""
    facts = _read(text)
    assert facts.relationships == []
    assert sorted(d.code for d in facts.diagnostics) == ["SD030", "SD142"]
    assert {m.name.text for m in facts.mentions} == {"Student", "Course"}


def test_other_diagrams_give_a_note_and_no_facts() -> None:
    facts = _read("%% comment\nclassDiagram\n  class Animal\n", line=3)
    assert facts.tables == [] and facts.relationships == [] and facts.mentions == []
    assert [(d.code, d.level, d.span.line if d.span else 0) for d in facts.diagnostics] == [
        ("SD141", "note", 4)
    ]


def test_decode_type_and_name_matching() -> None:
    assert decode_type("varchar__") == "varchar[]"
    assert decode_type("double_precision") == "double precision"
    assert decode_type("float_array") == "float_array"
    assert decode_type("my_type") == "my_type"
    assert names_parent("recordId", "DataRecord")
    assert names_parent("project_id", "projects")
    assert names_parent("parent_category_id", "categories")
    assert not names_parent("ownerId", "Profile")
    assert not names_parent("project", "Project")  # no id suffix: not a key column name


def _mermaid_fences(text: str) -> list[tuple[str, int]]:
    return [
        (m.group(1), text.count("\n", 0, m.start(1)) + 1)
        for m in re.finditer(r"^```mermaid\n(.*?)^```", text, re.S | re.M)
    ]


def test_seed_002_diagram() -> None:
    path = seed_file(2)
    fences = _mermaid_fences(path.read_text())
    assert len(fences) == 1
    facts = read_mermaid(fences[0][0], file=path.name, line=fences[0][1])
    assert len(facts.tables) == 8
    assert all(len(t.columns) >= 4 for t in facts.tables)
    profile = _table(facts, "Profile")
    assert [c.type_written for c in profile.columns if c.type is None] == ["UserRole"]
    fk = {
        (t.name.text, c.name): c.references.table.text
        for t in facts.tables
        for c in t.columns
        if c.references is not None
    }
    assert fk[("DataRecord", "projectId")] == "Project"
    assert fk[("LikertScore", "recordId")] == "DataRecord"
    assert fk[("Project", "ownerId")] == "Profile"
    assert len(facts.relationships) == 5
    assert not [d for d in facts.diagnostics if d.level != "note"]


def test_corpus_marquez_runs_page() -> None:
    path = CORPUS / "docs" / "MarquezProject__marquez__dbdoc__public.runs.md"
    if not path.is_file():
        import pytest

        pytest.skip("corpus document is not present")
    (body, line), *_ = _mermaid_fences(path.read_text())
    facts = read_mermaid(body, file=path.name, line=line)
    runs = _table(facts, "runs")
    refs = {c.name: (str(c.references.table), c.references.columns) for c in runs.columns if c.references}
    assert refs["parent_run_uuid"] == ("public.runs", ["uuid"])
    assert refs["end_run_state_uuid"] == ("public.run_states", ["uuid"])
    assert all(c.type is not None for c in runs.columns)
    assert not [d for d in facts.diagnostics if d.level != "note"]
