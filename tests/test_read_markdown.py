"""The markdown reader: section context, column tables, bullet lists, prose facts, skipped sections."""

from __future__ import annotations

import textwrap

import pytest

from schemadoc.model import QName
from schemadoc.read.facts import ColumnFact, DocFacts, TableFact
from schemadoc.read.markdown import heading_entity, read_markdown
from tests.conftest import CORPUS, seed_file

from corpus_support import internal_errors, load_expected, read_one, tables_read


def read(text: str) -> DocFacts:
    return read_markdown(textwrap.dedent(text).lstrip("\n"), file="doc.md")


def columns_of(facts: DocFacts, table: str, source: str | None = None) -> dict[str, ColumnFact]:
    out: dict[str, ColumnFact] = {}
    for fact in facts.tables:
        if fact.name.text == table and (source is None or fact.source == source):
            out.update({c.name: c for c in fact.columns})
    return out


def table_facts(facts: DocFacts, table: str) -> list[TableFact]:
    return [t for t in facts.tables if t.name.text == table]


def codes(facts: DocFacts) -> list[str]:
    return [d.code for d in facts.diagnostics]


# --- headings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "parents", "name", "kind"),
    [
        ("1. `orders` - Customer orders", ["Core Tables"], "orders", "table"),
        ("Table: `ledger` ⭐ (Core Table)", [], "ledger", "table"),
        ("Invoice", ["Tables"], "Invoice", "table"),
        ("`open_orders`", ["Helper Views"], "open_orders", "view"),
        ("`touch_row()`", ["Functions & Triggers"], "touch_row", "function"),
        ("`orders.state`", ["Appendix: Value Lists"], "orders", "column"),
        ("View: recent_orders", [], "recent_orders", "view"),
        ("public.items", [], "items", "table"),
    ],
)
def test_heading_names_entity(heading: str, parents: list[str], name: str, kind: str) -> None:
    entity = heading_entity(heading, parents)
    assert entity is not None
    assert entity.name.text == name
    assert entity.kind == kind


@pytest.mark.parametrize("heading", ["Key Design Decisions", "Overview", "Indexes for Performance", ""])
def test_heading_without_entity(heading: str) -> None:
    assert heading_entity(heading, ["Anything"]) is None


def test_dotted_heading_under_appendix_is_a_column_and_elsewhere_a_schema() -> None:
    col = heading_entity("`orders.state`", ["Appendix: Enums"])
    assert col is not None and col.column == "state"
    tbl = heading_entity("`sales.orders`", ["Tables"])
    assert tbl is not None and tbl.kind == "table" and tbl.name.schema == "sales"


# --- column tables ------------------------------------------------------------------------------


def test_column_table_headers_in_any_order_and_constraint_phrases() -> None:
    facts = read(
        """
        ## Tables

        ### Invoice

        | Description | Field | Constraints | Data type |
        |---|---|---|---|
        | Row id | `id` | PRIMARY KEY, DEFAULT gen_random_uuid() | UUID |
        | Owner | `ownerId` | FK → Account, NOT NULL | UUID |
        | Mail | `email` | UNIQUE, NOT NULL | VARCHAR(120) |
        | Kind | `kind` | NOT NULL, DEFAULT 'DRAFT' | InvoiceKind |
        | Tags | `tags` | NOT NULL, DEFAULT [] | TEXT[] |
        | Note | `memo` | NULLABLE | TEXT |
        | Touched | `touchedAt` | NOT NULL, AUTO | TIMESTAMPTZ |
        | Parent | `parent_id` | REFERENCES billing.invoices(id) ON DELETE SET NULL | UUID |
        | Amount | `amount` | CHECK (amount >= 0) | NUMERIC(10,2) |
        """
    )
    cols = columns_of(facts, "Invoice", "columns")
    assert list(cols) == [
        "id",
        "ownerId",
        "email",
        "kind",
        "tags",
        "memo",
        "touchedAt",
        "parent_id",
        "amount",
    ]
    assert cols["id"].primary_key and cols["id"].default == "gen_random_uuid()" and cols["id"].type == "uuid"
    ref = cols["ownerId"].references
    assert (
        ref is not None
        and ref.table.text == "Account"
        and ref.columns == []
        and cols["ownerId"].nullable is False
    )
    assert cols["email"].unique and cols["email"].type == "character varying(120)"
    assert cols["kind"].type == "InvoiceKind" and cols["kind"].default == "'DRAFT'"
    assert cols["tags"].default == "'{}'" and cols["tags"].type == "text[]"
    assert cols["memo"].nullable is True
    assert cols["touchedAt"].auto_updated and cols["touchedAt"].nullable is False
    parent = cols["parent_id"].references
    assert parent is not None and parent.table.schema == "billing" and parent.columns == ["id"]
    assert parent.on_delete == "SET NULL"
    assert cols["amount"].checks == ("amount >= 0",)
    assert cols["email"].description == "Mail"


def test_column_table_row_spans_are_exact() -> None:
    facts = read(
        """
        # Doc

        ## things

        | Column | Type |
        |--------|------|
        | a      | int  |

        | b      | int  |
        """
    )
    cols = columns_of(facts, "things")
    assert cols["a"].span.line == 7
    assert cols["a"].span.col == 3


def test_overflow_cells_are_kept_as_a_value_list_with_a_warning() -> None:
    facts = read(
        """
        ## jobs

        | Column | Type | Notes |
        |--------|------|-------|
        | id     | uuid | PK, default gen_random_uuid() |
        | state  | text | queued | running | done |
        | label  | text | NOT NULL; shown in the UI |
        """
    )
    cols = columns_of(facts, "jobs")
    assert cols["state"].values == ["queued", "running", "done"]
    assert cols["id"].primary_key and cols["id"].default == "gen_random_uuid()"
    assert cols["label"].nullable is False and cols["label"].description == "shown in the UI"
    warning = next(d for d in facts.diagnostics if d.code == "SD014")
    assert warning.level == "warning" and warning.span is not None and warning.span.line == 6


def test_or_list_in_description_is_a_value_list_but_prose_is_not() -> None:
    facts = read(
        """
        ### Ticket

        | Column | Type | Constraints | Description |
        |---|---|---|---|
        | `kind` | TicketKind | NOT NULL | BUG or FEATURE |
        | `note` | TEXT | NULLABLE | User or admin note |
        | `owner` | UUID | PK | Matches `auth.users.id` |
        """
    )
    cols = columns_of(facts, "Ticket")
    assert cols["kind"].values == ["BUG", "FEATURE"]
    assert cols["note"].values is None
    ref = cols["owner"].references
    assert ref is not None and (ref.table.schema, ref.table.text, ref.columns) == ("auth", "users", ["id"])


def test_rows_with_missing_pipes_are_read() -> None:
    facts = read(
        """
        ### members

        | Name | Type | Default | Nullable | References |
        | -- | -- | -- | -- | -- |
        | id (PK) | uuid | uuid_generate_v4() | False |
        team_id | uuid |  | True | teams.id
        joined | timestamp with time zone | now() | False |  |
        """
    )
    cols = columns_of(facts, "members")
    assert list(cols) == ["id", "team_id", "joined"]
    assert cols["id"].primary_key and cols["id"].nullable is False
    ref = cols["team_id"].references
    assert ref is not None and ref.table.text == "teams" and ref.columns == ["id"]
    assert cols["team_id"].nullable is True
    assert cols["joined"].default == "now()"
    lines = {d.span.line for d in facts.diagnostics if d.code == "SD014" and d.span}
    assert 6 in lines


def test_tables_without_pipes_and_yes_no_nullability() -> None:
    facts = read(
        """
        ### tokens

        Column | Type | Default | Nullable
        --- | --- | --- | ---
        id | integer | nextval('tokens_id_seq'::regclass) | NO
        value | character varying | None | YES
        """
    )
    cols = columns_of(facts, "tokens")
    assert cols["id"].nullable is False and cols["id"].default == "nextval('tokens_id_seq'::regclass)"
    assert cols["value"].nullable is True and cols["value"].default is None


def test_japanese_headers_and_constraint_words() -> None:
    facts = read(
        """
        ## teamMembers

        テーブル名: `team_members`

        ### カラム一覧

        | カラム名 | データ型 | 説明 |
        |---|---|---|
        | id | UUID | 主キー（必須、主キー） |
        | name | VARCHAR | 名前（必須、一意制約） |
        | memo | TEXT | メモ |

        ### 外部キー制約

        - `team_id` → `teams(id)`
        """
    )
    cols = columns_of(facts, "team_members")
    assert cols["id"].primary_key and cols["id"].nullable is False
    assert cols["name"].unique and cols["name"].nullable is False
    assert cols["memo"].nullable is None
    fks = [fk for t in table_facts(facts, "team_members") for fk in t.foreign_keys]
    assert fks and fks[0][0] == ["team_id"] and fks[0][1].table.text == "teams"


def test_transposed_table_reads_header_as_column_names() -> None:
    facts = read(
        """
        ### Accounts

        |  id  | handle | created |
        |:----:|--------|---------|
        | [PK] serial | character varying(64) | timestamp without time zone |
        """
    )
    cols = columns_of(facts, "Accounts")
    assert cols["id"].primary_key and cols["id"].type == "serial"
    assert cols["handle"].type == "character varying(64)"


def test_non_column_tables_are_ignored_with_a_note_and_overviews_mention_tables() -> None:
    facts = read(
        """
        ## Files

        | File | Purpose |
        |------|---------|
        | a.sql | base |

        ## Quick Reference

        | Table | Primary Purpose | Key Relations |
        |-------|-----------------|---------------|
        | `orders` | Orders | → items |
        | `items` | Lines | ← orders |
        """
    )
    assert not facts.tables
    assert "SD015" in codes(facts)
    assert [m.name.text for m in facts.mentions] == ["orders", "items"]
    assert facts.mentions[0].span.line == 11


# --- bullet columns ------------------------------------------------------------------------------


def test_bullet_columns() -> None:
    facts = read(
        """
        ### 1. `books` - Books on the shelf

        **Key Columns:**
        - `id` (uuid, PK) - Book id
        - `isbn`, `ean` (text, optional) - External codes
        - `shelf_id` (uuid, NOT NULL, FK → shelves) - Parent shelf
        - `state` (text, NOT NULL, default 'new') - Enum: `new`, `lent`, `lost`
        - `path` (text, NOT NULL) - Storage path (must start with `books/`)
        - `created_at`, `updated_at` (timestamptz, NOT NULL, DEFAULT NOW())
        """
    )
    cols = columns_of(facts, "books", "bullets")
    assert list(cols) == ["id", "isbn", "ean", "shelf_id", "state", "path", "created_at", "updated_at"]
    assert cols["id"].primary_key and cols["id"].type == "uuid"
    assert cols["isbn"].nullable is True and cols["ean"].nullable is True
    ref = cols["shelf_id"].references
    assert ref is not None and ref.table.text == "shelves"
    assert cols["state"].default == "'new'" and cols["state"].values == ["new", "lent", "lost"]
    assert cols["path"].values is None
    assert cols["updated_at"].default == "NOW()" and cols["updated_at"].type == "timestamp with time zone"
    assert cols["ean"].span.line == 5


# --- constraint, index, trigger and relationship bullets -------------------------------------------


def test_constraint_bullets() -> None:
    facts = read(
        """
        ### `loans`

        **Constraints:**
        - `CHECK (returned_at IS NULL OR returned_at >= lent_at)`
        - `UNIQUE (book_id, lent_at)` - One loan at a time
        - `ON DELETE CASCADE` from books and members
        - `ON DELETE SET NULL` from staff
        - `CHECK` - Exactly one borrower: `(member_id XOR library_id)`
        """
    )
    prose = [t for t in table_facts(facts, "loans") if t.source == "prose"]
    assert len(prose) == 1
    checks = prose[0].checks
    assert checks[0].expression == "returned_at IS NULL OR returned_at >= lent_at"
    assert set(checks[0].columns) == {"returned_at", "lent_at"}
    assert prose[0].uniques[0][0] == ["book_id", "lent_at"]
    actions = [(a.parent.text, a.on_delete) for a in facts.fk_actions]
    assert actions == [("books", "CASCADE"), ("members", "CASCADE"), ("staff", "SET NULL")]
    assert checks[1].expression == "member_id XOR library_id"
    warning = next(d for d in facts.diagnostics if d.code == "SD012")
    assert (
        warning.level == "warning"
        and warning.hint
        and "num_nonnulls(member_id, library_id) = 1" in warning.hint
    )
    assert warning.span is not None and warning.span.line == 8


def test_broken_check_is_an_error_at_its_position() -> None:
    facts = read(
        """
        ### `loans`

        **Constraints:**
        - `CHECK (days > AND days < 30)`
        """
    )
    error = next(d for d in facts.diagnostics if d.code == "SD013")
    assert error.level == "error"
    assert error.span is not None and error.span.line == 4
    # the parser stops at "AND": column of that word in the source line
    assert error.span.col == "- `CHECK (days > AND days < 30)`".index("AND") + 1
    assert not any(t.checks for t in facts.tables)


def test_index_bullets() -> None:
    facts = read(
        """
        ### `loans`

        **Indexes:**
        - `loans_book_idx` - Fast lookup by book
        - `loans_member_idx` on `member_id, lent_at DESC` (composite)
        - `loans_open_idx` on `book_id` WHERE returned_at IS NULL (partial)
        - Index on `(member_id, book_id)` for history
        - Unique index on `code`
        - Primary key on `id`

        **Partial Unique Indexes** (no duplicates):
        - `loans_one_open_uniq` - One open loan per book
        """
    )
    by_name = {i.name: i for i in facts.indexes if i.name}
    assert by_name["loans_book_idx"].keys == [] and by_name["loans_book_idx"].purpose == "Fast lookup by book"
    assert by_name["loans_member_idx"].keys == ["member_id", "lent_at DESC"]
    assert by_name["loans_open_idx"].where == "returned_at IS NULL"
    assert by_name["loans_one_open_uniq"].unique
    unnamed = [i for i in facts.indexes if i.name is None]
    assert [(i.keys, i.unique) for i in unnamed] == [(["member_id", "book_id"], False), (["code"], True)]
    assert unnamed[0].purpose == "for history"
    assert all(i.table.text == "loans" for i in facts.indexes)
    assert [t.primary_key for t in facts.tables if t.primary_key] == [["id"]]


def test_index_bullets_naming_their_table() -> None:
    facts = read(
        """
        ## Proposed layout

        **Indexes:**
        - `loans(book_id)`, `events(loan_id, seq)`
        """
    )
    assert [(i.table.text, i.keys) for i in facts.indexes] == [
        ("loans", ["book_id"]),
        ("events", ["loan_id", "seq"]),
    ]


def test_trigger_bullets_under_function_and_table() -> None:
    facts = read(
        """
        ## Tables

        ### `loans`

        **Triggers:**
        - `stamp_loan()` - Keeps `lent_at` current

        ## Functions & Triggers

        ### `stamp_loan()`

        **Triggers:**
        - `loans_stamp` - BEFORE INSERT OR UPDATE ON loans
        """
    )
    hint, named = facts.triggers
    assert hint.name == "" and hint.function is not None and hint.function.text == "stamp_loan"
    assert (
        hint.table is not None and hint.table.text == "loans" and hint.description == "Keeps lent_at current"
    )
    assert named.name == "loans_stamp" and named.function is not None and named.function.text == "stamp_loan"
    assert named.table is not None and named.table.text == "loans"
    assert named.timing == "BEFORE" and named.events == ["INSERT", "UPDATE"]


def test_relationship_bullets() -> None:
    facts = read(
        """
        ### Shelf

        **Relationships**:
        - `Shelf` → `Book` (one-to-many, cascade delete)
        - `Book` → `Shelf` (many-to-one)

        ### `books`

        **Relationships:**
        - Many-to-one with `shelves` and `authors`
        - One-to-many with `loans`
        """
    )
    rels = [(r.parent.text, r.child.text, r.on_delete) for r in facts.relationships]
    assert rels == [
        ("Shelf", "Book", "CASCADE"),
        ("Shelf", "Book", None),
        ("shelves", "books", None),
        ("authors", "books", None),
        ("books", "loans", None),
    ]


# --- prose facts ---------------------------------------------------------------------------------


def test_grants_and_extensions() -> None:
    facts = read(
        """
        ## Access

        - **GRANT ALL** to `app_admin` on all tables, sequences, and functions
        - **citext extension** for case-insensitive emails
        """
    )
    kinds = sorted((g.object_type, g.bulk) for g in facts.grants)
    assert kinds == [("FUNCTION", "ALL FUNCTIONS"), ("SEQUENCE", "ALL SEQUENCES"), ("TABLE", "ALL TABLES")]
    assert all(
        g.grantees == ["app_admin"] and g.privileges == ["ALL"] and g.schema == "public" for g in facts.grants
    )
    assert [e.name for e in facts.extensions] == ["citext"]


def test_value_lists_from_labels_lifecycles_and_appendix() -> None:
    facts = read(
        """
        ### Shipment

        | Column | Type | Constraints |
        |---|---|---|
        | `state` | VARCHAR | NOT NULL |

        **State Values**: `NEW`, `SENT`, `LOST`

        **Status Lifecycle**:
        1. `OPEN` - created
        2. `DONE` - finished

        **Special Values**:
        - `code = 'x'` means test

        ## Appendix: Value Lists

        ### `shipments.carrier`
        - `ups` - United
        - `dhl` - DHL
        """
    )
    lists = [(v.table.text if v.table else None, v.column, v.values) for v in facts.value_lists]
    assert lists == [
        ("Shipment", "state", ["NEW", "SENT", "LOST"]),
        ("Shipment", "status", ["OPEN", "DONE"]),
        ("shipments", "carrier", ["ups", "dhl"]),
    ]


def test_link_paragraph_references_primary_key() -> None:
    facts = read(
        """
        ### Member

        Links to Supabase `auth.users` via foreign key.

        | Column | Type | Constraints |
        |---|---|---|
        | `id` | UUID | PK |
        """
    )
    ref = columns_of(facts, "Member")["id"].references
    assert ref is not None and ref.table.schema == "auth" and ref.table.text == "users"


# --- skipping -------------------------------------------------------------------------------------


def test_future_sections_and_items_are_skipped_with_notes() -> None:
    facts = read(
        """
        ## Access

        - **Current:** nothing
        - **Future:** Enable RLS like:
          ```sql
          ALTER TABLE loans ENABLE ROW LEVEL SECURITY;
          ```

        ## Future Upgrades (Roadmap)

        ### archive

        | Column | Type |
        |---|---|
        | id | int |

        ```sql
        CREATE TABLE archive (id int);
        ```

        ## Query Optimization Tips

        ```sql
        CREATE INDEX x ON loans (id);
        ```
        """
    )
    assert not facts.tables and not facts.indexes and not facts.policies
    notes = [d for d in facts.diagnostics if d.code == "SD011"]
    assert [d.span.line for d in notes if d.span] == [5, 13, 17, 23]
    assert all(d.level == "note" for d in notes)


def test_odd_markdown_never_raises() -> None:
    samples = [
        "",
        "|",
        "| a |\n|---|\n",
        "### `x`\n\n| Column | Type |\n|---|---|\n| | |\n|`|`|\n",
        "- `a` (\n- `b` (text, DEFAULT (\n",
        "**Constraints:**\n- `CHECK (`\n- `CHECK` - `(`\n",
        "```\n" * 3,
        "# t\n\n> - **Indexes:**\n> - `i` on\n",
        "\x00\ufffd### \n|||\n",
    ]
    for text in samples:
        facts = read_markdown(text, file="odd.md")
        # the walker turns a reader's exception into SD019: that is a failure here too
        assert internal_errors(facts.diagnostics) == [], repr(text)


# --- seeds and corpus -------------------------------------------------------------------------------


def _read_seed(number: int) -> DocFacts:
    path = seed_file(number)
    return read_markdown(path.read_text(encoding="utf-8"), file=path.name)


def test_seed_000_tables_and_constraints() -> None:
    facts = _read_seed(0)
    bullets = {t.name.text: [c.name for c in t.columns] for t in facts.tables if t.source == "bullets"}
    assert list(bullets) == [
        "papers",
        "claims",
        "plans",
        "runs",
        "run_events",
        "run_series",
        "storyboards",
        "assets",
        "evals",
    ]
    assert bullets["papers"][:5] == ["id", "title", "source_url", "doi", "arxiv_id"]
    assert "duration_sec" in bullets["runs"]
    xor = [d for d in facts.diagnostics if d.code == "SD012"]
    assert len(xor) == 1
    assert {("runs", "plans"), ("runs", "papers")} <= {
        (a.table.text, a.parent.text) for a in facts.fk_actions
    }
    appendix = {(v.table.text, v.column) for v in facts.value_lists if v.table}
    assert ("papers", "status") in appendix and ("assets", "kind") in appendix
    named = [t for t in facts.triggers if t.name]
    assert {t.name for t in named} >= {"papers_updated_at", "runs_duration"}
    assert {g.object_type for g in facts.grants} == {"TABLE", "SEQUENCE", "FUNCTION"}
    assert "pgcrypto" in {e.name for e in facts.extensions}
    assert not any(p.name == "papers_select" for p in facts.policies)


def test_seed_003_status_values_from_overflow_cells() -> None:
    facts = _read_seed(3)
    cols = columns_of(facts, "pipeline_runs")
    assert cols["status"].values == ["success", "failure", "retry", "skipped"]
    assert cols["id"].primary_key and cols["id"].default == "gen_random_uuid()"
    assert cols["input_refs"].references is None


def test_seed_002_profile_references_auth_users() -> None:
    facts = _read_seed(2)
    ref = columns_of(facts, "Profile", "columns")["id"].references
    assert ref is not None and (ref.table.schema, ref.table.text) == ("auth", "users")
    assert columns_of(facts, "DataRecord", "columns")["embedding"].default == "'{}'"
    assert any(v.table and v.table.text == "IngestJob" and v.column == "status" for v in facts.value_lists)
    assert not any(v.column == "special" for v in facts.value_lists)


def test_seed_004_quick_reference_mentions() -> None:
    facts = _read_seed(4)
    assert len(facts.mentions) == 12


def test_corpus_docs_read_without_internal_errors() -> None:
    """Every corpus document reads with no reader failure turned into a diagnostic and gives at
    least the tables recorded for it; one that is not UTF-8 gives SD022 at its first bad byte."""
    docs = CORPUS / "docs"
    if not docs.is_dir():
        pytest.skip("corpus is not present")
    expected = load_expected()
    paths = sorted(docs.glob("*.md"))
    assert {p.name for p in paths} >= set(expected["tables"]) | set(expected["not_utf8"])
    for path in paths:
        facts, error = read_one(path)
        if path.name in expected["not_utf8"]:
            assert error is not None and error.code == "SD022" and error.span is not None, path.name
            assert [error.span.line, error.span.col] == expected["not_utf8"][path.name]
            assert error.message.startswith("expected UTF-8 text, found byte 0x")
            assert error.hint and "UTF-8" in error.hint
            continue
        assert error is None and facts is not None, error.render() if error else path.name
        assert internal_errors(facts.diagnostics) == [], path.name
        assert tables_read(facts) >= expected["tables"].get(path.name, 0), path.name


def test_uuid_keys_generated_via_prose_become_defaults() -> None:
    from schemadoc.read.facts import DocFacts
    from schemadoc.read.resolve import resolve

    doc = (
        "## things\n\n- `id` (uuid, PK) - key\n- `name` (text, NOT NULL) - label\n\n"
        "## Design\n\n### UUIDs for primary keys\n\n- **Generated via:** `gen_random_uuid()`\n"
    )
    facts = DocFacts()
    facts.extend(read_markdown(doc, file="d.md"))
    assert [e for e, _ in facts.key_defaults] == ["gen_random_uuid()"]
    schema, diags = resolve(facts)
    assert schema.tables[QName("public", "things")].column("id").default == "gen_random_uuid()"  # type: ignore[union-attr]
    assert [d.span.line for d in diags if d.code == "SD225" and d.span] == [10]
    unrelated = read_markdown("## Notes\n\n- Generated via `gen_random_uuid()` somewhere\n", file="n.md")
    assert unrelated.key_defaults == []


# --- line endings -----------------------------------------------------------------------------

_ENDINGS_DOC = (
    "# Shop\n\n## orders\n\nCustomer orders.\n\n"
    "| Column | Type | Constraints |\n|---|---|---|\n| id | bigint | PK |\n| note | text | NOT NULL |\n\n"
    "```sql\nCREATE TABLE items (\n  id bigint PRIMARY KEY,\n  order_id bigint REFERENCES orders(id)\n);\n```\n"
)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_documents_read_like_lf(newline: str) -> None:
    lf = read_markdown(_ENDINGS_DOC, file="doc.md")
    other = read_markdown(_ENDINGS_DOC.replace("\n", newline), file="doc.md")
    assert [(t.name.text, t.source, t.span) for t in other.tables] == [
        (t.name.text, t.source, t.span) for t in lf.tables
    ]
    assert {n: (c.type, c.nullable, c.span) for n, c in columns_of(other, "orders").items()} == {
        n: (c.type, c.nullable, c.span) for n, c in columns_of(lf, "orders").items()
    }
    items = columns_of(other, "items")
    assert items["order_id"].references is not None and items["order_id"].span.line == 15
    assert items == columns_of(lf, "items")


def test_nul_characters_do_not_stop_the_reader() -> None:
    facts = read_markdown(_ENDINGS_DOC.replace("Customer orders.", "Customer\0orders."), file="doc.md")
    assert set(columns_of(facts, "orders")) == {"id", "note"}


def test_unicode_line_separators_do_not_shift_positions() -> None:
    # U+2028 and form feeds are not line ends in markdown; positions after them stay right.
    doc = (
        "# S\n\nSome text\u2028with a separator\x0cand a form feed.\n\n- item\n\n"
        "  ```sql\n  CREATE TABLE t (id int PRIMARY KEY, note text);\n  ```\n"
    )
    facts = read_markdown(doc, file="doc.md")
    (table,) = facts.tables
    assert (table.span.line, table.span.col) == (8, 3)
    assert [(c.name, c.span.line, c.span.col) for c in table.columns] == [("id", 8, 19), ("note", 8, 39)]


def test_an_unclosed_backtick_is_not_part_of_a_name() -> None:
    facts = read(
        """
        ## `users

        | Column | Type |
        |---|---|
        | `id | int |
        """
    )
    assert set(columns_of(facts, "users")) == {"id"}
