"""The resolver on hand-made facts: merging, naming, inference and the problems it reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from schemadoc.model import Extension, QName, Span
from schemadoc.read.facts import (
    ColumnFact,
    DocFacts,
    FkActionFact,
    IndexFact,
    MentionFact,
    Name,
    RefFact,
    TableFact,
    ValueListFact,
)
from schemadoc.read.resolve import resolve


def sp(line: int) -> Span:
    return Span("doc.md", line, 1)


def col(name: str, type_: str | None, line: int, **kw: object) -> ColumnFact:
    return ColumnFact(name=name, span=sp(line), type=type_, **kw)  # type: ignore[arg-type]


def codes(diags: list) -> list[str]:  # type: ignore[type-arg]
    return [d.code for d in diags]


def test_one_table_per_entity_named_three_ways() -> None:
    facts = DocFacts()
    facts.tables.append(
        TableFact(Name("Profile"), sp(1), "mermaid", columns=[col("id", "uuid", 2, primary_key=True)])
    )
    facts.tables.append(
        TableFact(
            Name("Profile"),
            sp(10),
            "columns",
            columns=[col("id", "uuid", 11, primary_key=True), col("mustReset", "boolean", 12)],
        )
    )
    facts.tables.append(TableFact(Name("Project"), sp(20), "columns", columns=[col("ownerId", "uuid", 21)]))
    facts.indexes.append(IndexFact("idx_profile_reset", Name("profiles"), sp(30), keys=["mustreset"]))
    schema, diags = resolve(facts)
    assert sorted(schema.tables) == [QName("public", "profiles"), QName("public", "project")]
    profiles = schema.tables[QName("public", "profiles")]
    assert [c.name for c in profiles.columns] == ["id", "mustReset"]
    assert profiles.primary_key is not None and profiles.primary_key.columns == ("id",)
    index = schema.indexes[QName("public", "idx_profile_reset")]
    assert index.table == QName("public", "profiles")
    assert index.keys == ('"mustReset"',)
    folded = [d for d in diags if d.code == "SD204"]
    assert folded and folded[0].span == sp(30)


def test_missing_reference_is_an_error_or_a_stand_in() -> None:
    def facts() -> DocFacts:
        f = DocFacts()
        f.tables.append(
            TableFact(
                Name("runs"),
                sp(5),
                "sql",
                columns=[
                    col("id", "text", 6, primary_key=True),
                    col("unit_mode_id", "text", 7, references=RefFact(Name("unit_modes"), ["id"])),
                ],
            )
        )
        return f

    schema, diags = resolve(facts())
    err = [d for d in diags if d.code == "SD101"]
    assert err and err[0].level == "error" and "unit_modes" in err[0].message and err[0].span == sp(7)
    assert QName("public", "unit_modes") not in schema.tables

    schema, diags = resolve(facts(), stub_missing=True)
    stub = schema.tables[QName("public", "unit_modes")]
    assert stub.stub and [(c.name, c.type) for c in stub.columns] == [("id", "text")]
    assert not [d for d in diags if d.level == "error"]
    assert "SD108" in codes(diags)
    fk = schema.tables[QName("public", "runs")].foreign_keys[0]
    assert fk.ref_table == QName("public", "unit_modes") and fk.columns == ("unit_mode_id",)


def test_table_defined_twice_and_unknown_fk_column() -> None:
    f = DocFacts()
    f.tables.append(TableFact(Name("a"), sp(1), "sql", columns=[col("id", "integer", 2, primary_key=True)]))
    f.tables.append(TableFact(Name("a"), sp(9), "sql", columns=[col("id", "integer", 10, primary_key=True)]))
    f.tables.append(
        TableFact(
            Name("b"),
            sp(20),
            "sql",
            columns=[col("a_id", "integer", 21, references=RefFact(Name("a"), ["idd"]))],
        )
    )
    _, diags = resolve(f)
    twice = next(d for d in diags if d.code == "SD104")
    assert twice.span == sp(9) and twice.related == (sp(1),)
    bad = next(d for d in diags if d.code == "SD106")
    assert "a.idd" in bad.message and bad.hint == "did you mean 'id'?"


def _seed000_like() -> DocFacts:
    f = DocFacts()
    f.tables.append(
        TableFact(
            Name("papers"),
            sp(1),
            "bullets",
            columns=[
                col("id", "uuid", 2, primary_key=True),
                col("status", "text", 3, nullable=False, values=["ready", "processing", "failed"]),
            ],
        )
    )
    f.tables.append(
        TableFact(
            Name("assets"),
            sp(10),
            "bullets",
            columns=[
                col("id", "uuid", 11, primary_key=True),
                col("paper_id", "uuid", 12, references=RefFact(Name("papers"))),
                col("plan_id", "uuid", 13),
                col("run_id", "uuid", 14),
                col("kind", "text", 15, nullable=False),
                col("gap_abs", "numeric", 16),
                col("gap_percent", "numeric", 17),
            ],
        )
    )
    f.value_lists.append(ValueListFact(["pdf", "notebook", "metrics"], sp(40), Name("assets"), "kind"))
    f.fk_actions.append(FkActionFact(Name("assets"), Name("papers"), sp(20), on_delete="CASCADE"))
    f.indexes += [
        IndexFact(
            "assets_plan_notebook_uniq", Name("assets"), sp(30), unique=True, purpose="One notebook per plan"
        ),
        IndexFact("assets_gap_idx", Name("assets"), sp(31), purpose="Sorted by absolute gap (DESC)"),
        IndexFact("assets_flavour_idx", Name("assets"), sp(32), purpose="Filter by flavour"),
        IndexFact("papers_status_idx", Name("papers"), sp(33), purpose="Partial index on non-ready papers"),
    ]
    return f


def test_value_lists_become_checks_and_prose_sets_fk_actions() -> None:
    schema, _diags = resolve(_seed000_like())
    papers = schema.tables[QName("public", "papers")]
    assert [c.expression for c in papers.checks] == ["status IN ('ready', 'processing', 'failed')"]
    assets = schema.tables[QName("public", "assets")]
    assert "kind IN ('pdf', 'notebook', 'metrics')" in [c.expression for c in assets.checks]
    (fk,) = assets.foreign_keys
    assert fk.on_delete == "CASCADE" and fk.ref_columns == ("id",)


def test_index_columns_inferred_from_names_and_reported() -> None:
    schema, diags = resolve(_seed000_like())
    uniq = schema.indexes[QName("public", "assets_plan_notebook_uniq")]
    assert uniq.unique and uniq.keys == ("plan_id",)
    assert uniq.where == "kind = 'notebook' AND plan_id IS NOT NULL"
    assert schema.indexes[QName("public", "assets_gap_idx")].keys == ("gap_abs DESC",)
    assert schema.indexes[QName("public", "papers_status_idx")].where == "status <> 'ready'"
    inferred = {d.span.line for d in diags if d.code == "SD210" and d.span}
    assert inferred == {30, 31, 33}
    # "flavour" is no column: the index is reported, never invented.
    assert QName("public", "assets_flavour_idx") not in schema.indexes
    assert [d.span for d in diags if d.code == "SD030" and "index without columns" in d.message] == [sp(32)]


def test_xor_check_is_built_as_exactly_one() -> None:
    from schemadoc.model import Check

    f = DocFacts()
    f.tables.append(
        TableFact(
            Name("assets"),
            sp(1),
            "bullets",
            columns=[col("a", "uuid", 2), col("b", "uuid", 3)],
            checks=[Check("(a XOR b)", span=sp(4))],
        )
    )
    schema, diags = resolve(f)
    assert [c.expression for c in schema.tables[QName("public", "assets")].checks] == [
        "num_nonnulls(a, b) = 1"
    ]
    assert "SD214" in codes(diags)


def test_untyped_columns_are_typed_and_every_inference_reported() -> None:
    f = DocFacts()
    f.tables.append(
        TableFact(
            Name("papers"),
            sp(1),
            "relations",
            columns=[col("id", None, 1, primary_key=True), col("title", None, 1)],
        )
    )
    f.tables.append(
        TableFact(
            Name("plans"),
            sp(2),
            "relations",
            columns=[
                col("id", None, 2, primary_key=True),
                col("paper_id", None, 2, references=RefFact(Name("papers"), ["id"])),
                col("created_at", None, 2),
            ],
        )
    )
    f.tables.append(TableFact(Name("plans"), sp(9), "sql", alter=True, columns=[col("paper_id", "uuid", 10)]))
    schema, diags = resolve(f)
    papers, plans = schema.tables[QName("public", "papers")], schema.tables[QName("public", "plans")]
    assert papers.column("id").type == "uuid"  # type: ignore[union-attr]
    assert plans.column("paper_id").type == "uuid"  # type: ignore[union-attr]
    assert plans.column("created_at").type == "timestamp with time zone"  # type: ignore[union-attr]
    assert papers.column("title").type == "text"  # type: ignore[union-attr]
    reported = {d.message.split(" has no type")[0] for d in diags if d.code == "SD205"}
    assert reported == {
        "public.papers.id",
        "public.papers.title",
        "public.plans.id",
        "public.plans.created_at",
    }


def test_unknown_type_warns_with_closest_and_mentions_warn() -> None:
    f = DocFacts()
    f.tables.append(
        TableFact(Name("t"), sp(1), "columns", columns=[col("n", "integr", 2, type_written="integr")])
    )
    f.mentions.append(MentionFact(Name("ghosts"), sp(7), "the overview"))
    schema, diags = resolve(f)
    (unknown,) = [d for d in diags if d.code == "SD206"]
    assert unknown.level == "warning" and "integer" in (unknown.hint or "")
    assert schema.tables[QName("public", "t")].column("n").type == "integer"  # type: ignore[union-attr]
    (ghost,) = [d for d in diags if d.code == "SD111"]
    assert ghost.span == sp(7) and "ghosts" in ghost.message


def test_a_default_that_needs_an_extension_brings_it() -> None:
    f = DocFacts()
    f.tables.append(
        TableFact(
            Name("t"),
            sp(1),
            "sql",
            columns=[col("id", "uuid", 2, primary_key=True, default="uuid_generate_v4()")],
        )
    )
    schema, diags = resolve(f)
    assert list(schema.extensions) == ["uuid-ossp"]
    assert [d.span for d in diags if d.code == "SD224"] == [sp(2)]
    f.extensions.append(Extension("uuid-ossp", span=sp(9)))
    schema, diags = resolve(f)
    assert schema.extensions["uuid-ossp"].span == sp(9) and "SD224" not in codes(diags)


def test_inferred_identifier_type_does_not_depend_on_hash_order(tmp_path: Path) -> None:
    """Same input, same bytes: a tie between identifier types is broken by document order."""
    doc = tmp_path / "tie.md"
    doc.write_text(
        "papers(id PK, title)\n\n```sql\nALTER TABLE papers ADD COLUMN a_id bigint;\n"
        "ALTER TABLE papers ADD COLUMN b_id uuid;\n```\n\nnotes(id PK, body)\n"
    )
    outputs = set()
    for seed in ("0", "1", "2", "3"):
        proc = subprocess.run(
            [sys.executable, "-m", "schemadoc", "sql", str(doc)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_comment_on_overrides_descriptions_and_the_last_one_wins() -> None:
    from schemadoc.read.facts import CommentFact

    facts = DocFacts()
    facts.tables.append(
        TableFact(
            Name("notes"),
            sp(1),
            "columns",
            description="from the heading",
            columns=[
                col("id", "bigint", 2, primary_key=True),
                col("title", "text", 3, description="cell text"),
            ],
        )
    )
    facts.comments += [
        CommentFact("TABLE", Name("notes"), "first", sp(10)),
        CommentFact("TABLE", Name("notes", "public"), "second", sp(11)),
        CommentFact("COLUMN", Name("notes"), "the title", sp(12), column="title"),
        CommentFact("COLUMN", Name("notes"), "nowhere", sp(13), column="missing"),
        CommentFact("TABLE", Name("ghosts"), "nothing", sp(14)),
    ]
    schema, diags = resolve(facts)
    table = schema.tables[QName("public", "notes")]
    assert table.comment == "second"
    assert {c.name: c.comment for c in table.columns} == {"id": None, "title": "the title"}
    warned = {(d.code, d.span.line if d.span else 0) for d in diags}
    assert ("SD221", 13) in warned and ("SD221", 14) in warned


def test_key_columns_are_not_null_even_when_stated_nullable() -> None:
    facts = DocFacts()
    facts.tables.append(
        TableFact(
            Name("pairs"),
            sp(1),
            "columns",
            primary_key=["a", "b"],
            columns=[
                col("a", "int", 2, nullable=True),
                col("b", "int", 3),
                col("c", "int", 4, nullable=True),
            ],
        )
    )
    schema, _ = resolve(facts)
    nullable = {c.name: c.nullable for c in schema.tables[QName("public", "pairs")].columns}
    assert nullable == {"a": False, "b": False, "c": True}


def test_comment_on_a_stand_in_table_is_kept() -> None:
    from schemadoc.read.facts import CommentFact

    facts = DocFacts()
    facts.tables.append(
        TableFact(
            Name("profiles"),
            sp(1),
            "sql",
            columns=[
                col("id", "uuid", 2, primary_key=True),
                col("user_id", "uuid", 3, references=RefFact(Name("users", schema="auth"), ["id"])),
            ],
        )
    )
    facts.comments += [
        CommentFact("TABLE", Name("users", "auth"), "Supabase's users", sp(10)),
        CommentFact("COLUMN", Name("users", "auth"), "the user", sp(11), column="id"),
    ]
    schema, diags = resolve(facts, stub_missing=True)
    stub = schema.tables[QName("auth", "users")]
    assert stub.stub and stub.comment == "Supabase's users"
    assert [(c.name, c.comment) for c in stub.columns] == [("id", "the user")]
    assert "SD221" not in codes(diags)


def test_reference_to_a_missing_column_hints_at_the_columns_there_are() -> None:
    facts = DocFacts()
    facts.tables.append(TableFact(Name("a"), sp(1), "sql", columns=[col("id", "int", 2, primary_key=True)]))
    facts.tables.append(
        TableFact(
            Name("b"),
            sp(4),
            "sql",
            columns=[col("a_id", "int", 5, references=RefFact(Name("a"), ["nope"]))],
        )
    )
    _, diags = resolve(facts)
    (problem,) = [d for d in diags if d.code == "SD106"]
    assert problem.hint == "its columns are: id" and problem.span == sp(5)


def test_closest_type_prefers_the_name_the_word_starts_with() -> None:
    from schemadoc.types import closest_type

    assert closest_type("biginteger") == "bigint"
    assert closest_type("boolen") == "boolean"
    assert closest_type("varchar2") == "varchar"
    assert closest_type("txt") == "text"
    assert closest_type("zzzzzz") is None


def test_statements_on_a_placeholder_table_are_examples_not_errors() -> None:
    from schemadoc.read.sql import read_sql

    facts = read_sql(
        "CREATE TABLE shops (id int PRIMARY KEY, updated_at timestamptz);\n"
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n"
        "CREATE TRIGGER set_updated BEFORE UPDATE ON table_name FOR EACH ROW EXECUTE FUNCTION touch();\n"
        "CREATE INDEX your_table_idx ON your_table (id);\n"
        "CREATE TRIGGER real_one BEFORE UPDATE ON shopz FOR EACH ROW EXECUTE FUNCTION touch();\n",
        file="doc.md",
        line=1,
    )
    schema, diags = resolve(facts)
    found = {(d.code, d.level, d.span.line if d.span else 0): d for d in diags}
    assert ("SD226", "warning", 3) in found and ("SD226", "warning", 4) in found
    missing = found[("SD112", "error", 5)]
    assert missing.hint == "define the table, or fix the table name"
    assert not schema.triggers and not schema.indexes
