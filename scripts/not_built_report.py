"""What the documents state that schemadoc recognises but does not build.

Usage: python scripts/not_built_report.py [--shared DIR]

Reads each seed document, each document of the public corpus and each corpus SQL file
(wrapped in one ```sql fence) on its own, the way
``schemadoc check --strict`` does, and counts the "recognised but not built" warnings
(SD030) by the construct they name: per seed, then over the whole corpus. The corpus is
counted twice: document by document, and by document set (all pages of one repository read
together, as their cross-page references need). A document that cannot be read at all
(exit 2) is counted apart. Skips cleanly when the shared folder is absent.

A developer script: it prints, it does not write files.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from schemadoc.diagnostics import SchemadocError, not_built_construct
from schemadoc.read import read_documents

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def count(paths: Sequence[Path]) -> Counter[str] | None:
    """Not-built warnings of documents read together, by construct; None when they cannot be read."""
    try:
        _, diags = read_documents(paths)
    except SchemadocError:
        return None
    found: Counter[str] = Counter()
    for d in diags:
        construct = not_built_construct(d)
        if construct is not None:
            found[construct] += 1
    return found


def show(title: str, counts: Counter[str]) -> None:
    total = sum(counts.values())
    print(f"{title}: {total} not built")
    for construct, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n:5d}  {construct}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="folder with seeds/ and corpus/")
    args = parser.parse_args(argv)
    seeds = sorted((args.shared / "seeds").glob("*")) if (args.shared / "seeds").is_dir() else []
    docs_dir = args.shared / "corpus" / "docs"
    docs = sorted(docs_dir.glob("*.md")) if docs_dir.is_dir() else []
    if not seeds and not docs:
        print(f"skipped: no seeds or corpus under {args.shared}")
        return 0
    for seed in seeds:
        found = count([seed])
        if found is None:
            print(f"{seed.name}: cannot be read")
        else:
            show(seed.name, found)
    if docs:
        corpus_counts("corpus, one document at a time", [[d] for d in docs])
        sets: dict[str, list[Path]] = {}
        for doc in docs:
            sets.setdefault("__".join(doc.name.split("__")[:2]), []).append(doc)
        corpus_counts("corpus, one document set at a time", list(sets.values()))
    sql_dir = args.shared / "corpus" / "sql"
    sql_files = sorted(p for p in sql_dir.glob("*") if p.is_file()) if sql_dir.is_dir() else []
    if sql_files:
        with tempfile.TemporaryDirectory() as tmp:
            wrapped = [[_fenced(path, Path(tmp))] for path in sql_files]
            corpus_counts("corpus SQL files, each as one sql fence", wrapped)
    return 0


def _fenced(path: Path, folder: Path) -> Path:
    """``path``'s SQL as a markdown document of one ```sql fence, written into ``folder``."""
    doc = folder / f"{path.name}.md"
    text = path.read_bytes().decode("utf-8", errors="replace")
    doc.write_text(f"# {path.name}\n\n```sql\n{text}\n```\n", encoding="utf-8")
    return doc


def corpus_counts(title: str, groups: list[list[Path]]) -> None:
    total: Counter[str] = Counter()
    unreadable = with_any = 0
    for group in groups:
        found = count(group)
        if found is None:
            unreadable += 1
            continue
        with_any += bool(found)
        total.update(found)
    show(f"{title} ({len(groups)} read, {with_any} with any, {unreadable} unreadable)", total)


if __name__ == "__main__":
    sys.exit(main())
