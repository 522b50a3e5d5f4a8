"""A command imports what it needs: help loads no reader, and a document check loads no
database driver, writer or prober."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import schemadoc

_PACKAGE_ROOT = str(Path(schemadoc.__file__).resolve().parent.parent)

# Run in a fresh interpreter: the modules loaded by one command, as JSON.
_PROBE = """
import json, sys
from schemadoc.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write("\\n" + json.dumps(sorted(sys.modules)) + "\\n")
"""


def loaded_modules(*argv: str) -> set[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def under(modules: set[str], *packages: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


def test_help_loads_no_reader_model_or_driver() -> None:
    modules = loaded_modules("--help")
    assert "schemadoc.cli" in modules
    assert under(modules, "schemadoc.read", "schemadoc.model", "pglast", "markdown_it", "psycopg") == []


def test_check_loads_the_readers_and_nothing_that_talks_to_a_server(tmp_path: Path) -> None:
    doc = tmp_path / "one.md"
    doc.write_text("# Shop\n\n```sql\nCREATE TABLE customers (id bigint PRIMARY KEY);\n```\n")
    modules = loaded_modules("check", str(doc))
    assert "schemadoc.read.markdown" in modules and "pglast.parser" in modules
    assert (
        under(modules, "psycopg", "schemadoc.pg", "schemadoc.write", "schemadoc.verify", "schemadoc.compare")
        == []
    )
    # readers of blocks the document does not have wait for one that has them
    assert under(modules, "schemadoc.read.mermaid", "pglast.visitors", "pglast.printers") == []


def test_an_er_diagram_and_a_check_in_prose_load_their_readers(tmp_path: Path) -> None:
    doc = tmp_path / "two.md"
    doc.write_text(
        "# Shop\n\n```mermaid\nerDiagram\n  customers {\n    bigint id PK\n    integer age\n  }\n```\n\n"
        "## customers\n\n### Constraints\n\n- `CHECK (age >= 0)`\n"
    )
    modules = loaded_modules("check", str(doc))
    assert "schemadoc.read.mermaid" in modules and "pglast.visitors" in modules
