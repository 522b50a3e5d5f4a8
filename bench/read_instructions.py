"""Count the CPU instructions one read of a generated document takes, under valgrind.

Usage: python bench/read_instructions.py [--tables N]

Wall-clock times on a shared machine move by a quarter from one minute to the next; instruction
counts do not. This runs valgrind's callgrind twice on the same script, once reading the document
once and once reading it twice, and prints the difference: the instructions of one read, imports
and document generation excluded. Use it to compare two versions of the reader. It needs valgrind
and takes about half a minute for 300 tables.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

_READS = """
import sys, tempfile
from pathlib import Path
sys.path.insert(0, {bench!r})
from schema_gen import {shape}
from schemadoc.read import read_documents
path = Path(tempfile.mkdtemp()) / "generated.md"
path.write_text({shape}({tables}))
for _ in range({reads}):
    read_documents([path])
"""


SHAPES = {"fence-per-table": "generated_markdown", "one-fence": "one_fence_markdown"}


def instructions(tables: int, reads: int, shape: str = "fence-per-table") -> int:
    """Instructions of a process that generates a document of ``shape`` and reads it ``reads`` times."""
    script = _READS.format(
        bench=str(Path(__file__).resolve().parent), tables=tables, reads=reads, shape=SHAPES[shape]
    )
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # string hashes decide dict probing: fix them
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no instruction count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def read_cost(tables: int, shape: str = "fence-per-table") -> float:
    """Millions of instructions one read takes: a process that reads twice, less one that reads
    once (imports, generating the document and what the first read loads are in both)."""
    return (instructions(tables, 2, shape) - instructions(tables, 1, shape)) / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=300)
    ap.add_argument("--shape", choices=sorted(SHAPES), default="fence-per-table")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed; nothing measured", file=sys.stderr)
        return 2
    print(
        f"one read of {args.tables} generated tables ({args.shape}): {read_cost(args.tables, args.shape):,.0f} M instructions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
