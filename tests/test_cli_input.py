"""`schemadoc check` and `schemadoc sql` on good and bad input: messages, positions, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from schemadoc.cli import main

from conftest import EXAMPLES


def run(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "schemadoc", *args], capture_output=True, text=True, timeout=120, check=False
    )
    return proc.returncode, proc.stdout, proc.stderr


def write(tmp_path: Path, text: str, name: str = "doc.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = """# Shop

## customers

| Column | Type | Constraints | Description |
|---|---|---|---|
| id | bigint | PK | Customer number |
| email | text | NOT NULL, UNIQUE | Sign-in address |

## orders

```sql
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    total numeric(10,2) NOT NULL CHECK (total >= 0)
);
```
"""


def test_check_good_document_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = write(tmp_path, GOOD)
    assert main(["check", str(doc)]) == 0
    out = capsys.readouterr().out
    assert "2 tables" in out and "0 error(s)" in out
    assert main(["check", "--format", "json", str(doc)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["summary"]["tables"] == 2 and payload["ok"] is True


def test_missing_file() -> None:
    code, _out, err = run("check", "no/such/doc.md")
    assert code == 2 and "no such file" in err and "Traceback" not in err


def test_not_markdown(tmp_path: Path) -> None:
    path = tmp_path / "blob.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    code, _, err = run("check", str(path))
    assert code == 2 and "not a markdown document" in err and "Traceback" not in err


def test_windows_1252_document_names_its_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.md"
    text = "\ufeff# Shop\r\n\r\n## items\r\n\r\n| Column | Type |\r\n|---|---|\r\n| cafe | text \u201cquoted\u201d |\r\n"
    path.write_bytes(text[1:].encode("cp1252"))
    code, out, err = run("check", str(path))
    assert code == 2 and out == "" and "Traceback" not in err
    # line 7; "| cafe | text " is 14 characters, so the curly quote (0x93) is column 15
    assert err.startswith(
        f"{path}:7:15: error SD022 expected UTF-8 text, found byte 0x93 (invalid start byte)"
    )
    assert "hint: the document looks like Windows-1252 text" in err and "iconv" in err


def test_bad_utf8_after_a_byte_order_mark_counts_characters(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_bytes(b"\xef\xbb\xbf# \xc3\xa9t\xc3\xa9\n\n## t\xc3\xa9 \x81\n")
    code, _out, err = run("check", "--format", "json", str(path))
    assert code == 2
    (diag,) = json.loads(_out)["diagnostics"]
    assert (diag["code"], diag["line"], diag["col"]) == ("SD022", 3, 7)
    assert diag["message"] == "expected UTF-8 text, found byte 0x81 (invalid start byte) at byte offset 19"
    assert diag["hint"] == "save the document as UTF-8"  # 0x81 is not Windows-1252 either
    assert "Traceback" not in err


def test_no_schema(tmp_path: Path) -> None:
    doc = write(tmp_path, "# Notes\n\nNothing about tables here.\n")
    code, _, err = run("check", str(doc))
    assert code == 2 and "no tables found" in err and "hint:" in err


def test_sql_syntax_error_points_into_the_document(tmp_path: Path) -> None:
    text = "# T\n\nIntro.\n\n```sql\nCREATE TABLE a (\n    id integer PRIMARY KEY,\n    name text NOT NULL,,\n);\n```\n"
    doc = write(tmp_path, text)
    code, _, err = run("check", str(doc))
    assert code == 2 and "Traceback" not in err
    assert f"{doc}:8:" in err and "syntax error" in err.lower()


def test_unknown_type_is_a_warning_with_the_closest_type(tmp_path: Path) -> None:
    doc = write(
        tmp_path,
        "## t\n\n| Column | Type | Constraints |\n|---|---|---|\n| id | integr | PK |\n| note | text | |\n",
    )
    code, _, err = run("check", str(doc))
    assert code == 0
    assert f"{doc}:5:" in err and "unknown type" in err and "integer" in err


def test_table_defined_twice(tmp_path: Path) -> None:
    doc = write(
        tmp_path,
        "```sql\nCREATE TABLE a (id int PRIMARY KEY);\n```\n\nLater:\n\n```sql\nCREATE TABLE a (id int PRIMARY KEY);\n```\n",
    )
    code, _, err = run("check", str(doc))
    assert code == 2 and "defined twice" in err and f"{doc}:8:" in err and f"see also {doc}:2:" in err


def test_fk_to_unknown_column(tmp_path: Path) -> None:
    doc = write(
        tmp_path,
        "```sql\nCREATE TABLE a (id int PRIMARY KEY);\n"
        "CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(ident));\n```\n",
    )
    code, _, err = run("check", str(doc))
    assert code == 2 and "a.ident" in err and "did you mean 'id'" in err


def test_dangling_reference_exit_1_and_stub(tmp_path: Path) -> None:
    doc = write(tmp_path, "```sql\nCREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(id));\n```\n")
    code, _, err = run("check", str(doc))
    assert code == 1 and "public.a" in err and "--stub-missing" in err
    code, _, err = run("check", "--stub-missing", str(doc))
    assert code == 0 and "stand-in" in err


def test_circular_foreign_keys_compile(tmp_path: Path) -> None:
    doc = write(
        tmp_path,
        "```sql\nCREATE TABLE a (id int PRIMARY KEY, b_id int REFERENCES b(id));\n"
        "CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(id));\n```\n",
    )
    code, out, _ = run("sql", str(doc))
    assert code == 0
    assert out.index("CREATE TABLE") < out.index("FOREIGN KEY")
    assert out.count("FOREIGN KEY") == 2


def test_broken_table_rows_are_read_with_a_warning(tmp_path: Path) -> None:
    doc = write(
        tmp_path,
        "## t\n\n| Column | Type | Nullable |\n|---|---|---|\n| id | integer | NO |\nname | text | YES\n",
    )
    code, out, _err = run("check", "--format", "json", str(doc))
    payload = json.loads(out)
    assert code == 0 and payload["summary"]["columns"] == 2


def test_examples_check_clean() -> None:
    docs = sorted(str(p) for p in EXAMPLES.glob("*.md"))
    assert len(docs) == 5
    for doc in docs:
        code, out, err = run("check", doc)
        assert code == 0, (doc, err)
        assert "0 error(s)" in out


def test_help_everywhere() -> None:
    for args in ([], ["check"], ["sql"], ["up"], ["verify"], ["server"]):
        code, out, _ = run(*args, "--help")
        assert code == 0 and "usage: schemadoc" in out


def test_no_schema_says_what_was_set_aside(tmp_path: Path) -> None:
    doc = write(
        tmp_path,
        "# Plans\n\n## Future work\n\n```sql\nCREATE TABLE later (id int);\n```\n",
    )
    code, _, err = run("check", str(doc))
    assert code == 2 and "no tables found" in err
    assert f"set aside: {doc}:5:1: SQL block not read: it is under 'Future work'" in err


def test_a_bug_is_one_line_with_its_own_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from schemadoc import cli

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("resolver exploded")

    monkeypatch.setattr("schemadoc.read.read_documents", broken)
    monkeypatch.delenv("SCHEMADOC_DEBUG", raising=False)
    doc = write(tmp_path, "# T\n\n```sql\nCREATE TABLE a (id int);\n```\n")
    assert cli.main(["check", str(doc)]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: resolver exploded" in err and "Traceback" not in err
    assert cli.main(["check", "--format", "json", str(doc)]) == cli.EXIT_INTERNAL
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and payload["diagnostics"][0]["code"] == "SD900"
    monkeypatch.setenv("SCHEMADOC_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["check", str(doc)])
