"""--stub-missing: stand-ins for trigger functions, called functions and types a document never defines."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from schemadoc.actions import build, verify_behaviour
from schemadoc.cli import main
from schemadoc.model import QName
from schemadoc.read import read_documents
from schemadoc.write.ddl import ddl_text, render_ddl

from conftest import CORPUS

TRIGGER_DOC = """# Shop

```sql
CREATE TABLE items (
    id bigint PRIMARY KEY,
    name text NOT NULL,
    updated_at timestamptz
);
CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch_row();
```
"""

CALL_DOC = """# Notes

```sql
CREATE TABLE notes (
    id bigint PRIMARY KEY,
    owner uuid NOT NULL DEFAULT auth.uid(),
    body text,
    mood feeling
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON notes USING (owner = auth.uid());
```
"""


def _doc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.md"
    path.write_text(text)
    return path


def test_trigger_on_undefined_function_stays_an_error_that_names_the_flag(tmp_path: Path) -> None:
    _, diags = read_documents([_doc(tmp_path, TRIGGER_DOC)])
    errors = [d for d in diags if d.level == "error"]
    assert [d.code for d in errors] == ["SD113"]
    assert "--stub-missing" in (errors[0].hint or "")


def test_trigger_function_stand_in_is_marked_in_model_ddl_and_list(tmp_path: Path) -> None:
    schema, diags = read_documents([_doc(tmp_path, TRIGGER_DOC)], stub_missing=True)
    assert [d for d in diags if d.level == "error"] == []
    fn = next(f for f in schema.functions.values() if f.name == "touch_row")
    assert fn.stub and fn.returns == "trigger" and fn.language == "plpgsql"
    assert "RETURN NEW" in fn.body
    assert schema.stand_ins() == ["public.touch_row()"]
    assert schema.counts()["functions"] == 0
    sql = ddl_text(render_ddl(schema)[0])
    assert "-- stand-in for public.touch_row(): the document calls it but never defines it\n" in sql
    assert any(d.code == "SD260" and d.span is not None and d.span.line == 9 for d in diags)


def test_called_function_takes_the_type_its_use_needs_and_types_become_domains(tmp_path: Path) -> None:
    path = _doc(tmp_path, CALL_DOC)
    _, plain = read_documents([path])
    assert "SD264" in {d.code for d in plain if d.level == "error"}
    schema, diags = read_documents([path], stub_missing=True)
    assert [d for d in diags if d.level == "error"] == []
    uid = next(f for f in schema.functions.values() if f.qname == QName("auth", "uid"))
    assert (uid.stub, uid.arguments, uid.returns, uid.language) == (True, "", "uuid", "sql")
    feeling = schema.domains[QName("public", "feeling")]
    assert feeling.stub and feeling.base_type == "text"
    assert schema.stand_ins() == ["auth.uid()", "public.feeling"]


def test_stand_ins_build_and_their_promises_are_untestable_by_design(
    tmp_path: Path, fresh_database_url: str, server_url: str
) -> None:
    schema, _ = read_documents([_doc(tmp_path, TRIGGER_DOC + CALL_DOC)], stub_missing=True)
    build(fresh_database_url, schema, maintenance_url=server_url)
    report = verify_behaviour(fresh_database_url, schema)
    by_kind = {(r.promise.kind, r.promise.subject): r for r in report.results}
    trig = next(r for (kind, _), r in by_kind.items() if kind == "trigger")
    assert (trig.outcome, trig.cause) == ("untestable", "design")
    assert "public.touch_row()" in trig.reason
    default = by_kind[("default", "public.notes.owner")]
    assert (default.outcome, default.cause) == ("untestable", "design")
    # promises that do not depend on a stand-in are still tried
    assert by_kind[("not_null", "public.items.name")].outcome == "kept"


TBLS_SETS = {"D1": "k1LoW__tbls__sample__postgres__*.md", "D2": "MarquezProject__marquez__dbdoc__*.md"}


@pytest.mark.parametrize("label", sorted(TBLS_SETS))
def test_tbls_sets_build_with_stub_missing(label: str, fresh_database_url: str, server_url: str) -> None:
    docs = CORPUS / "docs"
    paths = sorted(docs.glob(TBLS_SETS[label])) if docs.is_dir() else []
    if not paths:
        pytest.skip(f"corpus set {label} is not present")
    _, refused = read_documents(paths)
    assert "SD113" in {d.code for d in refused if d.level == "error"}
    schema, diags = read_documents(paths, stub_missing=True)
    assert [d.render() for d in diags if d.level == "error"] == []
    stubs = [f for f in schema.functions.values() if f.stub]
    assert stubs and all(f.returns == "trigger" for f in stubs)
    with psycopg.connect(fresh_database_url) as conn:
        available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions").fetchall()}
    lacking = sorted(e for e, ext in schema.extensions.items() if e not in available and not ext.stand_in)
    if lacking:
        pytest.skip(f"{label} needs extensions this server lacks: {', '.join(lacking)}")
    result = build(fresh_database_url, schema, maintenance_url=server_url)
    assert result.statements > 0
    report = verify_behaviour(fresh_database_url, schema)
    on_stand_ins = [r for r in report.results if r.promise.stand_in is not None]
    assert on_stand_ins and all((r.outcome, r.cause) == ("untestable", "design") for r in on_stand_ins)


def test_check_json_lists_the_stand_ins_and_the_refusal_without_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _doc(tmp_path, TRIGGER_DOC + CALL_DOC)
    assert main(["check", "--stub-missing", "--format", "json", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stand_ins"] == ["auth.uid()", "public.feeling", "public.touch_row()"]
    assert main(["check", "--format", "json", str(path)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["stand_ins"] == []
    assert {d["code"] for d in out["diagnostics"] if d["level"] == "error"} == {"SD113", "SD264"}


BODY_DOC = """# Shops

```sql
CREATE TABLE profiles (
    id uuid PRIMARY KEY,
    shop_id uuid NOT NULL
);
CREATE FUNCTION user_shop_id() RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT shop_id FROM profiles WHERE id = auth.uid()
$$;
CREATE VIEW my_profile AS SELECT id, shop_id FROM profiles WHERE id = auth.uid();
```
"""


def test_calls_in_sql_bodies_and_views_get_stand_ins_typed_from_their_tables(
    tmp_path: Path, fresh_database_url: str, server_url: str
) -> None:
    path = _doc(tmp_path, BODY_DOC)
    _, plain = read_documents([path])
    assert [(d.code, d.span.line if d.span else 0) for d in plain if d.level == "error"] == [("SD264", 11)]
    schema, diags = read_documents([path], stub_missing=True)
    assert [d for d in diags if d.level == "error"] == []
    uid = next(f for f in schema.functions.values() if f.qname == QName("auth", "uid"))
    # typed from profiles.id, the column the call is compared with in the body's FROM table
    assert (uid.stub, uid.returns) == (True, "uuid")
    build(fresh_database_url, schema, maintenance_url=server_url)
    with psycopg.connect(fresh_database_url) as conn:
        assert conn.execute("SELECT public.user_shop_id()").fetchone() == (None,)
        assert conn.execute("SELECT count(*) FROM public.my_profile").fetchone() == (0,)


OSSP_DOC = """# Items

```sql
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE TABLE items (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), name text);
```
"""


def test_extension_functions_stand_in_where_the_server_lacks_the_extension(
    tmp_path: Path, fresh_database_url: str
) -> None:
    schema, _ = read_documents([_doc(tmp_path, OSSP_DOC)], stub_missing=True)
    lacking = frozenset({"plpgsql"})
    statements, diags = render_ddl(schema, available_extensions=lacking)
    assert [d.code for d in diags] == ["SD260"] and "uuid_generate_v4()" in diags[0].message
    text = ddl_text(statements)
    assert "CREATE EXTENSION" not in text
    assert "-- stand-in for public.uuid_generate_v4()" in text
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.sql.encode())
        conn.execute("INSERT INTO items (name) VALUES ('a'), ('b')")
        ids = conn.execute("SELECT count(DISTINCT id) FROM items WHERE id IS NOT NULL").fetchone()
    assert ids == (2,)
    # without --stub-missing the extension stays, and the build fails on such a server as PostgreSQL says
    plain, _ = read_documents([_doc(tmp_path, OSSP_DOC)])
    assert "CREATE EXTENSION" in ddl_text(render_ddl(plain, available_extensions=lacking)[0])


TENANT_DOC = """# Tenants

```sql
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE invoices (
    id bigint PRIMARY KEY,
    tenant_id uuid NOT NULL DEFAULT current_tenant_id(),
    code text NOT NULL DEFAULT encode(gen_random_bytes(6), 'hex') CHECK (is_valid_code(code)),
    total numeric NOT NULL DEFAULT round(0.0, 2),
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON invoices USING (tenant_id = current_tenant_id());
```
"""


def test_unqualified_calls_of_undefined_functions_get_stand_ins_and_builtins_do_not(
    tmp_path: Path, fresh_database_url: str, server_url: str
) -> None:
    path = _doc(tmp_path, TENANT_DOC)
    _, plain = read_documents([path])
    errors = sorted((d.code, d.message) for d in plain if d.level == "error")
    assert errors == [
        ("SD264", "public.current_tenant_id() is called but the document never defines it"),
        ("SD264", "public.is_valid_code() is called but the document never defines it"),
    ]
    schema, diags = read_documents([path], stub_missing=True)
    assert [d for d in diags if d.level == "error"] == []
    stubs = {f.name: f for f in schema.functions.values() if f.stub}
    # now(), round(), encode() are PostgreSQL's own, gen_random_bytes() pgcrypto's: no stand-in for them
    assert sorted(stubs) == ["current_tenant_id", "is_valid_code"]
    assert (stubs["current_tenant_id"].arguments, stubs["current_tenant_id"].returns) == ("", "uuid")
    assert (stubs["is_valid_code"].arguments, stubs["is_valid_code"].returns) == ("text", "boolean")
    with psycopg.connect(fresh_database_url) as conn:
        has_pgcrypto = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pgcrypto'"
        ).fetchone()
    build(fresh_database_url, schema, maintenance_url=server_url)
    with psycopg.connect(fresh_database_url) as conn:
        found = conn.execute(
            "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND NOT EXISTS "
            "(SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1"
        ).fetchall()
    # on a server without pgcrypto, its gen_random_bytes() is a stand-in too
    expected = (
        ["current_tenant_id", "is_valid_code"]
        if has_pgcrypto
        else ["current_tenant_id", "gen_random_bytes", "is_valid_code"]
    )
    assert [r[0] for r in found] == expected
    report = verify_behaviour(fresh_database_url, schema)
    outcomes = {(r.promise.kind, r.promise.subject): (r.outcome, r.cause) for r in report.results}
    # what calls a stand-in cannot be tried; the rest is, with a value of its own for tenant_id
    assert outcomes[("default", "public.invoices.tenant_id")] == ("untestable", "design")
    assert next(v for (kind, _), v in outcomes.items() if kind == "check") == ("untestable", "design")
    assert outcomes[("not_null", "public.invoices.tenant_id")][0] == "kept"
    assert outcomes[("default", "public.invoices.total")][0] == "kept"


def test_a_function_the_document_defines_in_any_schema_is_not_stood_in(tmp_path: Path) -> None:
    text = TENANT_DOC.replace(
        "CREATE TABLE invoices",
        "CREATE SCHEMA app;\nCREATE FUNCTION app.current_tenant_id() RETURNS uuid LANGUAGE sql AS "
        "$$ SELECT NULL::uuid $$;\nCREATE FUNCTION is_valid_code(c text) RETURNS boolean LANGUAGE sql "
        "AS $$ SELECT c <> '' $$;\nCREATE TABLE invoices",
    )
    _, diags = read_documents([_doc(tmp_path, text)])
    assert [d.render() for d in diags if d.code == "SD264"] == []


# The shortcut that skips parsing an expression must never skip one with a call that needs a
# stand-in: whenever it says "nothing unknown", the parse finds only PostgreSQL's own functions.
SHORTCUT_CASES = [
    ("status IN ('new', 'open')", False),
    ("char_length(btrim(name)) > 0", False),
    ("amount::numeric(12, 2) >= 0", False),
    ("coalesce(a, b) = nullif(c, '')", False),
    ("extract(year FROM starts_at) > 2000 AND position('x' in name) = 0", False),
    ("EXISTS (SELECT 1) OR x = ANY (ARRAY[1, 2])", False),
    ("current_tenant() = tenant_id", True),
    ("auth.uid() = owner", True),
    ("auth . uid () = owner", True),
    ('"Lower"(name) = name', True),
    ("lower /* a comment */ (name) = name", True),
    ("my_check(x) AND lower(y) = y", True),
    ("collation for (name) = 'C'", True),
]


@pytest.mark.parametrize(("text", "expected"), SHORTCUT_CASES)
def test_call_shortcut_never_skips_an_unknown_call(text: str, expected: bool) -> None:
    from schemadoc.model import Schema
    from schemadoc.read.builtin_functions import BUILTIN_FUNCTIONS
    from schemadoc.read.call_sites import SYSTEM_SCHEMAS, Site, calls, may_call_unknown

    assert may_call_unknown(text, BUILTIN_FUNCTIONS) is expected
    found = calls(Site(text, (), "boolean", None), Schema())
    unknown = [
        c.name for c in found if c.name.schema not in SYSTEM_SCHEMAS and c.name.name not in BUILTIN_FUNCTIONS
    ]
    if not expected:
        assert unknown == []
