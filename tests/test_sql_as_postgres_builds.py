"""SQL documents are built the way PostgreSQL builds the same SQL: small cases, one cause each.

Each case is SQL that PostgreSQL loads as it is; the document wrapping it must build with
``up`` and verify against the raw load with no drift."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from schemadoc.cli import main
from schemadoc.read import read_documents

from conftest import scratch_database


def _doc(tmp_path: Path, text: str) -> Path:
    doc = tmp_path / "doc.md"
    doc.write_text("```sql\n" + text + "\n```\n", encoding="utf-8")
    return doc


def _zero_drift(text: str, server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    """Load ``text`` raw, build its document with up, verify the document against the raw load;
    returns up's diagnostics (JSON)."""
    doc = _doc(tmp_path, text)
    with scratch_database(server_url) as raw, scratch_database(server_url) as built:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(text.encode("utf-8"))
        capsys.readouterr()
        up = main(["up", str(doc), "--structure", "--format", "json", "--database-url", built])
        up_out = capsys.readouterr().out
        assert up == 0, up_out
        code = main(["verify", str(doc), "--structure", "--format", "json", "--database-url", raw])
        payload = json.loads(capsys.readouterr().out)
        assert [d for d in payload["diagnostics"] if d["level"] == "error"] == []
        assert code == 0
    diags: list[dict] = json.loads(up_out).get("diagnostics", [])
    return diags


def test_foreign_key_to_a_unique_index_is_built_after_the_index(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = """
CREATE TABLE public.a_child (id integer PRIMARY KEY, session_id integer);
CREATE TABLE public.z_sessions (id integer NOT NULL, token text);
CREATE UNIQUE INDEX z_sessions_id ON public.z_sessions (id);
ALTER TABLE ONLY public.a_child ADD CONSTRAINT fk_session FOREIGN KEY (session_id) REFERENCES public.z_sessions(id);
"""
    _zero_drift(text, server_url, tmp_path, capsys)


def test_alter_sequence_owned_by_owns_the_declared_sequence(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = """
CREATE TABLE public.items (item_id integer NOT NULL, name text);
CREATE SEQUENCE public.items_item_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.items_item_id_seq OWNED BY public.items.item_id;
ALTER TABLE ONLY public.items ALTER COLUMN item_id SET DEFAULT nextval('public.items_item_id_seq'::regclass);
"""
    _zero_drift(text, server_url, tmp_path, capsys)


def test_alter_sequence_as_and_owned_by_none(tmp_path: Path) -> None:
    text = """
CREATE TABLE public.t (id bigint);
CREATE SEQUENCE public.s OWNED BY public.t.id;
ALTER SEQUENCE public.s AS integer;
ALTER SEQUENCE public.s OWNED BY NONE;
ALTER SEQUENCE public.undeclared OWNED BY NONE;
"""
    schema, diags = read_documents([_doc(tmp_path, text)])
    seq = next(s for s in schema.sequences.values() if s.name == "s")
    assert (seq.data_type, seq.owned_by) == ("integer", None)
    assert [d.code for d in diags if "undeclared" in d.message] == ["SD030"]


def test_foreign_key_column_keeps_its_written_type_with_a_warning(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = """
CREATE TABLE public.users (id bigserial PRIMARY KEY);
CREATE TABLE public.logins (id serial PRIMARY KEY, user_id integer REFERENCES public.users (id));
"""
    diags = _zero_drift(text, server_url, tmp_path, capsys)
    assert [d["code"] for d in diags if d["code"] in ("SD207", "SD240")] == ["SD240"]


def test_index_on_a_materialized_view_and_builtin_trigger_functions(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = """
CREATE TABLE public.docs (id int PRIMARY KEY, body text, tsv tsvector);
CREATE MATERIALIZED VIEW public.doc_counts AS SELECT count(*) AS n FROM public.docs;
CREATE UNIQUE INDEX doc_counts_n ON public.doc_counts (n);
CREATE TRIGGER docs_tsv BEFORE INSERT OR UPDATE ON public.docs
  FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger(tsv, 'pg_catalog.english', body);
CREATE TRIGGER docs_same BEFORE UPDATE ON public.docs
  FOR EACH ROW EXECUTE PROCEDURE pg_catalog.suppress_redundant_updates_trigger();
"""
    _zero_drift(text, server_url, tmp_path, capsys)


def test_create_schema_elements_are_built_in_that_schema(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = """
CREATE TABLE public.owners (id int PRIMARY KEY);
CREATE SCHEMA shop
  CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL UNIQUE, owner_id int REFERENCES public.owners (id))
  CREATE TABLE parts (id int PRIMARY KEY, item_id int REFERENCES items (id))
  CREATE INDEX parts_item ON parts (item_id)
  CREATE VIEW item_names AS SELECT name FROM shop.items
  CREATE SEQUENCE part_numbers;
"""
    diags = _zero_drift(text, server_url, tmp_path, capsys)
    assert [d for d in diags if d["code"] == "SD030"] == []


def test_attach_partition_makes_the_table_a_partition(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = """
CREATE TABLE public.events (id bigint NOT NULL, at date NOT NULL, note text) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 (id bigint NOT NULL, at date NOT NULL, note text);
CREATE TABLE public.events_other (id bigint NOT NULL, at date NOT NULL, note text);
ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE ONLY public.events ATTACH PARTITION public.events_other DEFAULT;
"""
    diags = _zero_drift(text, server_url, tmp_path, capsys)
    assert [d for d in diags if d["code"] == "SD030"] == []


def test_set_search_path_decides_where_unqualified_names_live(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = """
CREATE SCHEMA app;
CREATE TABLE accounts (id int PRIMARY KEY);
SET search_path = app, public;
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE SEQUENCE note_numbers;
CREATE TABLE notes (
  id int PRIMARY KEY DEFAULT nextval('note_numbers'),
  account_id int REFERENCES accounts (id),
  feeling mood NOT NULL
);
CREATE INDEX notes_account ON notes (account_id);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER notes_touch BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION touch();
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.after (id int PRIMARY KEY, note_id int REFERENCES app.notes (id));
"""
    diags = _zero_drift(text, server_url, tmp_path, capsys)
    assert [d for d in diags if d["code"] == "SD030"] == []


def test_types_and_constraints_created_in_do_blocks_are_built(
    server_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = """
DO $$ BEGIN
 CREATE TYPE "public"."status" AS ENUM('open', 'done');
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'size') THEN
    CREATE TYPE size AS ENUM ('s', 'm', 'l');
  END IF;
END
$$;
CREATE TABLE public.owners (id int PRIMARY KEY);
CREATE TABLE public.tasks (id int PRIMARY KEY, state status NOT NULL, fit size, owner_id int);
DO $$ BEGIN
 ALTER TABLE "tasks" ADD CONSTRAINT "tasks_owner_fk" FOREIGN KEY ("owner_id") REFERENCES "owners"("id");
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
"""
    diags = _zero_drift(text, server_url, tmp_path, capsys)
    assert [d for d in diags if d["code"] == "SD030"] == []


def test_do_block_that_does_more_is_still_reported(tmp_path: Path) -> None:
    text = """
CREATE TABLE public.settings (v int);
DO $$ BEGIN
  CREATE TYPE mood AS ENUM ('ok');
  UPDATE settings SET v = 1;
END $$;
"""
    schema, diags = read_documents([_doc(tmp_path, text)])
    assert [e.name for e in schema.enums.values()] == ["mood"]
    assert [d.code for d in diags if d.level == "warning"] == ["SD030"]
