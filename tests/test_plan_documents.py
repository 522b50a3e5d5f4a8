"""``plan`` and ``apply`` on whole documents: every example document and every seed, planned onto
an empty database, gives a proven plan that converges (a second plan is empty, ``verify
--structure`` finds no drift); and each example's database, changed by hand the ways a live
database drifts (an index or foreign key dropped, a column made nullable, a CHECK changed, a
trigger dropped), is brought back by ``apply``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import psycopg
import pytest

from schemadoc.cli import main
from schemadoc.model import Schema
from schemadoc.pg.introspect import introspect
from schemadoc.plan.build import make_plan
from schemadoc.plan.run import run_steps
from schemadoc.read import read_documents
from schemadoc.sqlnames import quote_ident, quote_qualified

from conftest import EXAMPLES, scratch_database, seed_file

EXAMPLE_DOCUMENTS = sorted(EXAMPLES.glob("*.md"))

# seed number -> whether the document uses tables it never defines (built as stand-ins,
# --stub-missing, as `up` would need too)
SEEDS = {0: False, 1: False, 2: True, 3: False, 4: True}

NOTHING_TO_DO = "nothing to do: the database matches the document\n"


def _read(path: Path, stub_missing: bool) -> Schema:
    schema, diags = read_documents([path], stub_missing=stub_missing)
    assert not [d for d in diags if d.level == "error"], [d.render() for d in diags]
    return schema


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(args))
    return code, capsys.readouterr().out


def _converges_from_empty(
    path: Path, stub_missing: bool, url: str, server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _read(path, stub_missing)
    plan = make_plan(url, doc, maintenance_url=server_url)
    residue = [c.diagnostic().render() for c in plan.proof_failure.residue] if plan.proof_failure else []
    assert plan.proof_failure is None, (plan.proof_failure.number, plan.proof_failure.error, residue)
    assert plan.exit_code == 0 and plan.proved and plan.steps and not plan.left_out

    result = run_steps(url, [s.step for s in plan.steps])
    assert result.failure is None and result.done == len(plan.steps), result.failure

    stubs = ["--stub-missing"] if stub_missing else []
    code, out = _cli(capsys, "plan", str(path), "--database-url", url, *stubs)
    assert (code, out) == (0, NOTHING_TO_DO)
    code, out = _cli(capsys, "verify", str(path), "--structure", "--database-url", url, *stubs)
    assert code == 0 and "no drift" in out, out


@pytest.mark.parametrize("path", EXAMPLE_DOCUMENTS, ids=lambda p: p.stem)
def test_an_example_planned_onto_an_empty_database_converges(
    path: Path, fresh_database_url: str, server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _converges_from_empty(path, False, fresh_database_url, server_url, capsys)


@pytest.mark.parametrize("number", sorted(SEEDS), ids=lambda n: f"seed{n:03d}")
def test_a_seed_planned_onto_an_empty_database_converges(
    number: int, fresh_database_url: str, server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _converges_from_empty(seed_file(number), SEEDS[number], fresh_database_url, server_url, capsys)


def test_a_new_tables_triggers_policies_and_grants_are_made_by_the_plan(
    tmp_path: Path, fresh_database_url: str, server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table the database lacks comes with everything the document puts on it, each made
    after what it needs: a trigger after its function, a policy after the SQL function it
    calls, row level security, a column grant; the report still names the table once."""
    doc = tmp_path / "tracker.md"
    doc.write_text(
        "# Tracker\n\n```sql\n"
        "CREATE TABLE notes (id bigint PRIMARY KEY, owner text NOT NULL,\n"
        "  state varchar(10) NOT NULL CHECK (state IN ('open', 'done')), touched timestamptz);\n"
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN NEW.touched := now(); RETURN NEW; END $$;\n"
        "CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();\n"
        "CREATE FUNCTION me() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_user::text $$;\n"
        "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY notes_own ON notes USING (owner = me());\n"
        "GRANT SELECT ON notes TO PUBLIC;\n"
        "GRANT UPDATE (state) ON notes TO PUBLIC;\n"
        "```\n",
        encoding="utf-8",
    )
    code, out = _cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 1
    assert [line for line in out.splitlines() if "notes" in line and " error " in line] == [
        line for line in out.splitlines() if "table public.notes is missing" in line
    ]
    _converges_from_empty(doc, False, fresh_database_url, server_url, capsys)
    with psycopg.connect(fresh_database_url) as conn:
        live = introspect(conn)
    notes = live.tables[next(q for q in live.tables if q.name == "notes")]
    assert notes.rls_enabled
    assert [t.name for t in live.triggers.values()] == ["notes_touch"]
    assert [p.name for p in live.policies.values()] == ["notes_own"]
    assert [(g.column, g.privilege) for g in live.column_grants] == [("state", "UPDATE")]


def test_routines_come_before_the_tables_that_call_them_and_after_those_they_name(
    tmp_path: Path, fresh_database_url: str, server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A routine in SQL that a column default calls is made before the table; routines in
    plpgsql whose signature names a table's row type are made after it."""
    doc = tmp_path / "routines.md"
    doc.write_text(
        "# Routines\n\n```sql\n"
        "CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' || 1 $$;\n"
        "CREATE TABLE items (id bigint PRIMARY KEY, code text NOT NULL DEFAULT next_code());\n"
        "CREATE FUNCTION all_items() RETURNS SETOF items LANGUAGE plpgsql AS $$\n"
        "BEGIN RETURN QUERY SELECT * FROM items; END $$;\n"
        "CREATE FUNCTION item_code(i items) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN i.code; END $$;\n"
        "```\n",
        encoding="utf-8",
    )
    _converges_from_empty(doc, False, fresh_database_url, server_url, capsys)


# --- an example's database changed by hand -----------------------------------------------------


def hand_changes(url: str) -> dict[str, str]:
    """Change the database at ``url`` the ways a live database drifts from its document, each
    on the first object (by name) that allows it: what was done, by kind."""
    with psycopg.connect(url) as conn:
        schema = introspect(conn)
    tables = sorted(schema.tables.values(), key=lambda t: t.qname)
    done: dict[str, str] = {}
    plain = sorted((i for i in schema.indexes.values() if not i.unique), key=lambda i: i.qname)
    if plain:
        done["dropped index"] = f"DROP INDEX {quote_qualified(plain[0].qname)}"
    fks = [(t, fk) for t in tables for fk in t.foreign_keys if fk.name]
    if fks:
        t, fk = fks[0]
        done["dropped foreign key"] = (
            f"ALTER TABLE {quote_qualified(t.qname)} DROP CONSTRAINT {quote_ident(fk.name or '')}"
        )
    not_null = [
        (t, c)
        for t in tables
        for c in t.columns
        if not c.nullable and not c.identity and not (t.primary_key and c.name in t.primary_key.columns)
    ]
    if not_null:
        t, c = not_null[0]
        done["column made nullable"] = (
            f"ALTER TABLE {quote_qualified(t.qname)} ALTER COLUMN {quote_ident(c.name)} DROP NOT NULL"
        )
    checks = [(t, c) for t in tables for c in t.checks if c.name]
    if checks:
        t, c = checks[0]
        name = quote_ident(c.name or "")
        done["changed CHECK"] = (
            f"ALTER TABLE {quote_qualified(t.qname)} DROP CONSTRAINT {name}, "
            f"ADD CONSTRAINT {name} CHECK (({c.expression}) OR true)"
        )
    triggers = sorted(schema.triggers.values(), key=lambda t: (t.table, t.name))
    if triggers:
        tr = triggers[0]
        done["dropped trigger"] = f"DROP TRIGGER {quote_ident(tr.name)} ON {quote_qualified(tr.table)}"
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in done.values():
            conn.execute(statement)  # type: ignore[arg-type]
    return done


def _apply_json(capsys: pytest.CaptureFixture[str], path: Path, url: str) -> tuple[int, dict[str, object]]:
    code, out = _cli(capsys, "apply", str(path), "--database-url", url, "--yes", "--format", "json")
    return code, json.loads(out)


@pytest.mark.parametrize("path", EXAMPLE_DOCUMENTS, ids=lambda p: p.stem)
def test_an_example_database_changed_by_hand_is_brought_back(
    path: Path, fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_database_url
    code, first = _apply_json(capsys, path, url)
    assert code == 0 and first["ok"], first
    done = hand_changes(url)
    # every example has an index and a NOT NULL column to change, and more besides
    assert {"dropped index", "column made nullable"} <= set(done) and len(done) >= 3, done

    code, out = _cli(capsys, "plan", str(path), "--database-url", url, "--format", "json")
    plan = json.loads(out)
    assert code == 0 and plan["proved"] and not plan["left_out"], plan["proof_failure"]
    code, again = _apply_json(capsys, path, url)
    assert code == 0 and again["ok"], again
    code, out = _cli(capsys, "plan", str(path), "--database-url", url)
    assert (code, out) == (0, NOTHING_TO_DO)
    code, out = _cli(capsys, "verify", str(path), "--structure", "--database-url", url)
    assert code == 0 and "no drift" in out, out


def test_a_trigger_function_dropped_with_its_trigger_is_made_before_the_trigger(
    fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """DROP FUNCTION ... CASCADE takes the trigger with it: the plan makes the function (plpgsql:
    before the tables) and then the trigger."""
    path = EXAMPLES / "paper_runs.md"
    code, first = _apply_json(capsys, path, fresh_database_url)
    assert code == 0 and first["ok"], first
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("DROP FUNCTION public.touch_updated_at() CASCADE")
    code, out = _cli(capsys, "plan", str(path), "--database-url", fresh_database_url, "--format", "json")
    plan = json.loads(out)
    assert code == 0 and plan["proved"], plan["proof_failure"]
    assert [s["sql"].split(" ")[:3] for s in plan["steps"]] == [
        ["CREATE", "OR", "REPLACE"],
        ["CREATE", "TRIGGER", "papers_touch_updated_at"],
    ]
    code, again = _apply_json(capsys, path, fresh_database_url)
    assert code == 0 and again["ok"], again["diagnostics"]


def test_a_varchar_in_list_check_the_plan_does_not_touch_stays_as_it_is(
    fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The proof builds its scratch copy from the live database as read: a varchar column's
    ``IN (...)`` CHECK printed by the catalog (an ARRAY of varchar casts cast to text[]) must be
    built back as the same CHECK, or every plan on such a database leaves a phantom residue."""
    path = EXAMPLES / "ops_console.md"
    code, first = _apply_json(capsys, path, fresh_database_url)
    assert code == 0 and first["ok"], first
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("DROP INDEX public.data_records_project_type_idx")
    code, out = _cli(capsys, "plan", str(path), "--database-url", fresh_database_url, "--format", "json")
    plan = json.loads(out)
    assert code == 0 and plan["proved"], plan["proof_failure"]
    assert [s["sql"].split(" ON ")[0] for s in plan["steps"]] == [
        "CREATE INDEX CONCURRENTLY data_records_project_type_idx"
    ]


# --- what a new or remade relation carries, and roles ---------------------------------------------


def _server_roles(server_url: str, names: list[str]) -> set[str]:
    with psycopg.connect(server_url) as conn:
        rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (names,)).fetchall()
    return {r[0] for r in rows}


def test_the_roles_a_document_grants_to_are_made_by_the_plan_and_only_when_it_runs(
    tmp_path: Path, server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Roles belong to the server: on one that lacks them, the plan makes the role the document
    defines (with LOGIN) and those it only grants to or names in a policy (without), before
    the grants; proving the plan leaves no role behind."""
    tag = uuid.uuid4().hex[:8]
    reader, writer, owner = f"sdp_reader_{tag}", f"sdp_writer_{tag}", f"sdp_owner_{tag}"
    doc = tmp_path / "roles.md"
    doc.write_text(
        "# Roles\n\n```sql\n"
        f"CREATE ROLE {reader} LOGIN;\n"
        "CREATE TABLE notes (id bigint PRIMARY KEY, owner text);\n"
        f"GRANT SELECT ON notes TO {reader};\n"
        f"GRANT INSERT ON notes TO {writer};\n"
        "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n"
        f"CREATE POLICY mine ON notes TO {owner} USING (owner = current_user);\n"
        "```\n",
        encoding="utf-8",
    )
    names = [reader, writer, owner]
    try:
        with scratch_database(server_url) as url:
            code, out = _cli(capsys, "plan", str(doc), "--database-url", url, "--format", "json")
            plan = json.loads(out)
            assert code == 0 and plan["proved"], plan["proof_failure"]
            made = [s["sql"] for s in plan["steps"] if "CREATE ROLE" in s["sql"]]
            assert [next(n for n in names if n in sql) for sql in made] == sorted(names)
            assert [f"{reader} LOGIN" in sql for sql in made] == [n == reader for n in sorted(names)]
            assert _server_roles(server_url, names) == set()  # the proof made them for a while only
            code, applied = _apply_json(capsys, doc, url)
            assert code == 0 and applied["ok"], applied
            assert _server_roles(server_url, names) == set(names)
            code, out = _cli(capsys, "plan", str(doc), "--database-url", url)
            assert (code, out) == (0, NOTHING_TO_DO)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f"DROP ROLE IF EXISTS {quote_ident(name)}")  # type: ignore[arg-type]


VIEWS = """
CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
CREATE MATERIALIZED VIEW item_names AS SELECT id, name FROM items;
CREATE UNIQUE INDEX item_names_id ON item_names (id);
CREATE VIEW item_entry AS SELECT id, name FROM items;
CREATE FUNCTION item_entry_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO items (id, name) VALUES (NEW.id, NEW.name); RETURN NEW; END $$;
CREATE TRIGGER item_entry_insert INSTEAD OF INSERT ON item_entry
  FOR EACH ROW EXECUTE FUNCTION item_entry_insert();
GRANT SELECT ON item_entry TO PUBLIC;
GRANT UPDATE (name) ON item_entry TO PUBLIC;
"""


def test_a_view_made_or_made_again_comes_with_its_indexes_triggers_and_grants(
    tmp_path: Path, fresh_database_url: str, server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new materialized view gets its index, a new view its INSTEAD OF trigger and column
    grant; and a view whose query changed, dropped and made again, gets them again."""
    doc = tmp_path / "views.md"
    doc.write_text(f"# Views\n\n```sql\n{VIEWS.strip()}\n```\n", encoding="utf-8")
    _converges_from_empty(doc, False, fresh_database_url, server_url, capsys)
    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("DROP MATERIALIZED VIEW item_names")
        conn.execute("CREATE MATERIALIZED VIEW item_names AS SELECT id, name, 1 AS extra FROM items")
        conn.execute("CREATE UNIQUE INDEX item_names_id ON item_names (id)")
        conn.execute("COMMENT ON INDEX item_names_id IS 'by hand'")
        conn.execute("CREATE OR REPLACE VIEW item_entry AS SELECT id, name, 2 AS extra FROM items")
    code, applied = _apply_json(capsys, doc, fresh_database_url)
    assert code == 0 and applied["ok"], applied["diagnostics"]
    code, out = _cli(capsys, "verify", str(doc), "--structure", "--database-url", fresh_database_url)
    assert code == 0 and "no drift" in out, out
