"""Seeds 001-004: the model each reads into, against what the document states."""

from __future__ import annotations

import re

from schemadoc.model import QName, Schema, Table
from schemadoc.read import read_documents

from conftest import seed_file

TS, TSTZ = "timestamp without time zone", "timestamp with time zone"
VARCHAR = "character varying"


def read(number: int, stub: bool = False) -> tuple[Schema, list]:  # type: ignore[type-arg]
    schema, diags = read_documents([seed_file(number)], stub_missing=stub)
    assert [d.render() for d in diags if d.level == "error"] == []
    return schema, diags


def cols(table: Table) -> list[tuple[str, str, bool, str | None]]:
    return [(c.name, c.type, c.nullable, c.default) for c in table.columns]


def fks(table: Table) -> set[tuple[tuple[str, ...], str, str]]:
    return {(fk.columns, fk.ref_table, fk.on_delete) for fk in table.foreign_keys}


def norm(expr: str) -> str:
    return re.sub(r"\s+", " ", expr.replace('"', "")).strip()


def test_seed001_relations_typed_from_sql_and_inference_reported() -> None:
    schema, diags = read(1)
    assert sorted(schema.tables) == [
        QName("public", "papers"),
        QName("public", "plans"),
        QName("public", "run_events"),
        QName("public", "runs"),
        QName("public", "storyboards"),
    ]
    runs = schema.tables[QName("public", "runs")]
    assert [c.name for c in runs.columns] == [
        "id",
        "plan_id",
        "paper_id",
        "env_hash",
        "status",
        "created_at",
        "started_at",
        "completed_at",
    ]
    # typed by the migration's ALTER TABLE ... ADD COLUMN ... UUID, and the keys they reference
    assert runs.column("plan_id").type == "uuid"  # type: ignore[union-attr]
    assert schema.tables[QName("public", "plans")].column("id").type == "uuid"  # type: ignore[union-attr]
    assert schema.tables[QName("public", "run_events")].column("seq").type == "bigint"  # type: ignore[union-attr]
    assert schema.tables[QName("public", "plans")].column("plan_json").type == "jsonb"  # type: ignore[union-attr]
    assert fks(runs) == {
        (("plan_id",), QName("public", "plans"), "NO ACTION"),
        (("paper_id",), QName("public", "papers"), "NO ACTION"),
    }
    names = {fk.name for t in schema.tables.values() for fk in t.foreign_keys}
    assert names == {
        "plans_paper_id_fk",
        "runs_plan_id_fk",
        "runs_paper_id_fk",
        "run_events_run_id_fk",
        "storyboards_paper_id_fk",
        "storyboards_run_id_fk",
    }
    assert {i.name: i.keys for i in schema.indexes.values()} == {
        "idx_plans_paper_id": ("paper_id",),
        "idx_runs_plan_id": ("plan_id",),
        "idx_runs_paper_id": ("paper_id",),
        "idx_run_events_byseq": ("run_id", "seq"),
    }
    inferred = {d.message.split(" has no type")[0] for d in diags if d.code == "SD205"}
    untyped = {f"{t.qname}.{c.name}" for t in schema.tables.values() for c in t.columns if c.type_inferred}
    assert inferred == untyped and "public.papers.title" in inferred
    assert "public.run_events.seq" not in inferred  # typed in the relation line


def test_seed002_one_table_per_entity_camel_case_enums_and_auth_users() -> None:
    schema, diags = read(2, stub=True)
    assert sorted(schema.tables) == [
        QName("auth", "users"),
        QName("public", "analytics_jobs"),
        QName("public", "bonus_windows"),
        QName("public", "data_records"),
        QName("public", "ingest_jobs"),
        QName("public", "likert_scores"),
        QName("public", "profiles"),
        QName("public", "projects"),
        QName("public", "system_settings"),
    ]
    assert schema.tables[QName("auth", "users")].stub
    assert {e.name: e.labels for e in schema.enums.values()} == {
        "UserRole": ("PENDING", "USER", "MANAGER", "ADMIN"),
        "RecordType": ("TASK", "FEEDBACK"),
        "RecordCategory": ("TOP_10", "BOTTOM_10"),
    }
    profiles = schema.tables[QName("public", "profiles")]
    assert cols(profiles) == [
        ("id", "uuid", False, None),
        ("email", VARCHAR, False, None),
        ("role", '"UserRole"', False, "'PENDING'"),
        ("mustResetPassword", "boolean", True, "false"),
        ("createdAt", TS, False, "now()"),
        ("updatedAt", TS, False, "now()"),  # AUTO: refreshed on update, so it starts as now()
    ]
    # every AUTO column gets its refresh trigger
    assert sorted(t.table for t in schema.triggers.values() if t.events == ("UPDATE",)) == sorted(
        q for q, t in schema.tables.items() if t.column("updatedAt") is not None
    )
    assert [u.columns for u in profiles.uniques] == [("email",)]
    assert fks(profiles) == {(("id",), QName("auth", "users"), "CASCADE")}
    records = schema.tables[QName("public", "data_records")]
    assert records.column("embedding").type == "double precision[]"  # type: ignore[union-attr]
    assert records.column("embedding").default == "'{}'"  # type: ignore[union-attr]
    assert records.column("type").type == '"RecordType"'  # type: ignore[union-attr]
    assert fks(records) == {(("projectId",), QName("public", "projects"), "CASCADE")}
    assert fks(schema.tables[QName("public", "projects")]) == {
        (("ownerId",), QName("public", "profiles"), "CASCADE")
    }
    assert fks(schema.tables[QName("public", "likert_scores")]) == {
        (("recordId",), QName("public", "data_records"), "CASCADE")
    }
    # the status lifecycle and the value list become CHECKs
    assert [norm(c.expression) for c in schema.tables[QName("public", "ingest_jobs")].checks] == [
        "status IN ('PENDING', 'PROCESSING', 'QUEUED_FOR_VEC', 'VECTORIZING', 'COMPLETED', 'FAILED', 'CANCELLED')"
    ]
    assert [norm(c.expression) for c in schema.tables[QName("public", "analytics_jobs")].checks] == [
        "status IN ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED')"
    ]
    # unquoted camelCase in the SQL indexes resolves to the documented columns, and each is reported
    assert schema.indexes[QName("public", "idx_record_composite")].keys == ('"projectId"', "type", "category")
    assert schema.indexes[QName("public", "idx_bonus_window_time")].table == QName("public", "bonus_windows")
    folded = [d for d in diags if d.code == "SD204"]
    assert len(folded) == 10 and all("folds to" in d.message for d in folded)
    assert len(schema.indexes) == 13


def test_seed003_overflow_cells_become_a_value_list() -> None:
    schema, _ = read(3)
    assert sorted(schema.tables) == [
        QName("public", "pipeline_runs"),
        QName("public", "research_cache"),
        QName("public", "scripts"),
    ]
    runs = schema.tables[QName("public", "pipeline_runs")]
    assert [norm(c.expression) for c in runs.checks] == [
        "status IN ('success', 'failure', 'retry', 'skipped')"
    ]
    for table in schema.tables.values():
        id_col = table.column("id")
        assert id_col is not None and id_col.type == "uuid" and id_col.default == "gen_random_uuid()"
        assert table.column("created_at").default == "now()"  # type: ignore[union-attr]
    assert schema.tables[QName("public", "research_cache")].column("topic").nullable is False  # type: ignore[union-attr]
    assert not any(t.foreign_keys for t in schema.tables.values())  # "References to inputs" is prose


def test_seed004_sql_blocks_and_the_tables_it_never_defines() -> None:
    schema, diags = read(4, stub=True)
    defined = {q for q, t in schema.tables.items() if not t.stub}
    assert defined == {
        QName("public", n)
        for n in (
            "users",
            "projects",
            "runs",
            "notes",
            "event_logs",
            "error_logs",
            "snapshots",
            "telemetry_samples",
        )
    }
    assert schema.tables[QName("public", "unit_modes")].stub
    assert [(c.name, c.type) for c in schema.tables[QName("public", "unit_modes")].columns] == [
        ("id", "text")
    ]
    runs = schema.tables[QName("public", "runs")]
    assert fks(runs) == {
        (("project_id",), QName("public", "projects"), "CASCADE"),
        (("user_id",), QName("public", "users"), "NO ACTION"),
        (("unit_mode_id",), QName("public", "unit_modes"), "NO ACTION"),
    }
    assert runs.column("status").default == "'running'"  # type: ignore[union-attr]
    assert [norm(c.expression) for c in runs.checks] == [
        "status IN ('running', 'paused', 'completed', 'failed')"
    ]
    assert runs.column("ended_at").type == TS  # type: ignore[union-attr]
    snapshots = schema.tables[QName("public", "snapshots")]
    assert ("t", "numeric", False, None) in cols(snapshots)
    assert snapshots.column("is_checkpoint").default.upper() == "FALSE"  # type: ignore[union-attr]
    assert [u.columns for u in schema.tables[QName("public", "users")].uniques] == [("email",)]
    assert [u.columns for u in schema.tables[QName("public", "projects")].uniques] == [("slug",)]
    assert len(schema.indexes) == 14
    assert schema.indexes[QName("public", "idx_snapshots_run_t")].keys == ("run_id", "t")
    never = {d.message.split()[1] for d in diags if d.code == "SD111"}
    assert never == {"equation_modules", "run_equations", "metric_registry"}  # unit_modes has its stand-in
    assert [d.span.line for d in diags if d.code == "SD108"] == [runs.column("unit_mode_id").span.line]  # type: ignore[union-attr]
    _, plain = read_documents([seed_file(4)])
    missing = [d for d in plain if d.code == "SD101"]
    assert len(missing) == 1 and "unit_modes" in missing[0].message
    assert {d.message.split()[1] for d in plain if d.code == "SD111"} == never | {"unit_modes"}
