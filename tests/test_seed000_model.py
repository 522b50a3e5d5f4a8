"""Seed 000 (a paper-reproduction backend written as bullet lists): the model it reads into."""

from __future__ import annotations

import re

import pytest

from schemadoc.model import QName, Schema
from schemadoc.read import read_documents

from conftest import seed_file

UUID, TEXT, TSTZ, NUM, INT, BIGINT, JSONB = (
    "uuid",
    "text",
    "timestamp with time zone",
    "numeric",
    "integer",
    "bigint",
    "jsonb",
)

# table -> [(column, type, nullable, default)]
COLUMNS: dict[str, list[tuple[str, str, bool, str | None]]] = {
    "papers": [
        ("id", UUID, False, "gen_random_uuid()"),
        ("title", TEXT, False, None),
        ("source_url", TEXT, True, None),
        ("doi", TEXT, True, None),
        ("arxiv_id", TEXT, True, None),
        ("pdf_storage_path", TEXT, False, None),
        ("vector_store_id", TEXT, False, None),
        ("pdf_sha256", TEXT, False, None),
        ("status", TEXT, False, "'ready'"),
        ("created_by", UUID, True, None),
        ("created_at", TSTZ, False, "now()"),
        ("updated_at", TSTZ, False, "now()"),
    ],
    "claims": [
        ("id", UUID, False, "gen_random_uuid()"),
        ("paper_id", UUID, False, None),
        ("dataset_name", TEXT, True, None),
        ("split", TEXT, True, None),
        ("metric_name", TEXT, False, None),
        ("metric_value", NUM, False, None),
        ("units", TEXT, True, None),
        ("method_snippet", TEXT, True, None),
        ("source_citation", TEXT, False, None),
        ("confidence", NUM, False, None),
        ("created_by", UUID, True, None),
        ("created_at", TSTZ, False, "now()"),
    ],
    "plans": [
        ("id", UUID, False, "gen_random_uuid()"),
        ("paper_id", UUID, False, None),
        ("version", TEXT, False, "'1.1'"),
        ("plan_json", JSONB, False, None),
        ("env_hash", TEXT, True, None),
        ("budget_minutes", INT, False, "20"),
        ("status", TEXT, False, "'draft'"),
        ("created_by", UUID, True, None),
        ("created_at", TSTZ, False, "now()"),
        ("updated_at", TSTZ, False, "now()"),
    ],
    "runs": [
        ("id", UUID, False, "gen_random_uuid()"),
        ("plan_id", UUID, False, None),
        ("paper_id", UUID, False, None),
        ("env_hash", TEXT, False, None),
        ("seed", INT, False, "42"),
        ("status", TEXT, False, "'queued'"),
        ("created_at", TSTZ, False, "now()"),
        ("started_at", TSTZ, True, None),
        ("completed_at", TSTZ, True, None),
        ("duration_sec", INT, True, None),
        ("error_code", TEXT, True, None),
        ("error_message", TEXT, True, None),
    ],
    "run_events": [
        ("id", UUID, False, "gen_random_uuid()"),
        ("run_id", UUID, False, None),
        ("seq", BIGINT, False, None),
        ("ts", TSTZ, False, "now()"),
        ("event_type", TEXT, False, None),
        ("payload", JSONB, False, None),
    ],
    "run_series": [
        ("id", UUID, False, "gen_random_uuid()"),
        ("run_id", UUID, False, None),
        ("metric", TEXT, False, None),
        ("split", TEXT, True, None),
        ("step", INT, True, None),
        ("value", NUM, False, None),
        ("ts", TSTZ, False, "now()"),
    ],
    "storyboards": [
        ("id", UUID, False, "gen_random_uuid()"),
        ("paper_id", UUID, False, None),
        ("run_id", UUID, True, None),
        ("storyboard_json", JSONB, False, None),
        ("storage_path", TEXT, False, None),
        ("created_at", TSTZ, False, "now()"),
        ("updated_at", TSTZ, False, "now()"),
    ],
    "assets": [
        ("id", UUID, False, "gen_random_uuid()"),
        ("paper_id", UUID, True, None),
        ("run_id", UUID, True, None),
        ("plan_id", UUID, True, None),
        ("kind", TEXT, False, None),
        ("storage_path", TEXT, False, None),
        ("size_bytes", BIGINT, True, None),
        ("checksum", TEXT, True, None),
        ("created_by", UUID, True, None),
        ("created_at", TSTZ, False, "now()"),
    ],
    "evals": [
        ("id", UUID, False, "gen_random_uuid()"),
        ("paper_id", UUID, False, None),
        ("run_id", UUID, False, None),
        ("metric_name", TEXT, False, None),
        ("claimed", NUM, False, None),
        ("observed", NUM, False, None),
        ("gap_percent", NUM, False, None),
        ("gap_abs", NUM, False, None),
        ("tolerance", NUM, True, None),
        ("direction", TEXT, True, None),
        ("created_at", TSTZ, False, "now()"),
    ],
}

# table -> {(columns, parent, on_delete)}
FOREIGN_KEYS = {
    "claims": {(("paper_id",), "papers", "CASCADE")},
    "plans": {(("paper_id",), "papers", "CASCADE")},
    "runs": {(("plan_id",), "plans", "CASCADE"), (("paper_id",), "papers", "CASCADE")},
    "run_events": {(("run_id",), "runs", "CASCADE")},
    "run_series": {(("run_id",), "runs", "CASCADE")},
    "storyboards": {(("paper_id",), "papers", "CASCADE"), (("run_id",), "runs", "SET NULL")},
    "assets": {
        (("paper_id",), "papers", "CASCADE"),
        (("run_id",), "runs", "CASCADE"),
        (("plan_id",), "plans", "CASCADE"),
    },
    "evals": {(("paper_id",), "papers", "CASCADE"), (("run_id",), "runs", "CASCADE")},
}

CHECKS = {
    "papers": {"pdf_storage_path LIKE 'papers/%'", "status IN ('ready', 'processing', 'failed')"},
    "claims": {"confidence >= 0.0 AND confidence <= 1.0"},
    "plans": {"budget_minutes > 0 AND budget_minutes <= 120", "status IN ('draft', 'ready', 'failed')"},
    "runs": {
        "status IN ('queued', 'running', 'succeeded', 'failed', 'timeout', 'cancelled')",
        "started_at IS NULL OR started_at >= created_at",
        "completed_at IS NULL OR completed_at >= started_at",
        "duration_sec IS NULL OR duration_sec >= 0",
    },
    "run_events": {
        "event_type IN ('stage_update', 'log_line', 'progress', 'metric_update', 'sample_pred', 'error')"
    },
    "run_series": set(),
    "storyboards": {"storage_path LIKE 'storyboards/%'"},
    "assets": {
        "kind IN ('pdf', 'notebook', 'requirements', 'metrics', 'logs', 'events', 'storyboard')",
        "num_nonnulls(paper_id, run_id, plan_id) = 1",
    },
    "evals": {"direction IN ('maximize', 'minimize')"},
}

UNIQUES = {
    "papers": {("pdf_sha256",), ("vector_store_id",)},
    "run_events": {("run_id", "seq")},
    "run_series": {("run_id", "metric", "split", "step")},
    "evals": {("run_id", "metric_name")},
}

# index -> (table, keys, unique, where)
INDEXES = {
    "papers_created_at_idx": ("papers", ("created_at",), False, None),
    "papers_status_idx": ("papers", ("status",), False, "status <> 'ready'"),
    "claims_paper_id_idx": ("claims", ("paper_id",), False, None),
    "claims_confidence_idx": ("claims", ("confidence DESC",), False, None),
    "plans_paper_id_idx": ("plans", ("paper_id",), False, None),
    "plans_env_hash_idx": ("plans", ("env_hash",), False, "env_hash IS NOT NULL"),
    "plans_created_at_idx": ("plans", ("created_at",), False, None),
    "runs_paper_id_status_idx": ("runs", ("paper_id", "status"), False, None),
    "runs_plan_id_idx": ("runs", ("plan_id",), False, None),
    "runs_status_idx": ("runs", ("status",), False, None),
    "runs_paper_completed_idx": ("runs", ("paper_id", "completed_at DESC"), False, None),
    "runs_created_at_idx": ("runs", ("created_at",), False, None),
    "run_events_run_id_seq_idx": ("run_events", ("run_id", "seq"), False, None),
    "run_events_run_id_ts_idx": ("run_events", ("run_id", "ts"), False, None),
    "run_events_type_idx": ("run_events", ("event_type",), False, None),
    "run_series_run_metric_step_idx": ("run_series", ("run_id", "metric", "step"), False, None),
    "run_series_run_id_idx": ("run_series", ("run_id",), False, None),
    "storyboards_paper_id_idx": ("storyboards", ("paper_id",), False, None),
    "storyboards_run_id_idx": ("storyboards", ("run_id",), False, "run_id IS NOT NULL"),
    "assets_plan_notebook_uniq": ("assets", ("plan_id",), True, "kind = 'notebook' AND plan_id IS NOT NULL"),
    "assets_plan_requirements_uniq": (
        "assets",
        ("plan_id",),
        True,
        "kind = 'requirements' AND plan_id IS NOT NULL",
    ),
    "assets_run_metrics_uniq": ("assets", ("run_id",), True, "kind = 'metrics' AND run_id IS NOT NULL"),
    "assets_run_logs_uniq": ("assets", ("run_id",), True, "kind = 'logs' AND run_id IS NOT NULL"),
    "assets_run_events_uniq": ("assets", ("run_id",), True, "kind = 'events' AND run_id IS NOT NULL"),
    "assets_paper_pdf_uniq": ("assets", ("paper_id",), True, "kind = 'pdf' AND paper_id IS NOT NULL"),
    "assets_paper_id_idx": ("assets", ("paper_id",), False, "paper_id IS NOT NULL"),
    "assets_run_id_idx": ("assets", ("run_id",), False, "run_id IS NOT NULL"),
    "assets_plan_id_idx": ("assets", ("plan_id",), False, "plan_id IS NOT NULL"),
    "assets_kind_idx": ("assets", ("kind",), False, None),
    "assets_storage_path_idx": ("assets", ("storage_path",), False, None),
    "evals_paper_id_idx": ("evals", ("paper_id",), False, None),
    "evals_run_id_idx": ("evals", ("run_id",), False, None),
    "evals_gap_idx": ("evals", ("gap_abs DESC",), False, None),
}

TRIGGERS = {
    "papers_updated_at": ("papers", "update_updated_at", ("UPDATE",)),
    "plans_updated_at": ("plans", "update_updated_at", ("UPDATE",)),
    "storyboards_updated_at": ("storyboards", "update_updated_at", ("UPDATE",)),
    "runs_duration": ("runs", "calculate_run_duration", ("INSERT", "UPDATE")),
}


def _norm(expr: str) -> str:
    return re.sub(r"\s+", " ", expr.replace('"', "")).strip().strip("()").strip()


@pytest.fixture(scope="module")
def seed() -> tuple[Schema, list]:  # type: ignore[type-arg]
    return read_documents([seed_file(0)])


def test_reads_without_errors(seed: tuple[Schema, list]) -> None:  # type: ignore[type-arg]
    _, diags = seed
    assert [d.render() for d in diags if d.level == "error"] == []


def test_tables_and_columns(seed: tuple[Schema, list]) -> None:  # type: ignore[type-arg]
    schema, _ = seed
    assert sorted(t.name for t in schema.tables.values()) == sorted(COLUMNS)
    for table, expected in COLUMNS.items():
        got = [(c.name, c.type, c.nullable, c.default) for c in schema.tables[QName("public", table)].columns]
        got = [(n, t, nl, d.lower() if d else None) for n, t, nl, d in got]
        assert got == expected, table


def test_primary_keys_checks_uniques(seed: tuple[Schema, list]) -> None:  # type: ignore[type-arg]
    schema, _ = seed
    for table in COLUMNS:
        t = schema.tables[QName("public", table)]
        assert t.primary_key is not None and t.primary_key.columns == ("id",), table
        assert {_norm(c.expression) for c in t.checks} == {_norm(c) for c in CHECKS[table]}, table
        assert {u.columns for u in t.uniques} == UNIQUES.get(table, set()), table


def test_foreign_keys_with_actions(seed: tuple[Schema, list]) -> None:  # type: ignore[type-arg]
    schema, _ = seed
    for table in COLUMNS:
        got = {
            (fk.columns, fk.ref_table.name, fk.on_delete)
            for fk in schema.tables[QName("public", table)].foreign_keys
        }
        assert got == FOREIGN_KEYS.get(table, set()), table
        for fk in schema.tables[QName("public", table)].foreign_keys:
            assert fk.ref_columns == ("id",) and fk.span is not None


def test_indexes(seed: tuple[Schema, list]) -> None:  # type: ignore[type-arg]
    schema, _ = seed
    got = {
        i.name: (i.table.name, i.keys, i.unique, _norm(i.where) if i.where else None)
        for i in schema.indexes.values()
    }
    want = {k: (t, keys, u, _norm(w) if w else None) for k, (t, keys, u, w) in INDEXES.items()}
    assert got == want


def test_views_functions_triggers_grants(seed: tuple[Schema, list]) -> None:  # type: ignore[type-arg]
    schema, _ = seed
    assert sorted(schema.views) == [QName("public", "latest_runs"), QName("public", "paper_summary")]
    assert "DISTINCT ON" in schema.views[QName("public", "latest_runs")].definition.upper()
    assert sorted(f.name for f in schema.functions.values()) == [
        "calculate_run_duration",
        "update_updated_at",
    ]
    assert all(f.returns.lower() == "trigger" and f.language == "plpgsql" for f in schema.functions.values())
    got = {t.name: (t.table.name, t.function.name, tuple(sorted(t.events))) for t in schema.triggers.values()}
    assert got == TRIGGERS
    assert all(t.timing == "BEFORE" and t.for_each_row for t in schema.triggers.values())
    duration = next(t for t in schema.triggers.values() if t.name == "runs_duration")
    assert duration.description and "duration" in duration.description.lower()
    granted = {
        (g.object_type, g.object_name.name if isinstance(g.object_name, QName) else g.object_name)
        for g in schema.grants
        if g.grantee == "service_role"
    }
    assert {("TABLE", t) for t in COLUMNS} <= granted
    assert {o for k, o in granted if k == "FUNCTION"} == {
        "public.calculate_run_duration()",
        "public.update_updated_at()",
    }
    assert "service_role" in schema.roles and not schema.roles["service_role"].created_by_document
    assert "pgcrypto" in schema.extensions


def test_future_sections_are_not_schema(seed: tuple[Schema, list]) -> None:  # type: ignore[type-arg]
    schema, _ = seed
    assert not schema.policies
    assert QName("public", "dashboard_stats") not in schema.views
    assert not any(t.rls_enabled for t in schema.tables.values())
    assert schema.tables[QName("public", "papers")].column("search_vector") is None
