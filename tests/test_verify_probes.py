"""Promise verification against real PostgreSQL: kept on a correct database, each mutation breaks
exactly its promise (pointing at the document line), data is untouched, concurrent writers are fine."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from schemadoc.model import QName, Schema
from schemadoc.read import read_documents
from schemadoc.verify.probes import verify_promises
from schemadoc.verify.promises import build_promises
from schemadoc.verify.report import VerifyReport

from verify_support import built_lab, clone, lab_document, line_of, url_for


@pytest.fixture(scope="module")
def lab(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Schema, Path]]:
    doc = lab_document(tmp_path_factory.mktemp("lab"))
    schema, diags = read_documents([doc])
    assert not [d for d in diags if d.level == "error"], diags
    with built_lab(server_url) as template:
        yield template, schema, doc


def _verify(url: str, schema: Schema) -> VerifyReport:
    with psycopg.connect(url) as conn:
        return verify_promises(conn, schema)


def test_every_promise_kind_is_kept_on_a_correct_database(
    server_url: str, lab: tuple[str, Schema, Path]
) -> None:
    template, schema, _ = lab
    seen: list[tuple[int, int]] = []
    with clone(server_url, template) as url, psycopg.connect(url) as conn:
        report = verify_promises(conn, schema, progress=lambda done, total: seen.append((done, total)))
    assert report.counts()["broken"] == 0, report.render_text()
    assert report.counts()["untestable"] == 0, report.render_text()
    kinds = {r.promise.kind for r in report.results}
    assert kinds == {
        "not_null",
        "check",
        "unique",
        "foreign_key",
        "on_delete",
        "on_update",
        "default",
        "enum",
        "trigger",
        "view",
    }
    patterns = {r.promise.pattern for r in report.results if r.promise.kind == "trigger"}
    assert patterns == {"updated_at", "duration"}
    assert seen[-1] == (len(report.results), len(report.results))
    assert report.counts()["total"] == len(build_promises(schema))
    assert report.diagnostics() == []
    data = report.to_json()
    assert data["counts"]["kept"] == len(report.results)


MUTATIONS = [
    (
        "drop check",
        "ALTER TABLE projects DROP CONSTRAINT projects_phase_check",
        "check",
        "CHECK (phase IN ('planning'",
    ),
    (
        "cascade to set null",
        "ALTER TABLE experiments DROP CONSTRAINT experiments_project_id_fkey,"
        " ADD CONSTRAINT experiments_project_id_fkey FOREIGN KEY (project_id)"
        " REFERENCES projects(id) ON DELETE SET NULL",
        "on_delete",
        "project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,",
    ),
    (
        "set null to cascade",
        "ALTER TABLE summaries DROP CONSTRAINT summaries_trial_id_fkey,"
        " ADD CONSTRAINT summaries_trial_id_fkey FOREIGN KEY (trial_id)"
        " REFERENCES trials(id) ON DELETE CASCADE",
        "on_delete",
        "trial_id uuid REFERENCES trials(id) ON DELETE SET NULL",
    ),
    (
        "drop updated_at trigger",
        "DROP TRIGGER projects_touch ON projects",
        "trigger",
        "CREATE TRIGGER projects_touch",
    ),
    (
        "drop duration trigger",
        "DROP TRIGGER trials_elapsed ON trials",
        "trigger",
        "CREATE TRIGGER trials_elapsed",
    ),
    (
        "drop partial unique index",
        "DROP INDEX attachments_trial_log_uniq",
        "unique",
        "CREATE UNIQUE INDEX attachments_trial_log_uniq",
    ),
    (
        "drop unique constraint",
        "ALTER TABLE projects DROP CONSTRAINT projects_grant_code_key",
        "unique",
        "grant_code text NOT NULL UNIQUE",
    ),
    (
        "nullable column",
        "ALTER TABLE projects ALTER COLUMN title DROP NOT NULL",
        "not_null",
        "title text NOT NULL",
    ),
    (
        "changed default",
        "ALTER TABLE trials ALTER COLUMN outcome SET DEFAULT 'running'",
        "default",
        "outcome text NOT NULL DEFAULT 'pending'",
    ),
    (
        "view column renamed",
        "DROP VIEW latest_trials; CREATE VIEW latest_trials AS"
        " SELECT id AS trial_id, project_id, experiment_id,"
        " outcome, finished_at, elapsed_sec AS seconds FROM trials",
        "view",
        "CREATE VIEW latest_trials",
    ),
    (
        "enum label missing",
        "ALTER TYPE sample_state RENAME VALUE 'discarded' TO 'thrown_away'",
        "enum",
        "CREATE TYPE sample_state",
    ),
]


@pytest.mark.parametrize(("ddl", "kind", "marker"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS])
def test_a_mutation_breaks_exactly_its_promise(
    server_url: str, lab: tuple[str, Schema, Path], ddl: str, kind: str, marker: str
) -> None:
    template, schema, doc = lab
    with clone(server_url, template) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(ddl)  # type: ignore[call-overload]
        report = _verify(url, schema)
    broken = report.by_outcome("broken")
    assert len(broken) == 1, report.render_text()
    (result,) = broken
    assert result.promise.kind == kind
    assert result.promise.span is not None
    assert result.promise.span.line == line_of(doc, marker)  # first match: the table the DDL changed
    (diag,) = [d for d in report.diagnostics() if d.level == "error"]
    assert diag.span == result.promise.span
    assert result.sql  # the statement tried is kept for the report


def _fingerprint(url: str, tables: list[str]) -> dict[str, tuple[int, str]]:
    out = {}
    with psycopg.connect(url) as conn:
        for t in tables:
            row = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} AS x"  # type: ignore[call-overload]
            ).fetchone()
            assert row is not None
            out[t] = (row[0], row[1])
    return out


LOAD = """
INSERT INTO projects (id, title, archive_path, grant_code)
    SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid,
           'p' || g, 'projects/' || g, 'g' || g
    FROM generate_series(1, 2000) g;
INSERT INTO experiments (project_id, name, budget_hours)
    SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(1 + g % 2000), 12, '0'))::uuid, 'e' || g, 1 + g % 200
    FROM generate_series(1, 20000) g;
INSERT INTO trials (experiment_id, project_id, attempt)
    SELECT e.id, e.project_id, 1 FROM experiments e;
INSERT INTO readings (trial_id, seq, kind)
    SELECT t.id, s, 'note' FROM trials t, generate_series(1, 2) s;
INSERT INTO attachments (trial_id, kind, path)
    SELECT id, 'log', 'logs/' || id FROM trials LIMIT 20000;
INSERT INTO summaries (project_id, file_path) SELECT id, 'summaries/' || id FROM projects;
"""

TABLES = ["projects", "experiments", "trials", "readings", "attachments", "summaries"]


def test_verify_leaves_loaded_data_exactly_as_it_was(server_url: str, lab: tuple[str, Schema, Path]) -> None:
    template, schema, _ = lab
    with clone(server_url, template) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(LOAD)  # type: ignore[call-overload]
        before = _fingerprint(url, TABLES)
        assert sum(n for n, _ in before.values()) >= 100_000
        report = _verify(url, schema)
        after = _fingerprint(url, TABLES)
    assert report.counts()["broken"] == 0, report.render_text()
    assert report.counts()["untestable"] == 0, report.render_text()
    assert after == before


def test_verify_runs_while_another_connection_writes(server_url: str, lab: tuple[str, Schema, Path]) -> None:
    template, schema, _ = lab
    errors: list[BaseException] = []
    written = [0]

    def writer(url: str, stop: threading.Event) -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                for i in range(400):
                    if stop.is_set() and i > 20:
                        break
                    pid = uuid.uuid4()
                    conn.execute(
                        "INSERT INTO projects (id, title, archive_path, grant_code) VALUES (%s, 't', %s, %s)",
                        [pid, f"projects/{i}", f"concurrent-{pid}"],
                    )
                    conn.execute("INSERT INTO experiments (project_id, name) VALUES (%s, 'x')", [pid])
                    written[0] += 1
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    with clone(server_url, template) as url:
        stop = threading.Event()
        thread = threading.Thread(target=writer, args=(url, stop))
        thread.start()
        try:
            report = _verify(url, schema)
        finally:
            stop.set()
            thread.join(timeout=120)
        assert not thread.is_alive()
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM projects WHERE grant_code LIKE 'concurrent-%'"
            ).fetchone()
    assert not errors, errors
    assert report.counts()["broken"] == 0, report.render_text()
    assert row is not None and row[0] == written[0] > 0


BAD = """
CREATE TABLE impossible (
    id integer PRIMARY KEY,
    level integer NOT NULL CHECK (level > 10 AND level < 5)
);
CREATE TABLE never_empty (
    id integer PRIMARY KEY,
    note text NOT NULL CHECK (false)
);
CREATE TABLE guarded (
    id integer PRIMARY KEY,
    label text NOT NULL
);
CREATE FUNCTION refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'guarded rows are read-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER guarded_refuse BEFORE UPDATE ON guarded FOR EACH ROW EXECUTE FUNCTION refuse();
CREATE TABLE loud (
    id integer PRIMARY KEY
);
CREATE TRIGGER loud_refuse BEFORE INSERT ON loud FOR EACH ROW EXECUTE FUNCTION refuse();
"""


def test_bad_input_is_reported_never_crashes(server_url: str, tmp_path: Path) -> None:
    doc = tmp_path / "bad.md"
    doc.write_text("# Bad\n\n```sql\n" + BAD + "```\n")
    schema, _ = read_documents([doc])
    from verify_support import create_database, drop_database

    name = create_database(server_url)
    try:
        url = url_for(server_url, name)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(BAD)  # type: ignore[call-overload]
        report = _verify(url, schema)
    finally:
        drop_database(server_url, name)
    by_table: dict[str, set[str]] = {}
    for r in report.results:
        by_table.setdefault(str(r.promise.table), set()).add(r.outcome)
    assert by_table["public.impossible"] == {"untestable"}
    assert by_table["public.never_empty"] == {"untestable"}
    for r in report.results:
        if r.promise.table in ("public.impossible", "public.never_empty"):
            assert r.promise.table.split(".")[1] in r.reason
    guarded = [
        r
        for r in report.results
        if r.promise.kind == "trigger" and r.promise.table == QName("public", "guarded")
    ]
    assert [r.outcome for r in guarded] == ["broken"]
    assert "read-only" in guarded[0].reason
    assert all(
        r.outcome == "kept"
        for r in report.results
        if r.promise.table == QName("public", "guarded") and r.promise.kind != "trigger"
    )
    loud = [r for r in report.results if r.promise.table == QName("public", "loud")]
    assert {r.outcome for r in loud if r.promise.kind == "trigger"} == {"broken"}
    assert {r.outcome for r in loud if r.promise.kind != "trigger"} == {"untestable"}
    warnings = [d for d in report.diagnostics() if d.level == "warning"]
    assert len(warnings) == report.counts()["untestable"]


def test_the_statement_tried_is_shown_as_sent(server_url: str, lab: tuple[str, Schema, Path]) -> None:
    """The report shows the very statement that broke the promise, with its values inlined."""
    template, schema, _ = lab
    with clone(server_url, template) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ALTER TABLE projects ALTER COLUMN title DROP NOT NULL")
        report = _verify(url, schema)
    (result,) = report.by_outcome("broken")
    assert result.promise.kind == "not_null"
    assert result.sql.startswith('INSERT INTO "public"."projects" ("title", '), result.sql
    assert "VALUES (CAST(NULL AS text), " in result.sql
    assert "%s" not in result.sql and "RETURNING ctid::text" in result.sql
