"""psql variables, meta-commands and template markers in SQL blocks: each kind is reported
once per document with a hint, and every statement that does not use one still reads."""

from __future__ import annotations

from schemadoc.read.facts import DocFacts
from schemadoc.read.markdown import read_markdown
from schemadoc.read.sql import read_sql
from schemadoc.read.sql_placeholders import blank_placeholders

SCRIPT = """\\set ON_ERROR_STOP on
\\set owner app
\\connect :dbname
CREATE SCHEMA :"schema_name";
CREATE TABLE {{ schema }}.things (id int PRIMARY KEY);
{% if with_extra %}
CREATE TABLE extra (id int PRIMARY KEY, owner text DEFAULT :'owner');
{% endif %}
CREATE TABLE plain (id int PRIMARY KEY, tags text[], note text DEFAULT ':not_a_variable');
\\copy plain FROM 'plain.csv' CSV
\\copy plain FROM 'more.csv' CSV
CREATE VIEW firsts AS SELECT tags[1:2] AS two, id::text AS t FROM plain;
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ DECLARE x int; BEGIN x := 1; RETURN x; END $$;
{# a template comment #}
CREATE TABLE other (id int PRIMARY KEY, v text DEFAULT :'x');
"""


def _codes(facts: DocFacts) -> list[tuple[str, int]]:
    return [(d.code, d.span.line if d.span else 0) for d in facts.diagnostics if d.level != "note"]


def test_statements_without_placeholders_still_read() -> None:
    facts = read_sql(SCRIPT, file="doc.md", line=1)
    assert [d.code for d in facts.diagnostics if d.level == "error"] == []
    assert [t.name.text for t in facts.tables] == ["plain"]
    assert [v.name.text for v in facts.views] == ["firsts"]
    assert [f.name for f in facts.functions] == ["f"]
    plain = facts.tables[0]
    assert [c.default for c in plain.columns if c.name == "note"] == ["':not_a_variable'"]


def test_each_kind_is_reported_once_with_a_hint() -> None:
    facts = read_sql(SCRIPT, file="doc.md", line=1)
    assert _codes(facts) == [("SD241", 4), ("SD242", 5)]
    variable, template = [d for d in facts.diagnostics if d.code in ("SD241", "SD242")]
    assert variable.level == template.level == "warning"
    assert (
        variable.message.startswith('psql variable :"schema_name":')
        and "(3 in this block)" in variable.message
    )
    assert template.message.startswith("template {{ schema }}:")
    assert variable.hint and template.hint
    meta = [d.message.split(": ", 1)[1] for d in facts.diagnostics if "meta-command" in d.message]
    assert meta == ["\\set ON_ERROR_STOP on", "\\connect :dbname", "\\copy plain FROM 'plain.csv' CSV"]
    assert all(d.hint for d in facts.diagnostics if "meta-command" in d.message)


def test_reported_once_per_document_across_blocks() -> None:
    text = "```sql\nCREATE TABLE a (id int DEFAULT :'one');\n```\n\n```sql\nCREATE TABLE b (id int DEFAULT :'two');\nCREATE TABLE c (id int);\n```\n"
    facts = read_markdown(text, file="doc.md")
    assert [d.code for d in facts.diagnostics if d.code == "SD241"] == ["SD241"]
    assert [t.name.text for t in facts.tables] == ["c"]


def test_lines_and_columns_are_kept() -> None:
    text = "CREATE TABLE é (x int DEFAULT :'v');\nCREATE TABLE b (id int);"
    blanked, found = blank_placeholders(text)
    assert len(blanked) == len(text) and blanked.count("\n") == 1
    assert blanked.split("\n")[1] == "CREATE TABLE b (id int);"
    assert [(p.kind, p.offset, p.text) for p in found] == [("psql variable", text.index(":'v'"), ":'v'")]


def test_nothing_inside_strings_bodies_or_comments_is_a_placeholder() -> None:
    text = (
        "SELECT ':x', $$ :y {{ z }} $$, a[1:n], b::int -- :c {% d %}\n"
        "FROM t /* {{ e }} :f */;\n"
        "COMMENT ON TABLE t IS '{{ not a template }}';"
    )
    assert blank_placeholders(text) == (text, [])
