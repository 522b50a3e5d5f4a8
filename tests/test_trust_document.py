"""Documents are code: ``up`` and ``verify`` refuse a document that reaches outside the
database unless ``--trust-document`` is given; with it, it is built as written."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from schemadoc.cli import main
from schemadoc.pg.connect import with_database


def leaking_document(marker: Path) -> str:
    # line 5: the function; line 11: the trigger that calls it on every insert. The program reads
    # what COPY writes before it ends: one that ends first can leave COPY writing to a closed pipe
    # (could not close pipe to external command: Broken pipe), a failure of the probe, not of the test
    return f"""# Notes

```sql
CREATE TABLE notes (id int PRIMARY KEY, body text);
CREATE FUNCTION leak() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  COPY (SELECT 1) TO PROGRAM 'cat > /dev/null; touch {marker}';
  RETURN NEW;
END
$f$;
CREATE TRIGGER notes_leak BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION leak();
```
"""


@pytest.fixture
def target(server_url: str) -> Iterator[str]:
    """The URL of a database ``up`` may create; dropped afterwards."""
    name = f"sd_trust_{uuid.uuid4().hex[:10]}"
    yield with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def database_exists(server_url: str, url: str) -> bool:
    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(server_url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def test_up_refuses_a_routine_that_runs_a_program_and_nothing_runs(
    tmp_path: Path, server_url: str, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "touched"
    doc = tmp_path / "notes.md"
    doc.write_text(leaking_document(marker))
    code, out = run(["up", str(doc), "--database-url", target], capsys)
    assert code == 1
    (refused,) = [d for d in out["diagnostics"] if d["code"] == "SD050"]
    assert refused["level"] == "error" and refused["line"] == 5
    assert f"{doc}:5" in refused["message"] and f"{doc}:11" in refused["message"]
    assert "--trust-document" in refused["hint"]
    assert not marker.exists()
    assert not database_exists(server_url, target)


def test_verify_refuses_before_touching_any_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "touched"
    doc = tmp_path / "notes.md"
    doc.write_text(leaking_document(marker))
    # nothing listens on port 1: a connection attempt would end in exit 2, not 1
    code, out = run(["verify", str(doc), "--database-url", "postgresql://nobody@127.0.0.1:1/x"], capsys)
    assert code == 1
    assert [d["code"] for d in out["diagnostics"] if d["level"] == "error"].count("SD050") == 1
    assert not marker.exists()


def _server_on_this_machine(url: str) -> bool:
    """Whether the server runs on this machine (its data directory is here, owned by its account)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT current_setting('data_directory')").fetchone()
    data = Path(str(row[0])) if row else None
    return data is not None and data.is_dir() and (data / "PG_VERSION").exists()


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory any local account may write to: the server's account leaves the marker there."""
    path = Path(tempfile.mkdtemp(prefix="schemadoc-trust-"))
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_with_trust_document_the_routine_is_built_and_runs(
    tmp_path: Path, server_url: str, target: str, shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not _server_on_this_machine(server_url):
        pytest.skip(
            "the server does not run on this machine: the program it runs would not leave the marker here"
        )
    marker = shared_dir / "touched"
    doc = tmp_path / "notes.md"
    doc.write_text(leaking_document(marker))
    code, out = run(["up", str(doc), "--database-url", target, "--trust-document"], capsys)
    assert code == 0, out["diagnostics"]
    assert not [d for d in out["diagnostics"] if d["code"] == "SD050"]
    assert [(d["code"], d["level"], d["line"]) for d in out["diagnostics"] if d["code"] == "SD042"] == [
        ("SD042", "warning", 5)
    ]
    assert marker.exists()  # the probes inserted rows: the trigger ran the program


def test_a_superuser_role_is_refused_and_built_only_when_trusted(
    tmp_path: Path, server_url: str, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    role = f"sd_boss_{uuid.uuid4().hex[:8]}"
    doc = tmp_path / "boss.md"
    doc.write_text(
        f"# Boss\n\n```sql\nCREATE TABLE t (id int PRIMARY KEY);\nCREATE ROLE {role} SUPERUSER LOGIN;\n```\n"
    )
    try:
        code, out = run(["up", str(doc), "--database-url", target], capsys)
        assert code == 1
        assert [(d["code"], d["line"]) for d in out["diagnostics"] if d["level"] == "error"] == [("SD050", 5)]
        code, out = run(["up", str(doc), "--database-url", target, "--trust-document", "--structure"], capsys)
        assert code == 0, out["diagnostics"]
        assert out["roles_created"] == [role]
        with psycopg.connect(server_url) as conn:
            found = conn.execute(
                "SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s", [role]
            ).fetchone()
        assert found == (True, True)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.mark.parametrize(
    ("statement", "code"),
    [
        (
            "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT pg_read_file('/etc/hostname') $$;",
            "SD042",
        ),
        ("CREATE FUNCTION f() RETURNS setof text LANGUAGE sql AS $$ SELECT pg_ls_dir('.') $$;", "SD042"),
        ("CREATE FUNCTION f() RETURNS oid LANGUAGE sql AS $$ SELECT lo_import('/etc/hostname') $$;", "SD042"),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT lo_export(1, '/tmp/x') $$;", "SD042"),
        (
            "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT dblink_connect('host=elsewhere') $$;",
            "SD042",
        ),
        (
            "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ALTER SYSTEM SET a = 1; END $$;",
            "SD042",
        ),
        (
            "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE ROLE r BYPASSRLS; END $$;",
            "SD042",
        ),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE plperlu AS $$ return 1; $$;", "SD042"),
        ("COPY t TO '/tmp/t.csv';", "SD041"),
        ("COPY t FROM PROGRAM 'id';", "SD041"),
        ("ALTER SYSTEM SET work_mem = '1GB';", "SD041"),
        ("CREATE EXTENSION plpython3u;", "SD041"),
        ("CREATE LANGUAGE plperlu;", "SD041"),
        ("CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db');", "SD041"),
        ("CREATE USER MAPPING FOR CURRENT_USER SERVER elsewhere OPTIONS (password 'x');", "SD041"),
        ("CREATE ROLE r REPLICATION;", "SD041"),
        ("CREATE ROLE r BYPASSRLS;", "SD041"),
    ],
)
def test_operations_reaching_outside_are_flagged_and_refused(
    tmp_path: Path, statement: str, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"# Doc\n\n```sql\nCREATE TABLE t (id int PRIMARY KEY);\n{statement}\n```\n")
    _, out = run(["check", str(doc)], capsys)
    assert [(d["code"], d["line"]) for d in out["diagnostics"] if d["code"] in ("SD041", "SD042")] == [
        (code, 5)
    ]
    exit_code, out = run(["up", str(doc), "--database-url", "postgresql://nobody@127.0.0.1:1/x"], capsys)
    assert exit_code == 1
    assert [d["line"] for d in out["diagnostics"] if d["code"] == "SD050"] == [5]
