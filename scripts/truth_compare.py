"""Compare each corpus doc set, built from its document, with the real schema it describes.

Usage: python scripts/truth_compare.py [--corpus DIR] [--database-url URL | --embedded] [--misses] [LABEL ...]

For D1, D2, D13, D14 and D15 (or the labels given): builds the document as
``up --stub-missing`` does in one scratch database, loads the truth SQL the corpus index
names into another, reads both back with the same catalog queries and prints the share of
the truth's tables, columns, types, nullability and foreign keys the document gives, against
the goals (98 % tables and columns, 95 % the rest). ``--misses`` lists each miss with the
document line nearest to it and why it is the document's own omission (the list in
tests/truth_support.py, read by hand). Exit 1 when a miss is not explained there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]  # this checkout's code, not an installed one

from truth_support import GOALS, MEASURES, TRUTH_SETS, Figures, each_set, explained  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _cell(fig: Figures, measure: str) -> str:
    mark = "" if fig.percent(measure) >= GOALS.get(measure, 0.0) else " !"
    return f"{fig.percent(measure):5.1f}% ({fig.found[measure]}/{fig.total[measure]}){mark}"


def print_table(figures: list[Figures]) -> None:
    print("| set | " + " | ".join(MEASURES) + " |")
    print("|---|" + "---|" * len(MEASURES))
    print("| goal | " + " | ".join(f">= {GOALS[m]:.0f}%" if m in GOALS else "-" for m in MEASURES) + " |")
    for fig in figures:
        print(f"| {fig.label} | " + " | ".join(_cell(fig, m) for m in MEASURES) + " |")


def print_misses(fig: Figures) -> None:
    unexplained = [m for m in fig.misses if explained(fig.label, m) is None]
    print(
        f"\n{fig.label}: {len(fig.misses)} miss(es), {len(unexplained)} not explained as the document's own"
    )
    for miss in fig.misses:
        where = f"{Path(miss.where.file).name.split('__')[-1]}:{miss.where.line}" if miss.where else "-"
        print(f"  {miss.measure:<11} {miss.subject}: {miss.detail}  [{where}]")
        omission = explained(fig.label, miss)
        print(f"      {'the document: ' + omission.why if omission else 'NOT EXPLAINED'}")
    ts = next(t for t in TRUTH_SETS if t.label == fig.label)
    if ts.why:
        print(f"  the truth: {ts.why}; loaded after {len(ts.shim)} statement(s) of set-up", end="")
        print(", failed statements retried while more loaded" if ts.reorder else "")
    if fig.extra_tables:
        print(f"  built from the document, not in the truth: {', '.join(fig.extra_tables)}")
    if fig.truth_not_loaded:
        print(f"  truth statements that did not load ({len(fig.truth_not_loaded)}):")
        for line in fig.truth_not_loaded:
            print(f"    {line[:120]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("labels", nargs="*", help="doc sets to compare (default: all with a truth)")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--database-url", default=DEFAULT_URL, help="maintenance URL of the server to use")
    parser.add_argument("--embedded", action="store_true", help="use a throw-away embedded server instead")
    parser.add_argument("--misses", action="store_true", help="list each miss with its document line")
    args = parser.parse_args(argv)
    if not (args.corpus / "docs").is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    if args.embedded:
        import tempfile

        from schemadoc.pg.server import EmbeddedServer

        with tempfile.TemporaryDirectory() as tmp:
            server = EmbeddedServer(Path(tmp) / "server")
            server.start()
            try:
                figures = list(each_set(server.url("postgres"), args.corpus, args.labels))
            finally:
                server.stop()
    else:
        figures = list(each_set(args.database_url, args.corpus, args.labels))
    print_table(figures)
    if args.misses:
        for fig in figures:
            print_misses(fig)
    unexplained = [m for fig in figures for m in fig.misses if explained(fig.label, m) is None]
    if unexplained:
        print(f"\n{len(unexplained)} miss(es) not explained as the document's own", file=sys.stderr)
    return 1 if unexplained else 0


if __name__ == "__main__":
    raise SystemExit(main())
