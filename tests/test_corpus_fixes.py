"""Reader fixes found by measuring the readers on real, generated and hand-written documents.

Each test writes its own small document in the style that exposed the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemadoc.diagnostics import SchemadocError
from schemadoc.model import QName, Schema
from schemadoc.read import read_documents


def _read(tmp_path: Path, *docs: str, stub_missing: bool = False) -> tuple[Schema, list[str]]:
    paths = []
    for i, text in enumerate(docs):
        path = tmp_path / f"doc{i}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    schema, diags = read_documents(paths, stub_missing=stub_missing)
    return schema, [f"{d.code} {d.message}" for d in diags if d.level == "error"]


GENERATED_HEADER = (
    "| Name | Type | Default | Nullable | Children | Parents | Comment |\n"
    "| ---- | ---- | ------- | -------- | -------- | ------- | ------- |\n"
)


def test_schema_named_like_a_skipped_section_is_read(tmp_path: Path) -> None:
    """A heading "archive.items" is a table in schema archive, not an "archive/backup" section."""
    doc = (
        "# backup.notes\n\n## Columns\n\n" + GENERATED_HEADER + "| id | integer |  | false |  |  |  |\n"
        "| body | text |  | true |  |  |  |\n"
    )
    schema, errors = _read(tmp_path, doc)
    assert errors == []
    assert [c.name for c in schema.tables[QName("backup", "notes")].columns] == ["id", "body"]


def test_backups_section_is_still_skipped(tmp_path: Path) -> None:
    doc = (
        "# shop\n\n## items\n\n| Column | Type |\n|---|---|\n| id | integer |\n\n"
        "## Backups\n\n```sql\nCREATE TABLE items_copy (id integer);\n```\n"
    )
    schema, _ = _read(tmp_path, doc)
    assert set(schema.tables) == {QName("public", "items")}


def test_diagram_box_of_a_view_is_not_a_table(tmp_path: Path) -> None:
    overview = (
        "# Overview\n\n```mermaid\nerDiagram\n"
        '"public.orders" {\n  integer id\n  integer total\n}\n'
        '"public.big_orders" {\n  integer id\n}\n```\n'
    )
    orders = "# public.orders\n\n## Columns\n\n" + GENERATED_HEADER + "| id | integer |  | false |  |  |  |\n"
    orders += "| total | integer |  | false |  |  |  |\n"
    view = (
        "# public.big_orders\n\n## Description\n\n```sql\n"
        "CREATE VIEW big_orders AS (\n SELECT id FROM orders WHERE total > 100\n)\n```\n"
    )
    schema, errors = _read(tmp_path, overview, orders, view)
    assert errors == []
    assert set(schema.tables) == {QName("public", "orders")}
    assert set(schema.views) == {QName("public", "big_orders")}


def test_instead_of_trigger_on_a_view(tmp_path: Path) -> None:
    doc = """# Schema

```sql
CREATE TABLE items (id integer PRIMARY KEY);
CREATE VIEW item_list AS SELECT id FROM items;
CREATE FUNCTION item_list_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO items VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER item_list_ins INSTEAD OF INSERT ON item_list
  FOR EACH ROW EXECUTE FUNCTION item_list_insert();
```
"""
    schema, errors = _read(tmp_path, doc)
    assert errors == []
    assert [t.table for t in schema.triggers.values()] == [QName("public", "item_list")]


def test_unqualified_reference_finds_the_sibling_in_its_own_schema(tmp_path: Path) -> None:
    """Catalog dumps print ``REFERENCES shelves(id)`` when the schema is on their search path."""
    doc = """# store.shelves

## Columns

| Name | Type | Nullable |
| ---- | ---- | -------- |
| id | integer | false |

## Constraints

| Name | Type | Definition |
| ---- | ---- | ---------- |
| shelves_pkey | PRIMARY KEY | PRIMARY KEY (id) |

# store.books

## Columns

| Name | Type | Nullable |
| ---- | ---- | -------- |
| id | integer | false |
| shelf_id | integer | false |

## Constraints

| Name | Type | Definition |
| ---- | ---- | ---------- |
| books_shelf_fk | FOREIGN KEY | FOREIGN KEY (shelf_id) REFERENCES shelves(id) |
"""
    schema, errors = _read(tmp_path, doc)
    assert errors == []
    (fk,) = schema.tables[QName("store", "books")].foreign_keys
    assert fk.ref_table == QName("store", "shelves")


def test_unqualified_reference_to_a_missing_table_is_still_reported(tmp_path: Path) -> None:
    doc = (
        "# store.books\n\n| Name | Type | Nullable |\n| ---- | ---- | -------- |\n| id | integer | false |\n"
        "| shelf_id | integer | false |\n\n## Constraints\n\n| Name | Type | Definition |\n"
        "| ---- | ---- | ---------- |\n| books_shelf_fk | FOREIGN KEY | FOREIGN KEY (shelf_id) REFERENCES shelves(id) |\n"
    )
    _, errors = _read(tmp_path, doc)
    assert any(e.startswith("SD101") and "public.shelves" in e for e in errors)


def test_generated_parents_column_alone_makes_no_foreign_key(tmp_path: Path) -> None:
    """A generated Children | Parents layout also lists relations that are not constraints;
    the constraint table is what states a foreign key."""
    users = "# public.people\n\n## Columns\n\n" + GENERATED_HEADER + "| id | integer |  | false |  |  |  |\n"
    events = (
        "# public.events\n\n## Columns\n\n" + GENERATED_HEADER + "| id | integer |  | false |  |  |  |\n"
        "| person_id | integer |  | true |  | [public.people](public.people.md) |  |\n"
    )
    schema, errors = _read(tmp_path, users, events)
    assert errors == []
    assert schema.tables[QName("public", "events")].foreign_keys == ()


def test_parents_column_without_children_still_references(tmp_path: Path) -> None:
    doc = (
        "# people\n\n| Name | Type |\n| --- | --- |\n| id | integer PK |\n\n"
        "# events\n\n| Name | Type | Parents |\n| --- | --- | --- |\n| id | integer PK |  |\n"
        "| person_id | integer | people |\n"
    )
    schema, errors = _read(tmp_path, doc)
    assert errors == []
    (fk,) = schema.tables[QName("public", "events")].foreign_keys
    assert fk.ref_table == QName("public", "people")


def test_extra_definition_column_gives_a_generated_column(tmp_path: Path) -> None:
    doc = (
        "# public.lines\n\n## Columns\n\n"
        "| Name | Type | Default | Nullable | Extra Definition | Comment |\n"
        "| ---- | ---- | ------- | -------- | ---------------- | ------- |\n"
        "| qty | integer |  | false |  |  |\n"
        "| price | numeric |  | false |  |  |\n"
        "| total | numeric |  | true | GENERATED ALWAYS AS ((qty)::numeric * price) STORED |  |\n"
    )
    schema, errors = _read(tmp_path, doc)
    assert errors == []
    total = schema.tables[QName("public", "lines")].column("total")
    assert total is not None
    assert total.generated == "(qty)::numeric * price"
    assert total.default is None


def test_unqualified_sequence_default_outside_public_stays_with_its_table(tmp_path: Path) -> None:
    doc = (
        "# audit.entries\n\n## Columns\n\n" + GENERATED_HEADER
        + "| id | integer | nextval('entries_id_seq'::regclass) | false |  |  |  |\n"
        "\n# public.entries\n\n## Columns\n\n" + GENERATED_HEADER
        + "| id | integer | nextval('entries_id_seq'::regclass) | false |  |  |  |\n"
    )  # fmt: skip
    schema, _ = _read(tmp_path, doc)
    audit = schema.tables[QName("audit", "entries")].column("id")
    public = schema.tables[QName("public", "entries")].column("id")
    assert audit is not None and public is not None
    assert audit.default == "nextval('audit.entries_id_seq'::regclass)"
    assert public.default == "nextval('entries_id_seq'::regclass)"


def test_description_heading_is_the_table_comment(tmp_path: Path) -> None:
    doc = (
        "# public.carts\n\n## Description\n\nShopping carts  \nkept for a week\n\n## Columns\n\n"
        + GENERATED_HEADER
        + "| id | integer |  | false |  |  |  |\n"
    )
    schema, _ = _read(tmp_path, doc)
    assert schema.tables[QName("public", "carts")].comment == "Shopping carts\nkept for a week"


def test_description_heading_invents_no_table(tmp_path: Path) -> None:
    doc = (
        "# Inventory\n\n## Description\n\nWhere stock lives.\n\n"
        "## bins\n\n| Column | Type |\n|---|---|\n| id | integer |\n"
    )
    schema, _ = _read(tmp_path, doc)
    assert set(schema.tables) == {QName("public", "bins")}


def test_enum_values_table_with_enum_header(tmp_path: Path) -> None:
    doc = (
        "# Schema\n\n## tasks\n\n| Column | Type |\n|---|---|\n| id | integer |\n| state | task_state |\n\n"
        "## Types\n\n| Enum | Values |\n|---|---|\n| `task_state` | open, done, dropped |\n"
    )
    schema, _ = _read(tmp_path, doc)
    assert schema.enums[QName("public", "task_state")].labels == ("open", "done", "dropped")
    state = schema.tables[QName("public", "tasks")].column("state")
    assert state is not None and state.type == "task_state"


def test_overview_only_document_names_what_it_lists(tmp_path: Path) -> None:
    doc = (
        "# Schema\n\n## Table Map\n\n| Table | Purpose |\n|---|---|\n"
        "| `crates` | What ships |\n| `pallets` | What carries crates |\n"
    )
    with pytest.raises(SchemadocError) as info:
        _read(tmp_path, doc)
    message = info.value.diagnostic.message
    assert info.value.diagnostic.code == "SD023"
    assert "no tables found" in message
    assert "2 table(s): crates, pallets" in message
