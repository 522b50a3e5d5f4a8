"""Output a person can read: grouped diagnostics, --quiet, --ignore, settings files, JSON for every
outcome, exit codes equal in text and JSON, `-` for standard input, progress only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from schemadoc.cli import main
from schemadoc.cli_output import common_message
from schemadoc.diagnostics import Diagnostic

from conftest import ROOT, seed_file

INDEXED = """# Shop

## items

- `id` (bigint, PK) - number
- `a` (text) - a
- `b` (text) - b
- `c` (text) - c

**Indexes:**
- `items_a_idx` - by a
- `items_b_idx` - by b
- `items_c_idx` - by c
"""

BROKEN = """# Shop

## items

```sql
CREATE TABLE items (id bigint PRIMARY KEY, owner_id bigint REFERENCES owners(id));
```
"""


def write(tmp_path: Path, text: str, name: str = "doc.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def cli(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "schemadoc", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        cwd=cwd,
    )


# -- grouping -------------------------------------------------------------------------------------------


def test_repeated_diagnostics_are_one_group_in_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write(tmp_path, INDEXED)
    assert main(["check", str(doc)]) == 0
    err = capsys.readouterr().err
    assert err.count("SD210") == 1
    assert f"{doc}:11:3: warning SD210 index ...: columns (...) inferred from the index name" in err
    assert "(3 times, lines 11-13; -v lists them)" in err
    assert err.count("hint: write the index definition to be exact") == 1

    assert main(["check", "-v", str(doc)]) == 0
    err = capsys.readouterr().err
    assert [line.split(" ")[0] for line in err.splitlines() if "SD210" in line] == [
        f"{doc}:11:3:",
        f"{doc}:12:3:",
        f"{doc}:13:3:",
    ]

    assert main(["check", "--format", "json", str(doc)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [d["line"] for d in payload["diagnostics"] if d["code"] == "SD210"] == [11, 12, 13]


def test_seed_000_index_warnings_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    seed = seed_file(0)
    assert main(["check", str(seed)]) == 0
    err = capsys.readouterr().err
    assert err.count("SD210") == 1 and "(33 times, lines" in err
    assert main(["check", "--format", "json", str(seed)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert sum(d["code"] == "SD210" for d in payload["diagnostics"]) == 33


def test_common_message_marks_where_messages_differ() -> None:
    diags = [
        Diagnostic("SD210", "warning", "index a_idx: columns (a) inferred from the index name"),
        Diagnostic(
            "SD210", "warning", "index bb_idx: columns (b DESC) inferred from the index name, predicate x"
        ),
    ]
    assert common_message(diags) == "index ...: columns (...) inferred from the index name ..."


def test_group_of_unlike_messages_shows_the_first_one() -> None:
    from schemadoc.cli_output import Group
    from schemadoc.model import Span

    diags = [
        Diagnostic(
            "SD205",
            "warning",
            "public.papers.id has no type; typed uuid like the key it references",
            Span("d.md", 3),
        ),
        Diagnostic(
            "SD205",
            "warning",
            "public.papers.title has no type; typed text: text is the safe default",
            Span("d.md", 4),
        ),
        Diagnostic(
            "SD205", "warning", "public.runs.seq has no type; typed bigint: a counter", Span("d.md", 9)
        ),
    ]
    shown = Group(tuple(diags)).render()
    # a dotted name is one token: no "public....." runs of dots
    assert "....." not in common_message(diags)
    assert shown == (
        "d.md:3:1: warning SD205 public.papers.id has no type; typed uuid like the key it references "
        "(and 2 more, lines 3-9; -v lists them)"
    )


def test_two_alike_are_not_grouped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = write(tmp_path, INDEXED.replace("- `items_c_idx` - by c\n", ""))
    assert main(["check", str(doc)]) == 0
    err = capsys.readouterr().err
    assert err.count("SD210") == 2 and "times" not in err


# -- quiet and ignore -----------------------------------------------------------------------------------


def test_quiet_shows_errors_and_the_final_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, INDEXED)
    assert main(["check", "--quiet", str(good)]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == "0 error(s), 3 warning(s)\n"

    bad = write(tmp_path, BROKEN + INDEXED.split("\n", 2)[2], "bad.md")
    assert main(["check", "-q", str(bad)]) == 1
    captured = capsys.readouterr()
    assert "error" in captured.err and "warning" not in captured.err
    assert captured.out.count("\n") == 1 and captured.out.startswith("1 error(s)")


def test_ignore_hides_warnings_not_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = write(tmp_path, BROKEN + INDEXED.split("\n", 2)[2])
    assert main(["check", "--format", "json", str(doc)]) == 1
    error_codes = {
        d["code"] for d in json.loads(capsys.readouterr().out)["diagnostics"] if d["level"] == "error"
    }
    assert error_codes
    ignored = [arg for code in [*error_codes, "sd210"] for arg in ("--ignore", code)]
    assert main(["check", *ignored, str(doc)]) == 1
    captured = capsys.readouterr()
    assert "SD210" not in captured.err and all(code in captured.err for code in error_codes)
    assert "3 ignored" in captured.out
    assert main(["check", "--format", "json", *ignored, str(doc)]) == 1
    listed = {d["code"] for d in json.loads(capsys.readouterr().out)["diagnostics"]}
    assert "SD210" not in listed and error_codes <= listed


# -- settings -------------------------------------------------------------------------------------------


def test_settings_file_gives_documents_ignore_and_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, INDEXED + "\n```sql\nCREATE RULE r AS ON INSERT TO items DO NOTHING;\n```\n")
    (tmp_path / "schemadoc.toml").write_text('documents = ["doc.md"]\nignore = ["SD210"]\nstrict = true\n')
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "json"]) == 1  # strict: the SD030 warning is an error
    payload = json.loads(capsys.readouterr().out)
    assert payload["documents"] == ["doc.md"]
    assert {d["code"]: d["level"] for d in payload["diagnostics"]} == {"SD030": "error"}
    # flags win: --no-strict, and --ignore replaces the settings' list
    assert main(["check", "--format", "json", "--no-strict", "--ignore", "SD030"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {d["code"] for d in payload["diagnostics"]} == {"SD210"}


def test_pyproject_tool_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, INDEXED)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.schemadoc]\ndocuments = ["doc.md"]\n'
    )
    monkeypatch.chdir(tmp_path)
    assert main(["check", "-q"]) == 0
    assert capsys.readouterr().out == "0 error(s), 3 warning(s)\n"


def test_bad_settings_are_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, INDEXED)
    (tmp_path / "schemadoc.toml").write_text('documents = ["doc.md"]\nstrictly = true\n')
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and payload["diagnostics"][0]["code"] == "SD605"
    assert "strictly" in payload["diagnostics"][0]["message"]


def test_no_document_and_no_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 2
    assert "SD606" in capsys.readouterr().err


# -- JSON for every outcome, same exit codes ---------------------------------------------------------


def test_usage_errors_are_json_when_json_was_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "x.md", "--format", "json", "--no-such-flag"]) == 2
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert payload["ok"] is False and payload["diagnostics"][0]["code"] == "SD606"
    assert "--no-such-flag" in payload["diagnostics"][0]["message"]
    assert main(["check", "x.md", "--no-such-flag"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--no-such-flag" in captured.err


def test_unreachable_server_is_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = write(tmp_path, INDEXED)
    url = "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2"
    assert main(["verify", str(doc), "--database-url", url, "--format", "json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and payload["diagnostics"][0]["level"] == "error"


@pytest.mark.embedded_only
def test_verify_without_url_or_database_is_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from schemadoc.pg.server import EmbeddedServer

    doc = write(tmp_path, INDEXED)
    data_dir = tmp_path / "server"
    try:
        assert main(["verify", str(doc), "--data-dir", str(data_dir), "--format", "json"]) == 2
        payload = json.loads(capsys.readouterr().out)
        assert [d["code"] for d in payload["diagnostics"]] == ["SD604"]
    finally:
        EmbeddedServer(data_dir).stop()


def test_server_url_exit_code_is_the_same_in_text_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = str(tmp_path / "never-started")
    assert main(["server", "url", "--data-dir", data_dir]) == 1
    assert "SD607" in capsys.readouterr().err
    assert main(["server", "url", "--data-dir", data_dir, "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and payload["url"] is None
    assert payload["diagnostics"][0]["code"] == "SD607"


# -- standard input -------------------------------------------------------------------------------------


def test_dash_reads_standard_input() -> None:
    proc = cli("check", "-", stdin=INDEXED)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("<stdin>: 1 tables")
    assert "<stdin>:11:3: warning SD210" in proc.stderr

    proc = cli("check", "--format", "json", "-", stdin=BROKEN)
    payload = json.loads(proc.stdout)
    assert proc.returncode == 1 and payload["documents"] == ["<stdin>"]
    assert {d["file"] for d in payload["diagnostics"] if "file" in d} == {"<stdin>"}


def test_dash_twice_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-", "-"]) == 2
    assert "standard input" in capsys.readouterr().err


# -- progress -------------------------------------------------------------------------------------------


def _run_with_terminal_stderr(args: list[str]) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; its exit code and what the terminal showed."""
    leader, follower = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), NO_COLOR="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "schemadoc", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    shown = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return proc.wait(timeout=120), shown.decode()


def test_build_progress_only_on_a_terminal(tmp_path: Path, fresh_database_url: str) -> None:
    doc = write(tmp_path, INDEXED)
    code, shown = _run_with_terminal_stderr(
        ["up", str(doc), "--database-url", fresh_database_url, "--structure"]
    )
    assert code == 0
    statements = shown.split("building ")[-1].split("\r")[0].split()[0]
    done, total = statements.split("/")
    assert done == total and int(total) > 0

    proc = cli("up", str(doc), "--database-url", fresh_database_url, "--structure")
    assert proc.returncode == 0
    assert "building" not in proc.stderr and "\r" not in proc.stderr and "\033" not in proc.stderr


def test_reading_a_big_document_shows_a_line_on_a_terminal(tmp_path: Path) -> None:
    filler = "\n".join(f"Paragraph {n} describes nothing in particular." for n in range(14000))
    doc = write(tmp_path, INDEXED + "\n" + filler + "\n")
    code, shown = _run_with_terminal_stderr(["check", str(doc)])
    assert code == 0 and f"reading {doc} (" in shown
    proc = cli("check", str(doc))
    assert proc.returncode == 0 and f"reading {doc} (" not in proc.stderr and "\r" not in proc.stderr


@pytest.mark.parametrize("command", ["up", "verify", "apply"])
@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_must_be_a_whole_number_of_at_least_one(
    command: str, jobs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "x.md", "--format", "json", "--jobs", jobs]) == 2
    payload = json.loads(capsys.readouterr().out)
    (diag,) = payload["diagnostics"]
    assert diag["code"] == "SD606" and "--jobs" in diag["message"] and repr(jobs) in diag["message"]
