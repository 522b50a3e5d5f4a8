"""The SQL block reader: statements -> facts, positions, skipped statements, syntax errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pglast.parser import ParseError, parse_sql_json

from schemadoc.diagnostics import Diagnostic
from schemadoc.model import QName
from schemadoc.read.facts import DocFacts
from schemadoc.read.sql import looks_like_sql, read_sql

from conftest import CORPUS, seed_file


def read(text: str, **kwargs: object) -> DocFacts:
    return read_sql(text, file="doc.md", line=10, **kwargs)  # type: ignore[arg-type]


def errors(facts: DocFacts) -> list[Diagnostic]:
    return [d for d in facts.diagnostics if d.level != "note"]


# -- CREATE TABLE ------------------------------------------------------------------------


TABLE = """\
-- the owners
CREATE TABLE IF NOT EXISTS app."Account" (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "ownerId"   INT NOT NULL REFERENCES app.users (id) ON DELETE CASCADE ON UPDATE SET NULL,
    teamId      uuid references teams,
    email       VARCHAR(255) UNIQUE NOT NULL,
    settings    JSONB DEFAULT '{}',  -- free-form, as in: a, b
    created_at  TIMESTAMPTZ(3) NOT NULL DEFAULT NOW(),
    score       numeric(10, 2) CHECK (score >= 0 AND score <= 100) DEFAULT 0,
    tags        text[] NULL,
    mood        app.mood,
    label       text COLLATE "C",
    total       integer GENERATED ALWAYS AS (score * 2) STORED,
    CONSTRAINT account_email_key2 UNIQUE NULLS NOT DISTINCT (email, teamId),
    CONSTRAINT score_sane CHECK (score <> 13 /* unlucky */),
    FOREIGN KEY (teamId, mood) REFERENCES teams (id, mood) MATCH FULL DEFERRABLE INITIALLY DEFERRED
);
"""


def test_create_table_name_and_columns() -> None:
    facts = read(TABLE)
    assert errors(facts) == []
    (table,) = facts.tables
    assert (table.name.schema, table.name.text, table.name.quoted) == ("app", "Account", True)
    assert table.if_not_exists and not table.alter
    assert table.span.line == 11 and table.span.col == 1  # after the comment line
    cols = {c.name: c for c in table.columns}
    assert list(cols) == [
        "id",
        "ownerId",
        "teamid",  # unquoted camelCase folds, as PostgreSQL folds it
        "email",
        "settings",
        "created_at",
        "score",
        "tags",
        "mood",
        "label",
        "total",
    ]
    assert cols["ownerId"].quoted and not cols["teamid"].quoted
    assert cols["id"].type == "bigint" and cols["id"].identity == "ALWAYS" and cols["id"].primary_key
    assert cols["email"].type == "character varying(255)" and cols["email"].type_written == "VARCHAR(255)"
    assert cols["email"].unique and cols["email"].nullable is False
    assert cols["created_at"].type == "timestamp(3) with time zone"
    assert cols["created_at"].default == "NOW()"
    assert cols["settings"].default == "'{}'" and cols["settings"].type == "jsonb"
    assert cols["score"].checks == ("score >= 0 AND score <= 100",) and cols["score"].default == "0"
    assert cols["tags"].type == "text[]" and cols["tags"].nullable is True
    assert cols["mood"].type == "app.mood" and cols["mood"].type_written == "app.mood"
    assert cols["label"].collation == "C"
    assert cols["total"].generated == "score * 2"
    assert cols["teamid"].nullable is None


def test_create_table_references_and_table_constraints() -> None:
    (table,) = read(TABLE).tables
    cols = {c.name: c for c in table.columns}
    ref = cols["ownerId"].references
    assert ref is not None
    assert (ref.table.schema, ref.table.text, ref.columns) == ("app", "users", ["id"])
    assert (ref.on_delete, ref.on_update) == ("CASCADE", "SET NULL")
    bare = cols["teamid"].references
    assert bare is not None and bare.columns == [] and bare.on_delete is None
    ((ucols, uname, uspan, nnd),) = table.uniques
    assert (ucols, uname, nnd) == (["email", "teamid"], "account_email_key2", True)
    assert uspan.line == 23 and uspan.col == 5
    (check,) = table.checks
    assert (check.expression, check.name, check.columns) == ("score <> 13", "score_sane", ("score",))
    ((fk_cols, fk),) = table.foreign_keys
    assert fk_cols == ["teamid", "mood"] and fk.columns == ["id", "mood"]
    assert fk.match_full and fk.deferrable and fk.initially_deferred
    assert fk.span is not None and fk.span.line == 25


def test_default_expressions_are_cut_whole() -> None:
    facts = read(
        "CREATE TABLE d (\n"
        "  a text DEFAULT E'it\\'s, fine',\n"
        "  b timestamptz DEFAULT (now() + interval '1 day'),\n"
        "  c text[] DEFAULT ARRAY[]::text[] NOT NULL,\n"
        "  e int DEFAULT nextval('d_e_seq'::regclass) -- numbered, see below\n"
        "  , f int DEFAULT -1\n"
        ");"
    )
    defaults = [c.default for c in facts.tables[0].columns]
    assert defaults == [
        "E'it\\'s, fine'",
        "(now() + interval '1 day')",
        "ARRAY[]::text[]",
        "nextval('d_e_seq'::regclass)",
        "-1",
    ]


def test_column_spans_follow_the_fence_position() -> None:
    facts = read_sql("CREATE TABLE t (\n  a int,\n    b text\n);", file="x.md", line=40, col=4)
    a, b = facts.tables[0].columns
    assert (a.span.line, a.span.col) == (41, 6)
    assert (b.span.line, b.span.col) == (42, 8)


def test_partitions() -> None:
    facts = read(
        "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
        "CREATE TABLE events_other PARTITION OF events DEFAULT;"
    )
    parent, part, other = facts.tables
    assert parent.partition_by == "RANGE (at)"
    assert part.partition_of is not None and part.partition_of.text == "events"
    assert part.partition_bound == "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"
    assert other.partition_bound == "DEFAULT"


def test_an_index_attached_to_its_parents_is_a_note_and_other_alter_index_a_warning() -> None:
    # pg_dump links a partition's index to its parent's index this way; building the parent's
    # index does the same, so nothing is lost
    facts = read(
        "CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
        "CREATE INDEX events_at ON ONLY events (at);\n"
        "CREATE INDEX events_2024_at ON events_2024 (at);\n"
        "ALTER INDEX events_at ATTACH PARTITION events_2024_at;\n"
        "ALTER INDEX events_at SET (fillfactor = 70);\n"
    )
    found = [(d.level, d.span.line, d.message.split(":")[0]) for d in facts.diagnostics]
    assert found == [
        ("note", 14, "ALTER INDEX statement skipped"),  # the block starts at line 10
        ("warning", 15, "ALTER INDEX statement recognised but not built"),
    ]


def test_named_and_nameless_primary_keys() -> None:
    facts = read("CREATE TABLE m (a int, b int, CONSTRAINT m_pk PRIMARY KEY (a, b));")
    assert facts.tables[0].primary_key == ["a", "b"]
    assert facts.tables[0].primary_key_name == "m_pk"


# -- ALTER TABLE -------------------------------------------------------------------------


def test_alter_table_subcommands() -> None:
    facts = read(
        "ALTER TABLE jobs\n"
        "  ADD COLUMN IF NOT EXISTS owner_id UUID,\n"
        "  ADD CONSTRAINT jobs_owner_fk FOREIGN KEY (owner_id) REFERENCES owners(id) ON DELETE SET NULL,\n"
        "  ALTER COLUMN title SET NOT NULL,\n"
        "  ALTER COLUMN state SET DEFAULT 'new',\n"
        "  ENABLE ROW LEVEL SECURITY;\n"
        "ALTER TABLE jobs FORCE ROW LEVEL SECURITY;\n"
        "ALTER TABLE jobs OWNER TO someone;"
    )
    first, second = facts.tables
    assert first.alter and second.alter
    cols = {c.name: c for c in first.columns}
    assert cols["owner_id"].type == "uuid"
    assert cols["title"].nullable is False and cols["title"].type is None
    assert cols["state"].default == "'new'"
    ((fk_cols, fk),) = first.foreign_keys
    assert fk_cols == ["owner_id"] and fk.name == "jobs_owner_fk" and fk.on_delete == "SET NULL"
    assert first.rls_enabled is True and second.rls_forced is True
    notes = [d for d in facts.diagnostics if d.code == "SD010"]
    assert len(notes) == 1 and "OWNER" in notes[0].message and notes[0].span is not None
    assert notes[0].span.line == 17


def test_alter_column_type_and_renames() -> None:
    facts = read(
        "ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN b SET DATA TYPE varchar(10);\n"
        "ALTER TABLE t RENAME COLUMN a TO z;"
    )
    # the rename acts on the column the first statement stated: replayed, as a migration
    assert [(c.name, c.type) for c in facts.tables[0].columns] == [
        ("z", "bigint"),
        ("b", "character varying(10)"),
    ]
    (note,) = facts.diagnostics
    assert (note.code, note.level) == ("SD243", "note")
    assert note.message.startswith("RENAME changes what an earlier statement created")
    assert note.span is not None and note.span.line == 11


def test_rename_of_a_table_nothing_created_is_not_built() -> None:
    (warning,) = read("ALTER TABLE t RENAME COLUMN a TO z;").diagnostics
    assert (warning.code, warning.level) == ("SD030", "warning")
    assert warning.message.startswith("ALTER TABLE statement recognised but not built: renames")


# -- indexes -----------------------------------------------------------------------------


def test_create_index_forms() -> None:
    facts = read(
        "CREATE INDEX IF NOT EXISTS idx_items_owner ON items(ownerId, createdAt);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY ux ON app.items\n"
        '  USING btree ("Email" text_pattern_ops, lower(name))\n'
        "  INCLUDE (title) NULLS NOT DISTINCT WHERE deleted_at IS NULL AND kind <> 'x';\n"
        "CREATE INDEX recent ON runs (paper_id, completed_at DESC NULLS LAST, (score + 1));"
    )
    plain, unique, recent = facts.indexes
    assert plain.keys == ["ownerid", "createdat"] and plain.table.text == "items"
    assert unique.unique and unique.method == "btree" and unique.schema == "app"
    assert unique.keys == ['"Email" text_pattern_ops', "lower(name)"]
    assert unique.include == ["title"] and unique.nulls_not_distinct
    assert unique.where == "deleted_at IS NULL AND kind <> 'x'"
    assert recent.keys == ["paper_id", "completed_at DESC NULLS LAST", "(score + 1)"]
    assert recent.span.line == 14


# -- views -------------------------------------------------------------------------------


def test_views_keep_the_query_text() -> None:
    facts = read(
        "CREATE OR REPLACE VIEW active_users (id, mail) AS\n"
        "  SELECT id, email FROM users WHERE active -- only these\n"
        "  WITH CHECK OPTION;\n"
        "CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM users WITH NO DATA;"
    )
    view, mat = facts.views
    assert view.definition.startswith("SELECT id, email FROM users WHERE active")
    assert "CHECK OPTION" not in view.definition and view.columns == ["id", "mail"]
    assert mat.materialized and mat.definition == "SELECT count(*) AS n FROM users"
    for v in facts.views:  # each definition is a query PostgreSQL can parse
        parse_sql_json(v.definition)


def test_bare_select_is_a_view_definition_only_with_a_view_name() -> None:
    query = "SELECT a.id,\n       count(*) AS n\nFROM a GROUP BY a.id;\n"
    facts = read(query, view_name="a_counts")
    (view,) = facts.views
    assert view.name.text == "a_counts"
    assert view.definition == "SELECT a.id,\n       count(*) AS n\nFROM a GROUP BY a.id"
    skipped = read(query)
    assert skipped.views == []
    assert [d.message for d in skipped.diagnostics] == [
        "SELECT statement skipped: a query is not a schema definition"
    ]


# -- functions and triggers --------------------------------------------------------------


def test_functions() -> None:
    body = "\nBEGIN\n    NEW.touched_at = now();  -- keep → this\n    RETURN NEW;\nEND;\n"
    facts = read(
        f"CREATE OR REPLACE FUNCTION touch()\nRETURNS TRIGGER AS $${body}$$ LANGUAGE plpgsql;\n"
        "CREATE FUNCTION app.add(a int, b int DEFAULT 1) RETURNS integer\n"
        "  LANGUAGE sql IMMUTABLE SECURITY DEFINER AS 'SELECT a + b';\n"
        "CREATE PROCEDURE tidy() LANGUAGE sql BEGIN ATOMIC DELETE FROM t WHERE old; END;"
    )
    touch, add, tidy = facts.functions
    assert (touch.name, touch.returns, touch.language, touch.arguments) == ("touch", "trigger", "plpgsql", "")
    assert touch.body == body
    assert (add.schema, add.arguments, add.returns) == ("app", "a integer, b integer DEFAULT 1", "integer")
    assert add.volatility == "IMMUTABLE" and add.security_definer and add.body == "SELECT a + b"
    assert tidy.kind == "procedure" and tidy.body.startswith("BEGIN ATOMIC")


def test_triggers() -> None:
    facts = read(
        "CREATE TRIGGER set_ts BEFORE INSERT OR UPDATE OF title, body ON app.posts\n"
        "  FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION touch('x');\n"
        "CREATE TRIGGER audit AFTER DELETE ON posts FOR EACH STATEMENT EXECUTE PROCEDURE app.audit();"
    )
    set_ts, audit = facts.triggers
    assert set_ts.timing == "BEFORE" and set_ts.events == ["INSERT", "UPDATE OF title, body"]
    assert set_ts.for_each_row and set_ts.when == "OLD.title IS DISTINCT FROM NEW.title"
    assert set_ts.function_args == ["x"] and set_ts.table is not None and set_ts.table.schema == "app"
    assert audit.timing == "AFTER" and audit.events == ["DELETE"] and not audit.for_each_row
    assert audit.function is not None and (audit.function.schema, audit.function.text) == ("app", "audit")


# -- other objects -----------------------------------------------------------------------


def test_types_extensions_schemas_roles_sequences() -> None:
    facts = read(
        "CREATE TYPE app.status AS ENUM ('draft', 'it''s live');\n"
        'CREATE EXTENSION IF NOT EXISTS "uuid-ossp" SCHEMA extensions;\n'
        "CREATE SCHEMA IF NOT EXISTS app;\n"
        "CREATE ROLE reader NOLOGIN;\nCREATE USER writer;\n"
        "CREATE SEQUENCE IF NOT EXISTS order_no AS integer OWNED BY orders.no;\n"
        "CREATE DOMAIN percent AS numeric CHECK (VALUE BETWEEN 0 AND 100);"
    )
    (enum,) = facts.enums
    assert (enum.schema, enum.name, enum.labels) == ("app", "status", ("draft", "it's live"))
    assert facts.extensions[0].name == "uuid-ossp" and facts.extensions[0].schema == "extensions"
    assert facts.schemas == ["app"]
    assert [(r.name, r.login) for r in facts.roles] == [("reader", False), ("writer", True)]
    (seq,) = facts.sequences
    assert (seq.name, seq.data_type, seq.owned_by) == (
        "order_no",
        "integer",
        (QName("public", "orders"), "no"),
    )
    assert facts.diagnostics == []
    (domain,) = facts.domains
    assert (domain.qname, domain.base_type, domain.checks) == (
        QName("public", "percent"),
        "numeric",
        ("VALUE BETWEEN 0 AND 100",),
    )


def test_policies_grants_comments() -> None:
    facts = read(
        "CREATE POLICY own_rows ON app.notes AS RESTRICTIVE FOR UPDATE TO app_user\n"
        "  USING (owner_id = auth.uid()) WITH CHECK (owner_id = auth.uid());\n"
        "CREATE POLICY everyone ON notes FOR SELECT USING (true);\n"
        "GRANT SELECT, UPDATE (title, body) ON TABLE notes, app.tags TO app_user WITH GRANT OPTION;\n"
        "GRANT ALL ON ALL TABLES IN SCHEMA app TO admin;\n"
        "GRANT EXECUTE ON FUNCTION touch(int, text) TO PUBLIC;\n"
        "COMMENT ON TABLE app.notes IS 'Notes';\n"
        "COMMENT ON COLUMN notes.title IS 'The title';\n"
    )
    own, everyone = facts.policies
    assert (own.table, own.command, own.permissive) == (QName("app", "notes"), "UPDATE", False)
    assert own.roles == ("app_user",)
    assert own.using == "owner_id = auth.uid()" and own.with_check == "owner_id = auth.uid()"
    assert everyone.permissive and everyone.roles == ("public",) and everyone.with_check is None
    table_grant, bulk, function_grant = facts.grants
    assert table_grant.privileges == ["SELECT"]
    assert table_grant.column_privileges == [("UPDATE", ["title", "body"])]
    assert [(o.schema, o.text) for o in table_grant.objects] == [(None, "notes"), ("app", "tags")]
    assert table_grant.with_grant_option
    assert (bulk.objects, bulk.bulk, bulk.schema, bulk.privileges) == ([], "ALL TABLES", "app", ["ALL"])
    assert [o.text for o in function_grant.objects] == ["touch"] and function_grant.grantees == ["public"]
    assert [(c.object_type, c.target.schema, c.target.text, c.column, c.text) for c in facts.comments] == [
        ("TABLE", "app", "notes", None, "Notes"),
        ("COLUMN", None, "notes", "title", "The title"),
    ]


# -- skipped statements, meta-commands, syntax errors ------------------------------------


def test_each_skipped_statement_gets_one_note() -> None:
    facts = read("BEGIN;\nINSERT INTO t VALUES (1);\nDROP TABLE old;\nSET search_path = app;\nCOMMIT;")
    assert all(d.code == "SD010" and d.level == "note" for d in facts.diagnostics)
    heads = [d.message.split(" statement skipped")[0] for d in facts.diagnostics]
    assert heads == ["BEGIN", "INSERT", "DROP TABLE", "SET", "COMMIT"]
    assert [d.span.line for d in facts.diagnostics if d.span] == [10, 11, 12, 13, 14]


def test_meta_commands_are_stripped() -> None:
    facts = read("\\c mydb\nCREATE TABLE a (id int);\n  \\i more.sql\nCREATE INDEX ON a (id);\n")
    assert errors(facts) == []
    assert len(facts.tables) == 1 and len(facts.indexes) == 1
    notes = [d for d in facts.diagnostics if "meta-command" in d.message]
    assert [(d.span.line if d.span else 0, d.message.split(": ")[1]) for d in notes] == [
        (10, "\\c mydb"),
        (12, "\\i more.sql"),
    ]


def test_syntax_error_points_at_the_document_and_reading_goes_on() -> None:
    text = (
        "-- 説明 → 日本語のコメント\n"
        "CREATE TABLE a (id int);\n"
        "CREATE TABLE b (note text DEFAULT '→→', id int REFERENCES a(id),);\n"
        "CREATE TABLE c (x int\n"
        "CREATE TABLE d (id int);\n"
    )
    facts = read_sql(text, file="doc.md", line=20, col=3)
    errs = errors(facts)
    assert [e.code for e in errs] == ["SD001", "SD001"]
    bad_line = text.split("\n")[2]
    first = errs[0]
    assert first.level == "error" and first.message.startswith("SQL syntax error: ")
    assert first.span is not None and first.span.line == 22
    assert first.span.col == 3 + bad_line.index(",)") + 1  # characters, not UTF-8 bytes
    assert first.hint is not None and "line 22, column 3" in first.hint
    assert errs[1].span is not None and errs[1].span.line == 24
    assert [t.name.text for t in facts.tables] == ["a"]


def test_one_bad_statement_does_not_lose_the_rest() -> None:
    facts = read("CREATE TABLE a (id int;\nCREATE INDEX ia ON a (id);\nCREATE TABLE b (id int);")
    assert len(errors(facts)) == 1
    assert [i.name for i in facts.indexes] == ["ia"] and [t.name.text for t in facts.tables] == ["b"]


def test_bad_sql_never_raises() -> None:
    for text in ["CREATE TABLE", "'unterminated", "$$ open dollar", "/* open comment", ")))(((", ";;;", ""]:
        read(text)


def test_large_dump_with_data_reads_its_tables() -> None:
    rows = ",\n".join(f"({i}, 'name → {i}')" for i in range(4000))
    text = f"CREATE TABLE big (id int PRIMARY KEY, name text);\nINSERT INTO big VALUES\n{rows};\n"
    text += "CREATE TABLE after_data (id int);\n"
    facts = read(text)
    assert [t.name.text for t in facts.tables] == ["big", "after_data"]
    assert facts.tables[1].span.line == 10 + 4002
    (note,) = facts.diagnostics
    assert note.message.startswith("INSERT statement skipped") and note.span is not None
    assert note.span.line == 11


def test_looks_like_sql() -> None:
    assert looks_like_sql("CREATE TABLE t (id int);")
    assert looks_like_sql("\\connect db\nALTER TABLE t ADD COLUMN x int;")
    assert looks_like_sql("select * from users where id = 1")
    assert not looks_like_sql("users -> posts (one-to-many)")
    assert not looks_like_sql("BEGIN;")
    assert not looks_like_sql("   ")


# -- seeds and corpus --------------------------------------------------------------------

_FENCE = re.compile(r"^```sql[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("number", [0, 1, 2, 3, 4])
def test_seed_sql_fences_read_without_errors(number: int) -> None:
    text = seed_file(number).read_text(encoding="utf-8")
    facts = DocFacts()
    for m in _FENCE.finditer(text):
        line = text.count("\n", 0, m.start(1)) + 1
        read_sql(m.group(1), file="seed.md", line=line, facts=facts)
    assert errors(facts) == []


def _parses(sql: str) -> bool:
    try:
        parse_sql_json(sql)
    except ParseError:
        return False
    return True


def _corpus_files() -> list[Path]:
    folder = CORPUS / "sql"
    if not folder.is_dir():
        pytest.skip("../shared/corpus is not present")
    return sorted(folder.iterdir())


def test_corpus_sql_reads_and_every_cut_expression_parses() -> None:
    """Every corpus file reads without reader failures, and each piece of SQL cut from the
    source (defaults, checks, index keys and predicates, views, policies) parses again."""
    for path in _corpus_files():
        facts = read_sql(path.read_text(encoding="utf-8"), file=path.name, line=1)
        assert [d for d in facts.diagnostics if d.code == "SD002"] == [], path.name
        for table in facts.tables:
            for col in table.columns:
                for expr in [col.default, col.generated, *col.checks]:
                    if expr is not None:
                        assert _parses(f"SELECT {expr}"), (path.name, expr)
                if col.type is not None:
                    assert _parses(f"SELECT NULL::{col.type}"), (path.name, col.type)
            for check in table.checks:
                assert _parses(f"SELECT {check.expression}"), (path.name, check.expression)
        for index in facts.indexes:
            keys = ", ".join(index.keys)
            where = f" WHERE {index.where}" if index.where else ""
            assert _parses(f"CREATE INDEX i ON t ({keys}){where}"), (path.name, keys, where)
        for view in facts.views:
            assert _parses(view.definition), (path.name, view.definition[:80])
        for policy in facts.policies:
            for expr in (policy.using, policy.with_check):
                if expr is not None:
                    assert _parses(f"SELECT {expr}"), (path.name, expr)


def test_no_action_is_reported_only_where_written() -> None:
    facts = read(
        "CREATE TABLE p (id int PRIMARY KEY);\n"
        "CREATE TABLE c (\n"
        "  a int REFERENCES p(id) ON DELETE NO ACTION,\n"
        "  b int REFERENCES p(id) on update  no\n   action ON DELETE CASCADE,\n"
        "  d int REFERENCES p(id)\n"
        ");\n"
    )
    cols = {c.name: c.references for t in facts.tables if t.name.text == "c" for c in t.columns}
    assert cols["a"] is not None and (cols["a"].on_delete, cols["a"].on_update) == ("NO ACTION", None)
    assert cols["b"] is not None and (cols["b"].on_delete, cols["b"].on_update) == ("CASCADE", "NO ACTION")
    assert cols["d"] is not None and (cols["d"].on_delete, cols["d"].on_update) == (None, None)
    silent = read("CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (a int REFERENCES p(id));\n")
    ref = silent.tables[1].columns[0].references
    assert ref is not None and (ref.on_delete, ref.on_update) == (None, None)
