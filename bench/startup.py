"""Whole-process time of `schemadoc check` on a one-table document and of `schemadoc --help`,
next to Python loading only the libraries any document read needs, in the same run.

Usage: python bench/startup.py [--repeat R]

Each command runs as a process of its own, the best of ``--repeat`` runs. The baselines are
``python -c pass`` (the interpreter alone) and ``python -c "import markdown_it, pglast.parser,
orjson"`` (the markdown and SQL parsers, which reading any document needs): what schemadoc adds
is the difference. Target (issue 14): `check` under 0.15 s whole process; `--help` loads no reader.

Bytecode is compiled first, so that no run pays for compiling schemadoc's modules
(``PYTHONDONTWRITEBYTECODE`` in the environment would otherwise make every run compile them).
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = "# One\n\n```sql\nCREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);\n```\n"


def best(argv: list[str], repeat: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    src = ROOT / "src"
    compileall.compile_dir(str(src), quiet=1)
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "one.md"
        doc.write_text(DOC)
        bare = best([py, "-c", "pass"], args.repeat, env)
        libs = best([py, "-c", "import markdown_it, pglast.parser, orjson"], args.repeat, env)
        check = best([py, "-m", "schemadoc", "check", str(doc)], args.repeat, env)
        help_ = best([py, "-m", "schemadoc", "--help"], args.repeat, env)
    print(f"python -c pass:                         {bare:.3f} s")
    print(f"python importing markdown_it and pglast: {libs:.3f} s")
    print(f"schemadoc --help:                       {help_:.3f} s ({help_ / bare:.1f}x python alone)")
    print(
        f"schemadoc check, one table:             {check:.3f} s ({check / libs:.2f}x the parsers' import;"
        f" schemadoc's own share {check - libs:.3f} s)"
    )
    print(f"target: check under 0.15 s: {'met' if check < 0.15 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
