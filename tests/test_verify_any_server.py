"""`verify` on the user's own server: the scratch database is built beside the target, and what
the document did not state (a column's type, an index's columns, comments, sorted enum labels)
is not held against a database built by other means."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from schemadoc.cli import main
from schemadoc.compare.diff import diff_schemas
from schemadoc.model import Grant, QName, Schema

from conftest import EXAMPLES, seed_file


def _verify_json(doc: Path, url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["verify", str(doc), "--database-url", url, "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _errors(payload: dict) -> list[str]:
    return [f"{d['code']} {d['message']}" for d in payload["diagnostics"] if d["level"] == "error"]


# -- up, then verify, on the same server, with no --shadow-url ------------------------------------------


@pytest.mark.parametrize("number", [0, 1, 2, 3, 4])
def test_seed_built_by_up_verifies_clean_on_its_own_server(
    number: int, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = seed_file(number)
    assert main(["up", str(doc), "--stub-missing", "--structure", "--database-url", fresh_database_url]) == 0
    code, payload = _verify_json(doc, fresh_database_url, capsys, "--stub-missing")
    assert _errors(payload) == []
    assert code == 0
    assert payload["shadow"] == "target"
    assert payload["promises"]["counts"]["broken"] == 0
    assert payload["promises"]["counts"]["kept"] > 0


def test_example_built_by_up_verifies_clean(
    fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = EXAMPLES / "paper_runs.md"
    assert main(["up", str(doc), "--structure", "--database-url", fresh_database_url]) == 0
    code, payload = _verify_json(doc, fresh_database_url, capsys)
    assert (code, _errors(payload), payload["shadow"]) == (0, [], "target")


def test_scratch_build_leaves_no_role_behind(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = f"sd_role_{uuid.uuid4().hex[:8]}"
    doc = tmp_path / "grants.md"
    doc.write_text(
        "# shop\n\n## items\n\n| Column | Type | Constraints |\n|---|---|---|\n| id | bigint | PK |\n\n"
        f"```sql\nGRANT SELECT ON items TO {role};\n```\n"
    )
    code, payload = _verify_json(doc, fresh_database_url, capsys, "--structure")
    assert code == 1  # the table is missing from the empty target
    assert payload["shadow"] == "target"
    with psycopg.connect(fresh_database_url) as conn:
        found = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    assert found == (0,)


def test_role_without_createdb_falls_back_to_embedded_with_a_note(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = f"sd_plain_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        dbname = psycopg.conninfo.conninfo_to_dict(fresh_database_url)["dbname"]
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(str(dbname)), sql.Identifier(role))
        )
    try:
        doc = tmp_path / "plain.md"
        doc.write_text(
            "# t\n\n## items\n\n| Column | Type | Constraints |\n|---|---|---|\n| id | bigint | PK |\n"
        )
        url = psycopg.conninfo.make_conninfo(fresh_database_url, user=role)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE items (id bigint PRIMARY KEY)")
        capsys.readouterr()
        code = main(
            [
                "verify",
                str(doc),
                "--database-url",
                url,
                "--data-dir",
                str(tmp_path / "emb"),
                "--format",
                "json",
            ]
        )
        payload = json.loads(capsys.readouterr().out)
        assert payload["shadow"] == "embedded"
        # the embedded server is schemadoc's own: the scratch database is kept there (SD371)
        assert [d["code"] for d in payload["diagnostics"] if d["level"] == "note"] == ["SD370", "SD371"]
        assert payload["scratch"] == "kept"
        assert code == 0, _errors(payload)
    finally:
        with psycopg.connect(fresh_database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


# -- a seed 000 database built by hand --------------------------------------------------------------------


def _by_hand(ddl: str) -> str:
    """schemadoc's DDL for seed 000 turned into what a person might have run instead: no COMMENT ON,
    the indexes the document knows only by name built in another direction, and the document's
    "GRANT ALL on all tables" as PostgreSQL's own bulk grant."""
    statements = [s for s in ddl.split(";\n") if s.strip()]
    kept: list[str] = []
    for s in statements:
        body = s.strip()
        if body.startswith(("COMMENT ON", "GRANT ALL ON TABLE")):
            continue
        body = re.sub(
            r"(CREATE INDEX papers_created_at_idx ON public\.papers) \(created_at\)",
            r"\1 (created_at DESC)",
            body,
        )
        body = re.sub(
            r"(CREATE INDEX claims_confidence_idx ON public\.claims) \(confidence DESC\)",
            r"\1 (confidence)",
            body,
        )
        body = re.sub(
            r"(CREATE INDEX runs_created_at_idx ON public\.runs) \(created_at\)",
            r"\1 (created_at DESC)",
            body,
        )
        kept.append(body)
    kept.append("GRANT ALL ON ALL TABLES IN SCHEMA public TO service_role")
    return ";\n".join(kept) + ";\n"


def test_seed000_built_by_hand_verifies_clean(
    fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = seed_file(0)
    capsys.readouterr()
    assert main(["sql", str(doc)]) == 0
    ddl = capsys.readouterr().out
    script = _by_hand(ddl)
    assert "created_at DESC" in script and "COMMENT ON" not in script
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(script.encode())
    code, payload = _verify_json(doc, fresh_database_url, capsys)
    assert _errors(payload) == []
    assert code == 0
    codes = [d["code"] for d in payload["diagnostics"]]
    assert "SD327" not in codes and "SD361" not in codes
    # the missing comments are summed up per table, as notes: the database holds none at all
    summaries = [d for d in payload["diagnostics"] if d["code"] == "SD364"]
    assert summaries and {d["level"] for d in summaries} == {"note"}
    assert len(summaries) == len({d["message"].split(":")[0] for d in summaries})
    # --comments lists them one by one
    _, listed = _verify_json(doc, fresh_database_url, capsys, "--comments", "--structure")
    assert sum(d["code"] == "SD361" for d in listed["diagnostics"]) > len(summaries)


# -- what the document did not state ------------------------------------------------------------------------

UNTYPED = """# Plans

```
papers(id PK, title, created_at)
```
"""


def test_untyped_column_matches_any_type(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "plans.md"
    doc.write_text(UNTYPED)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE papers (id uuid PRIMARY KEY, title varchar(200), created_at timestamptz)")
    code, payload = _verify_json(doc, fresh_database_url, capsys, "--structure")
    assert (code, _errors(payload)) == (0, [])


TYPED = """# Plans

## papers

| Column | Type | Constraints |
|---|---|---|
| id | uuid | PK |
| title | text | |
"""


def test_stated_type_is_still_compared(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "typed.md"
    doc.write_text(TYPED)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE papers (id uuid PRIMARY KEY, title varchar(200))")
    code, payload = _verify_json(doc, fresh_database_url, capsys, "--structure")
    assert code == 1
    assert [e.split()[0] for e in _errors(payload)] == ["SD305"]


SORTED_ENUM = """# Jobs

```sql
CREATE TYPE job_state AS ENUM ('done', 'failed', 'queued', 'running');
```

## jobs

| Column | Type | Constraints |
|---|---|---|
| id | bigint | PK |
| state | job_state | NOT NULL |
"""


def test_sorted_enum_labels_do_not_state_an_order(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "jobs.md"
    doc.write_text(SORTED_ENUM)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("CREATE TYPE job_state AS ENUM ('queued', 'running', 'done', 'failed')")
        conn.execute("CREATE TABLE jobs (id bigint PRIMARY KEY, state job_state NOT NULL)")
    code, payload = _verify_json(doc, fresh_database_url, capsys, "--structure")
    assert (code, _errors(payload)) == (0, [])
    assert "SD366" in [d["code"] for d in payload["diagnostics"]]
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("ALTER TYPE job_state ADD VALUE 'paused'")
    code, payload = _verify_json(doc, fresh_database_url, capsys, "--structure")
    assert code == 1 and [e.split()[0] for e in _errors(payload)] == ["SD341"]


def test_privileges_newer_than_one_side_are_not_drift() -> None:
    doc_side = Schema(
        grants=(
            Grant("MAINTAIN", "TABLE", QName("public", "t"), "r"),
            Grant("SELECT", "TABLE", QName("public", "t"), "r"),
        )
    )
    old_side = Schema(grants=(Grant("SELECT", "TABLE", QName("public", "t"), "r"),))
    assert diff_schemas(doc_side, old_side, versions=(180000, 150000)) == []
    # on one version, a missing MAINTAIN is real drift
    assert [d.code for d in diff_schemas(doc_side, old_side, versions=(180000, 180000))] == ["SD348"]


NOT_VALID = """# Orders

```sql
CREATE TABLE customers (id bigint PRIMARY KEY);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    qty integer NOT NULL CHECK (qty > 0)
);
```
"""


def test_a_constraint_the_database_has_not_valid_is_drift_until_validated(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "orders.md"
    doc.write_text(NOT_VALID)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id bigint PRIMARY KEY)")
        conn.execute(
            "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, qty integer NOT NULL)"
        )
        conn.execute(
            "ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id)"
            " REFERENCES customers (id) NOT VALID"
        )
        conn.execute("ALTER TABLE orders ADD CONSTRAINT orders_qty_check CHECK (qty > 0) NOT VALID")
    code, payload = _verify_json(doc, fresh_database_url, capsys, "--structure")
    assert code == 1
    found = [d for d in payload["diagnostics"] if d["level"] == "error"]
    assert [(d["code"], d["line"]) for d in found] == [
        ("SD367", 7),
        ("SD367", 8),
    ]  # where the document says it
    assert all("is NOT VALID in the database" in d["message"] for d in found)
    assert [d["hint"] for d in found] == [
        "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_customer_id_fkey",
        "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_qty_check",
    ]
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey")
        conn.execute("ALTER TABLE orders VALIDATE CONSTRAINT orders_qty_check")
    code, payload = _verify_json(doc, fresh_database_url, capsys, "--structure")
    assert (code, _errors(payload)) == (0, [])
