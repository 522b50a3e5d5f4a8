"""Rewrite the expected SQL of the golden cases from the current code.

Usage: python scripts/regen_golden.py [CASE ...]

Each ``tests/golden/<case>.md`` gets ``tests/golden/<case>.sql``, the output of
``schemadoc sql`` for it. Run it on purpose, after a change meant to alter the SQL, and read
the diff before committing it. A case that does not render cleanly (exit code other than 0,
or any warning) is reported and left alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]  # this checkout's code, not an installed one

from golden_support import cases, expected_path, render  # noqa: E402


def main(names: list[str]) -> int:
    chosen = [c for c in cases() if not names or c.stem in names]
    unknown = set(names) - {c.stem for c in chosen}
    if unknown:
        print(f"no such golden case: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    status = 0
    for case in chosen:
        code, sql_text, messages = render(case)
        if code != 0 or messages:
            print(f"{case.name}: not rewritten (exit {code})\n{messages}", file=sys.stderr)
            status = 1
            continue
        target = expected_path(case)
        changed = not target.exists() or target.read_text(encoding="utf-8") != sql_text
        target.write_text(sql_text, encoding="utf-8")
        print(f"{target.relative_to(ROOT)}: {'rewritten' if changed else 'unchanged'}")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
