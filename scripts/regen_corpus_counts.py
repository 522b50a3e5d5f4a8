"""Record what each public corpus document reads to, for the corpus smoke test.

Usage: python scripts/regen_corpus_counts.py [--corpus DIR]

Writes tests/fixtures/corpus_doc_tables.json: per document the number of tables it gives
columns for (the test asserts at least that many), and the line and column of the first
byte of each document that is not UTF-8. Run it on purpose after a reader change that
reads more; review the diff before committing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]  # this checkout's code, not an installed one

from corpus_support import EXPECTED, measure  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    docs = args.corpus / "docs"
    if not docs.is_dir():
        print(f"no corpus documents under {docs}", file=sys.stderr)
        return 2
    record = measure(docs)
    EXPECTED.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(
        f"wrote {EXPECTED.relative_to(ROOT)}: {len(record['tables'])} documents, {len(record['not_utf8'])} not UTF-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
