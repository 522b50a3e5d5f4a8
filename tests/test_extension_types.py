"""Column types and operator classes that extensions provide: CREATE EXTENSION, one clear error on a
server without the extension, or (--stub-missing) stand-in domains over text."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from schemadoc.actions import build, verify_behaviour
from schemadoc.diagnostics import SchemadocError
from schemadoc.model import QName
from schemadoc.read import read_documents
from schemadoc.write.ddl import ddl_text, render_ddl

DOC = """# Places

```sql
CREATE TABLE places (
    id bigint PRIMARY KEY,
    path ltree NOT NULL,
    name citext,
    attrs hstore
);
CREATE INDEX places_path_idx ON places USING gist (path);
CREATE INDEX places_name_trgm ON places USING gin (name gin_trgm_ops);
```
"""

VECTOR_DOC = """# Items

```sql
CREATE TABLE items (
    id bigint PRIMARY KEY,
    embedding vector(3) NOT NULL
);
```
"""


def _doc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text)
    return path


def _available(url: str) -> frozenset[str]:
    with psycopg.connect(url) as conn:
        return frozenset(r[0] for r in conn.execute("SELECT name FROM pg_available_extensions").fetchall())


def test_types_and_operator_classes_bring_their_extensions(tmp_path: Path) -> None:
    schema, diags = read_documents([_doc(tmp_path, DOC)])
    assert [d for d in diags if d.level == "error"] == []
    assert sorted(schema.extensions) == ["citext", "hstore", "ltree", "pg_trgm"]
    assert {d.message.split(" needs ")[0] for d in diags if d.code == "SD263"} == {
        "public.places.path has type ltree, which",
        "public.places.name has type citext, which",
        "public.places.attrs has type hstore, which",
        "index public.places_name_trgm uses operator class gin_trgm_ops, which",
    }
    assert schema.tables[QName("public", "places")].column("path").type == "ltree"  # type: ignore[union-attr]
    # without --stub-missing there are no stand-in types
    assert schema.domains == {}


def test_server_without_the_extension_gives_one_error_naming_it(tmp_path: Path) -> None:
    schema, _ = read_documents([_doc(tmp_path, VECTOR_DOC)])
    _, diags = render_ddl(schema, available_extensions=frozenset())
    errors = [d for d in diags if d.level == "error"]
    assert [d.code for d in errors] == ["SD261"]
    assert "vector extension" in errors[0].message and "pgvector" in (errors[0].hint or "")
    assert errors[0].span is not None and errors[0].span.line == 6


def test_stub_missing_builds_stand_in_domains_only_where_the_extension_is_lacking(tmp_path: Path) -> None:
    schema, _ = read_documents([_doc(tmp_path, DOC)], stub_missing=True)
    lacking, diags = render_ddl(schema, available_extensions=frozenset())
    sql = ddl_text(lacking)
    assert "CREATE EXTENSION" not in sql
    assert (
        "-- stand-in for the ltree extension's type public.ltree\nCREATE DOMAIN public.ltree AS text" in sql
    )
    assert "path public.ltree NOT NULL" in sql
    # the GiST and trigram indexes need the real types: left out, and said so
    assert "CREATE INDEX" not in sql
    assert {d.message for d in diags if d.code == "SD260" and d.message.startswith("index")} == {
        "index public.places_path_idx needs an extension this server lacks; left out",
        "index public.places_name_trgm needs an extension this server lacks; left out",
    }
    having = ddl_text(
        render_ddl(schema, available_extensions=frozenset({"ltree", "citext", "hstore", "pg_trgm"}))[0]
    )
    assert "CREATE DOMAIN" not in having and "CREATE EXTENSION IF NOT EXISTS ltree" in having
    assert "USING gist (path)" in having


def test_builds_on_a_real_server_with_or_without_the_contrib_modules(
    tmp_path: Path, fresh_database_url: str, server_url: str
) -> None:
    schema, _ = read_documents([_doc(tmp_path, DOC)], stub_missing=True)
    build(fresh_database_url, schema, maintenance_url=server_url)
    with psycopg.connect(fresh_database_url) as conn:
        typtype = conn.execute(
            "SELECT t.typtype FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
            " WHERE a.attrelid = 'public.places'::regclass AND a.attname = 'path'"
        ).fetchone()
    has_ltree = "ltree" in _available(fresh_database_url)
    # the extension's own base type where the server has it, else the stand-in domain
    assert typtype == (("b",) if has_ltree else ("d",))
    report = verify_behaviour(fresh_database_url, schema)
    assert [r.promise.subject for r in report.results if r.outcome != "kept"] == []


def test_missing_extension_refuses_the_build_with_one_clear_error(
    tmp_path: Path, fresh_database_url: str, server_url: str
) -> None:
    if "vector" in _available(fresh_database_url):
        pytest.skip("this server has pgvector: nothing is missing")
    schema, _ = read_documents([_doc(tmp_path, VECTOR_DOC)])
    with pytest.raises(SchemadocError) as caught:
        build(fresh_database_url, schema, maintenance_url=server_url)
    assert caught.value.diagnostic.code == "SD261"
    stubbed, _ = read_documents([_doc(tmp_path, VECTOR_DOC)], stub_missing=True)
    build(fresh_database_url, stubbed, maintenance_url=server_url)
    report = verify_behaviour(fresh_database_url, stubbed)
    assert {r.promise.kind: r.outcome for r in report.results}["not_null"] == "kept"
