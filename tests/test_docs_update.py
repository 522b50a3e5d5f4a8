"""`docs --update` keeps the prose a team wrote around the generated parts, byte for byte;
`docs --split` writes a folder that reads back as the database; big schemas get one diagram per
cluster of related tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest

from schemadoc.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main
from schemadoc.pg.connect import connect, with_database
from schemadoc.pg.introspect import introspect
from schemadoc.read import read_documents
from schemadoc.write.markdown import Part, join_parts, render_markdown
from schemadoc.write.markdown_update import parse_marked, update_document

START = (
    "CREATE TABLE authors (id integer PRIMARY KEY, name text NOT NULL)",
    "CREATE TABLE books (id integer PRIMARY KEY, author_id integer NOT NULL REFERENCES authors (id))",
    "CREATE TABLE drafts (id integer PRIMARY KEY, body text)",
    "CREATE TABLE scratch (id integer PRIMARY KEY)",
    "CREATE VIEW book_count AS SELECT count(*) AS n FROM books",
)
CHANGES = (
    "DROP TABLE drafts",
    "DROP TABLE scratch",
    "ALTER TABLE books ADD COLUMN title text NOT NULL DEFAULT ''",
    "CREATE TABLE covers (id integer PRIMARY KEY, book_id integer REFERENCES books (id) ON DELETE CASCADE)",
    "COMMENT ON TABLE authors IS 'People who write.'",
)

INTRO = "Our team keeps this page. Ask #data before changing a table.\n\n"
BOOKS_NOTE = "\n## Notes on books\n\nBooks are *never* deleted; `author_id` is checked by the app too.\n\n"
DRAFTS_NOTE = "\nDrafts are purged nightly. Tab\there, trailing spaces   \n"
VIEW_NOTE = "\n> The count is approximate on replicas.\n\n"


def _run(statements: tuple[str, ...], url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.encode())


def _docs_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    code = main(["docs", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def _insert_after(text: str, end_marker_key: str, prose: str) -> str:
    end = f"<!-- schemadoc:end {end_marker_key} -->\n"
    assert end in text
    return text.replace(end, end + prose, 1)


def _parts(text: str) -> dict[str, str]:
    """Each generated part's text, by key."""
    found = re.findall(r"<!-- schemadoc:begin (.+?) -->\n(.*?)<!-- schemadoc:end \1 -->\n", text, re.S)
    return dict(found)


def test_update_keeps_prose_and_rewrites_the_generated_parts(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_database_url
    _run(START, url)
    doc = tmp_path / "reference.md"
    assert main(["docs", "--database-url", url, "-o", str(doc)]) == EXIT_OK
    text = doc.read_text(encoding="utf-8")
    first_begin = text.index("<!-- schemadoc:begin ")
    text = text[:first_begin] + INTRO + text[first_begin:]
    text = _insert_after(text, "table public.books", BOOKS_NOTE)
    text = _insert_after(text, "table public.drafts", DRAFTS_NOTE)
    text = _insert_after(text, "view public.book_count", VIEW_NOTE)
    doc.write_text(text, encoding="utf-8")
    # prose alone does not make the document stale
    assert main(["docs", "--database-url", url, "--check", str(doc)]) == EXIT_OK

    _run(CHANGES, url)
    assert main(["docs", "--database-url", url, "--check", str(doc)]) == EXIT_PROBLEMS
    code, result = _docs_json(["--database-url", url, "--update", str(doc)], capsys)
    assert code == EXIT_OK
    gone = sorted(d["message"] for d in result["diagnostics"] if d["code"] == "SD822")  # type: ignore[attr-defined,index]
    assert len(gone) == 2
    assert gone[0].startswith("table public.drafts is no longer in the database")
    assert gone[0].endswith("the text written after it is kept")
    assert gone[1].startswith("table public.scratch is no longer in the database")
    assert "kept" not in gone[1]

    updated = doc.read_text(encoding="utf-8")
    # every byte the team wrote is still there, where it was
    assert updated.startswith("# Database reference\n")
    assert updated.index(INTRO) < updated.index("<!-- schemadoc:begin ")
    assert "<!-- schemadoc:end table public.books -->\n" + BOOKS_NOTE in updated
    assert "<!-- schemadoc:end view public.book_count -->\n" + VIEW_NOTE in updated
    assert "<!-- schemadoc:gone table public.drafts -->\n" + DRAFTS_NOTE in updated
    assert "scratch" not in updated

    # the generated parts are exactly what a new document holds
    with connect(url) as conn:
        fresh = render_markdown(introspect(conn))
    assert _parts(updated) == _parts(fresh)
    assert "title text DEFAULT ''::text NOT NULL" in _parts(updated)["table public.books"]
    assert "> People who write." in _parts(updated)["table public.authors"]
    assert "table public.covers" in _parts(updated)

    # idempotent, up to date, and still a document that builds the database
    code, again = _docs_json(["--database-url", url, "--update", str(doc)], capsys)
    assert code == EXIT_OK and again["written"] == []
    assert doc.read_text(encoding="utf-8") == updated
    assert main(["docs", "--database-url", url, "--check", str(doc)]) == EXIT_OK
    schema, diags = read_documents([str(doc)])
    assert [d for d in diags if d.level in ("error", "warning")] == []
    with connect(url) as conn:
        assert set(schema.tables) == set(introspect(conn).tables)
    assert main(["verify", "--structure", "-q", str(doc), "--database-url", url]) == EXIT_OK


def test_update_of_a_new_document_changes_nothing(
    fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(START, fresh_database_url)
    doc = tmp_path / "reference.md"
    assert main(["docs", "--database-url", fresh_database_url, "-o", str(doc)]) == EXIT_OK
    before = doc.read_bytes()
    code, result = _docs_json(["--database-url", fresh_database_url, "--update", str(doc)], capsys)
    assert code == EXIT_OK and result["written"] == []
    assert doc.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("# Reference\n\nNo parts here.\n", 1, "no generated parts"),
        ("# R\n\n<!-- schemadoc:begin table public.a -->\n### a\n", 3, "has no end marker"),
        ("# R\n\n<!-- schemadoc:end table public.a -->\n", 3, "without its begin"),
        (
            "<!-- schemadoc:begin table public.a -->\n<!-- schemadoc:begin table public.b -->\n",
            2,
            "begins inside part",
        ),
    ],
)
def test_update_of_a_document_without_paired_markers_is_a_usage_error(
    fresh_database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    line: int,
    words: str,
) -> None:
    doc = tmp_path / "team.md"
    doc.write_text(text, encoding="utf-8")
    code, result = _docs_json(["--database-url", fresh_database_url, "--update", str(doc)], capsys)
    assert code == EXIT_USAGE
    (diag,) = result["diagnostics"]  # type: ignore[misc]
    assert diag["code"] == "SD823" and words in diag["message"]
    assert diag["line"] == line
    assert doc.read_text(encoding="utf-8") == text


def test_update_of_a_missing_file_is_a_usage_error(fresh_database_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.md"
    assert main(["docs", "--database-url", fresh_database_url, "--update", str(missing)]) == EXIT_USAGE
    assert not missing.exists()


def test_markers_of_quoted_names_cannot_close_the_comment(fresh_database_url: str) -> None:
    _run(('CREATE TABLE "a-->b--c" (id integer PRIMARY KEY)',), fresh_database_url)
    with connect(fresh_database_url) as conn:
        text = render_markdown(introspect(conn))
    assert '<!-- schemadoc:begin table public."a-%2D>b-%2Dc" -->' in text
    assert [p.key for p in parse_marked(text, "x.md").parts] == [
        "schema public",
        'table public."a-%2D>b-%2Dc"',
    ]


# -- split ----------------------------------------------------------------------------------------------


def test_split_writes_a_folder_that_builds_the_database(
    fresh_database_url: str,
    server_url: str,
    new_database_name: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a = fresh_database_url
    _run((*START, "CREATE SCHEMA shop", 'CREATE TABLE shop."Order Lines" (id integer PRIMARY KEY)'), a)
    folder = tmp_path / "ref"
    assert main(["docs", "--database-url", a, "--split", "-o", str(folder)]) == EXIT_OK
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "README.md",
        "public.authors.md",
        "public.books.md",
        "public.drafts.md",
        "public.scratch.md",
        "shop.Order%20Lines.md",
    ]
    index = (folder / "README.md").read_text(encoding="utf-8")
    assert "- [books](public.books.md)" in index
    assert "CREATE VIEW public.book_count" in index
    assert (folder / "public.books.md").read_text(encoding="utf-8").count("CREATE TABLE") == 1

    files = [str(folder / n) for n in names]
    assert main(["check", "-q", *files]) == EXIT_OK
    b = with_database(server_url, new_database_name)
    assert main(["up", "--structure", "-q", *files, "--database-url", b]) == EXIT_OK
    assert main(["verify", "--structure", "-q", *files, "--database-url", a]) == EXIT_OK

    # prose in a table's file survives an update; a gone table's file is kept and reported
    books = folder / "public.books.md"
    books.write_text(books.read_text(encoding="utf-8") + BOOKS_NOTE, encoding="utf-8")
    assert main(["docs", "--database-url", a, "--split", "--check", str(folder)]) == EXIT_OK
    _run(CHANGES, a)
    assert main(["docs", "--database-url", a, "--split", "--check", str(folder)]) == EXIT_PROBLEMS
    code, result = _docs_json(["--database-url", a, "--split", "--update", str(folder)], capsys)
    assert code == EXIT_OK
    assert sorted(Path(w).name for w in result["written"]) == [  # type: ignore[union-attr]
        "README.md",
        "public.authors.md",
        "public.books.md",
        "public.covers.md",
    ]
    gone = [d for d in result["diagnostics"] if d["code"] == "SD822"]  # type: ignore[union-attr]
    assert sorted(Path(d["file"]).name for d in gone) == ["public.drafts.md", "public.scratch.md"]
    assert (folder / "public.drafts.md").exists()
    assert books.read_text(encoding="utf-8").endswith(BOOKS_NOTE)
    assert "title text" in books.read_text(encoding="utf-8")
    # the kept files of gone tables keep --check failing until someone deletes them
    assert main(["docs", "--database-url", a, "--split", "--check", str(folder)]) == EXIT_PROBLEMS
    (folder / "public.drafts.md").unlink()
    (folder / "public.scratch.md").unlink()
    assert main(["docs", "--database-url", a, "--split", "--check", str(folder)]) == EXIT_OK


def test_split_needs_a_folder(fresh_database_url: str) -> None:
    assert main(["docs", "--database-url", fresh_database_url, "--split"]) == EXIT_USAGE


# -- diagrams per cluster -------------------------------------------------------------------------------


def _entities(diagram: str) -> list[str]:
    return re.findall(r"^    (\w+) \{$", diagram, re.M)


def test_a_big_schema_gets_one_diagram_per_cluster(fresh_database_url: str, tmp_path: Path) -> None:
    """Two groups of related tables (a hub with six spokes, a chain of five) and three loose
    tables, with at most seven tables per diagram: the hub's neighbourhood, the chain, and the
    loose tables packed together."""
    statements = ["CREATE TABLE hub (id integer PRIMARY KEY)"]
    statements += [
        f"CREATE TABLE spoke{i} (id integer PRIMARY KEY, hub_id integer REFERENCES hub (id))"
        for i in range(6)
    ]
    statements += ["CREATE TABLE chain0 (id integer PRIMARY KEY)"]
    statements += [
        f"CREATE TABLE chain{i} (id integer PRIMARY KEY, prev_id integer REFERENCES chain{i - 1} (id))"
        for i in range(1, 5)
    ]
    statements += [f"CREATE TABLE loose{i} (id integer PRIMARY KEY)" for i in range(3)]
    _run(tuple(statements), fresh_database_url)
    with connect(fresh_database_url) as conn:
        schema = introspect(conn)
    text = render_markdown(schema, max_diagram_tables=7)
    diagrams = re.findall(r"```mermaid\n(.*?)```", text, re.S)
    assert [_entities(d) for d in diagrams] == [
        ["hub", "spoke0", "spoke1", "spoke2", "spoke3", "spoke4", "spoke5"],
        ["chain0", "chain1", "chain2", "chain3", "chain4"],
        ["loose0", "loose1", "loose2"],
    ]
    assert "15 tables, in 3 diagrams of related tables:" in text
    assert "1. [Diagram 1: hub and 6 more](#diagram-1-hub-and-6-more): hub, spoke0," in text
    assert "#### Diagram 2: chain1 and 4 more" in text
    # a component bigger than a diagram is cut around its hubs; each table is drawn once
    text = render_markdown(schema, max_diagram_tables=4)
    drawn = [e for d in re.findall(r"```mermaid\n(.*?)```", text, re.S) for e in _entities(d)]
    assert sorted(drawn) == sorted(q.name for q in schema.tables)
    assert _entities(re.findall(r"```mermaid\n(.*?)```", text, re.S)[0]) == [
        "hub",
        "spoke0",
        "spoke1",
        "spoke2",
    ]
    doc = tmp_path / "big.md"
    doc.write_text(text, encoding="utf-8")
    _, diags = read_documents([str(doc)])
    assert [d for d in diags if d.level in ("error", "warning")] == []
    # the command line sets the size; the default of 40 keeps 15 tables in one diagram
    url = fresh_database_url
    assert main(["docs", "--database-url", url, "--diagram-tables", "7", "-o", str(doc)]) == EXIT_OK
    assert doc.read_text(encoding="utf-8") == render_markdown(schema, max_diagram_tables=7)
    assert main(["docs", "--database-url", url, "-o", str(doc)]) == EXIT_OK
    assert doc.read_text(encoding="utf-8").count("```mermaid\n") == 1
    assert main(["docs", "--database-url", url, "--diagram-tables", "1", "-o", str(doc)]) == EXIT_USAGE


def test_update_edges_without_a_head_or_a_final_newline() -> None:
    parts = [Part("table public.a", ("### a",)), Part("table public.b", ("### b",))]
    bare = join_parts("", parts)
    assert update_document(bare, "x.md", parts) == (bare, [])
    team = (
        "intro, no blank line\n<!-- schemadoc:begin table public.a -->\n### old a\n"
        "<!-- schemadoc:end table public.a -->\nlast words, no newline"
    )
    once, diags = update_document(team, "x.md", parts)
    assert diags == []
    assert once.startswith("intro, no blank line\n<!-- schemadoc:begin table public.a -->\n### a\n")
    assert (
        "<!-- schemadoc:end table public.a -->\nlast words, no newline\n<!-- schemadoc:begin table public.b"
        in once
    )
    assert update_document(once, "x.md", parts) == (once, [])
