"""The readers on the public corpus: real documents nobody here wrote.

Every document set reads without an internal reader error to at least the tables and columns
last measured (or is refused with the one error it was measured to give); the sets that come
with the SQL they describe agree with that SQL (read by the same reader) on tables, columns and
foreign keys at least as well as when last measured. Skips when ../shared is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemadoc.diagnostics import SchemadocError
from schemadoc.model import QName, Schema, Table
from schemadoc.read import read_documents

from conftest import CORPUS
from corpus_support import internal_errors

DOCS = CORPUS / "docs"
SQL = CORPUS / "sql"

DOC_SETS = {
    "D1": "k1LoW__tbls__sample__postgres__*.md",
    "D2": "MarquezProject__marquez__dbdoc__*.md",
    "D13": "lkania__Haskitter__util__db__README.md",
    "D14": "MigzCtrl__TireOps__supabase__SCHEMA.md",
    "D15": "AWLL-inc__work-management__docs__database__schema.md",
    "D16": "AsherMorse__EmberOne__docs__database__schema.md",
    "D17": "The-Illusion-services__dzpatch-v2__supabase__SCHEMA.md",
    "D19": "Hankanman__postgres-to-docs__docs__markdown__architecture__schema.md",
    "D20": "vokal__pg-table-markdown__SAMPLE_TABLES.md",
    "D21": "statisticsnorway__statbus__doc__db__table__*.md",
    "D22": "harytri87__harytri87.github.io__*.md",
}
TRUTH = {
    "D1": "k1LoW__tbls__testdata__ddl__postgres.sql",
    "D2": "MarquezProject__marquez__api__src__main__resources__marquez__db__migration__ALL_at_fe774b47.sql",
    "D13": "lkania__Haskitter__util__db__pg_haskitter.sql",
    "D15": "AWLL-inc__work-management__drizzle__migrations__ALL.sql",
    "D22": "harytri87__harytri87.github.io__catatan-belajar__i-test-salon-appointment-scheduler__salon.sql",
}
# Tables matched by name between document and SQL, as measured.
MATCHED_TABLES = {"D1": 14, "D2": 28, "D13": 3, "D15": 9, "D22": 3}
# Foreign keys matched on the shared tables, as measured.
MATCHED_FKS = {"D1": 11, "D2": 38, "D13": 1, "D15": 7, "D22": 2}
# Tables (not stand-ins) and their columns each set reads to, as measured: at least these.
READ_TABLES = {
    "D1": (14, 64),
    "D2": (29, 197),
    "D13": (3, 13),
    "D14": (9, 85),
    "D15": (9, 65),
    "D16": (3, 28),
    "D19": (9, 46),
    "D20": (4, 21),
    "D21": (36, 317),
    "D22": (3, 9),
}
# Sets that are refused with one clear error: D17 is an overview that gives no table's columns.
REFUSED = {"D17": "SD023"}
# Known, explained differences. The SQL reader reads what a migration set creates but does not
# replay its renames and drops, so the Marquez migrations still show the old columns; and the
# Marquez document shows Flyway's own bookkeeping table, which no migration creates.
DOC_ONLY_TABLES = {"D2": {"public.flyway_schema_history"}}
COLUMN_ALLOWLIST = {
    "D2": {
        "public.datasets": {"last_modified", "last_modified_at"},  # V11 renames the column
        "public.jobs": {"current_outputs", "simple_name"},  # V28 drops one; an R__ rename makes the other
        "public.lineage_events": {"run_id"},  # V36 drops it
    },
}


def _paths(label: str) -> list[Path]:
    if not DOCS.is_dir():
        pytest.skip("../shared/corpus is not present")
    found = sorted(DOCS.glob(DOC_SETS[label]))
    if not found:
        pytest.skip(f"corpus set {label} is not present")
    return found


def _folded(q: QName) -> str:
    return f"{q.schema}.{q.name}".casefold()


def _tables(schema: Schema) -> dict[str, Table]:
    return {_folded(q): t for q, t in schema.tables.items() if not t.stub}


def _fks(table: Table) -> set[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    return {(fk.columns, _folded(fk.ref_table), fk.ref_columns) for fk in table.foreign_keys}


@pytest.mark.parametrize("label", sorted(DOC_SETS))
def test_reads_without_internal_errors(label: str) -> None:
    paths = _paths(label)
    if label in REFUSED:
        with pytest.raises(SchemadocError) as info:
            read_documents(paths)
        assert info.value.diagnostic.code == REFUSED[label]
        return
    schema, diags = read_documents(paths)
    assert internal_errors(diags) == []
    tables = _tables(schema)
    assert len(tables) >= READ_TABLES[label][0]
    assert sum(len(t.columns) for t in tables.values()) >= READ_TABLES[label][1]


def test_overview_only_document_reports_instead_of_inventing() -> None:
    paths = _paths("D17")
    with pytest.raises(SchemadocError) as info:
        read_documents(paths, stub_missing=True)
    diag = info.value.diagnostic
    assert diag.code == "SD023"
    assert "no tables found (it names 30 table(s): admin_action_logs, bids," in diag.message
    assert "but gives the columns of none" in diag.message
    # section headings over the table map ("## Table Map", "### Telemetry") are not tables it lacks
    assert "table Map" not in diag.message and "table Telemetry" not in diag.message


@pytest.mark.parametrize("label", sorted(TRUTH))
def test_document_agrees_with_its_sql(label: str) -> None:
    paths = _paths(label)
    truth_path = SQL / TRUTH[label]
    if not truth_path.is_file():
        pytest.skip(f"{truth_path.name} is not present")
    doc, _ = read_documents(paths, stub_missing=True)
    truth, _ = read_documents([truth_path], stub_missing=True)
    doc_tables, truth_tables = _tables(doc), _tables(truth)

    extra = set(doc_tables) - set(truth_tables)
    assert extra <= DOC_ONLY_TABLES.get(label, set())
    shared = sorted(set(doc_tables) & set(truth_tables))
    assert len(shared) >= MATCHED_TABLES[label]
    assert {_folded(q) for q in truth.views} <= {_folded(q) for q in doc.views}

    allow = COLUMN_ALLOWLIST.get(label, {})
    matched_fks = 0
    for q in shared:
        doc_cols = {c.name.casefold() for c in doc_tables[q].columns}
        truth_cols = {c.name.casefold() for c in truth_tables[q].columns}
        assert doc_cols ^ truth_cols <= allow.get(q, set()), q
        doc_fks, truth_fks = _fks(doc_tables[q]), _fks(truth_tables[q])
        assert doc_fks <= truth_fks, q
        matched_fks += len(doc_fks)
    assert matched_fks >= MATCHED_FKS[label]
