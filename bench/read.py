"""Read a generated 2,000-table document and compare with pglast's raw parse of its SQL.

Usage: python bench/read.py [--tables N] [--instructions N]
       python bench/read.py --megabytes 50

Prints the time schemadoc takes to read the document into a Schema (markdown walk, SQL
reading, resolution) and its ratio to `pglast.parser.parse_sql_json` on the same SQL text,
measured in the same run. Target: under 1 s for 2,000 tables on a 2-core machine.

Then the corpus SQL: the PostgREST test fixture and the largest corpus SQL file, each wrapped in
one sql fence, read against the same baseline (pglast's parse of the file's text) in the same run.

Then, for each shape -- a section and a fence per table, and the whole schema in ONE sql
fence (inline foreign keys with ON DELETE, CHECKs, partial indexes, COMMENT ON) -- the time
at N and 2N tables and their ratio: reading grows linearly when the ratio stays near 2
(target: at most 2.2 per doubling); the one-fence document of 2,000 tables read once more in a
process that reads nothing else, as a command reads it (target: under 1 s); and the same ratio
in instructions counted by valgrind at 250 and 500 tables (``--instructions N``; 0 skips it),
which a busy machine does not move. A large block is parsed on a second thread while it is read
(see ``schemadoc.read.sql_parse_ahead``); valgrind counts the instructions of both threads.

With ``--megabytes M`` the document is made about M MB long and each read runs once in a
process of its own, so that its peak memory (resident set) is its own: a document of M/10 MB
is read first as the baseline, and the ratios of time and memory between the two say whether
reading grows linearly (about 10x for 10x the text). Target for 50 MB: under 60 s and 1 GB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from pglast.parser import parse_sql_json

from schemadoc.read import read_documents, sql_parse_ahead

sys.path.insert(0, str(Path(__file__).resolve().parent))
from schema_gen import generated_markdown, generated_sql, one_fence_markdown

T = TypeVar("T")


def make_document(n: int) -> tuple[str, str]:
    return generated_markdown(n), generated_sql(n)


def best(fn: Callable[[], T], repeat: int) -> tuple[float, T | None]:
    """The shortest of ``repeat`` timed calls, and what the last call returned. The result is kept
    past the timing, so that freeing it is not counted as part of the call."""
    times = []
    kept: T | None = None
    for _ in range(repeat):
        kept = None
        start = time.perf_counter()
        kept = fn()
        times.append(time.perf_counter() - start)
    return min(times), kept


def _read_once(path: Path) -> None:
    """Child process: read ``path`` once and print the seconds it took and the tables read."""
    start = time.perf_counter()
    schema, _ = read_documents([path])
    print(f"{time.perf_counter() - start} {len(schema.tables)}")


def _measured_read(path: Path) -> tuple[float, int, float]:
    """(seconds, tables read, peak resident MB) of reading ``path`` in a process of its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--read-once", str(path)], check=True, capture_output=True, text=True
    )
    seconds, tables = done.stdout.split()
    # ru_maxrss of the children is the largest of any child waited for: each read gets a fresh
    # measurement by running the smaller document first
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return float(seconds), int(tables), peak_kb / 1024


def _tables_for(megabytes: float) -> int:
    per_table = len(generated_markdown(200)) / 200
    return max(1, round(megabytes * 1_000_000 / per_table))


def scale(megabytes: float) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for size in (megabytes / 10, megabytes):
            tables = _tables_for(size)
            path = Path(tmp) / f"generated_{tables}.md"
            path.write_text(generated_markdown(tables))
            seconds, read, peak = _measured_read(path)
            rows.append((path.stat().st_size, tables, read, seconds, peak))
            path.unlink()
    (b_bytes, _, _, b_time, b_peak), (bytes_, tables, read, seconds, peak) = rows
    print(f"baseline document: {b_bytes / 1e6:.1f} MB: read in {b_time:.1f} s, peak {b_peak:.0f} MB resident")
    print(f"document: {bytes_ / 1e6:.1f} MB, {tables} tables; read {read} tables")
    print(f"schemadoc read_documents: {seconds:.1f} s, peak {peak:.0f} MB resident")
    size_ratio = bytes_ / b_bytes
    print(
        f"ratio to the baseline: {size_ratio:.1f}x the text, {seconds / b_time:.1f}x the time,"
        f" {peak / b_peak:.1f}x the memory"
    )
    if megabytes >= 50:
        met = seconds < 60 and peak < 1024
        print(f"target under 60 s and 1 GB: {'met' if met else 'NOT met'}")
    return 0


SHAPES: dict[str, Callable[[int], str]] = {
    "a fence per table": generated_markdown,
    "one fence": one_fence_markdown,
}


def _read_best(path: Path, repeat: int) -> None:
    """Child process: the best of ``repeat`` reads of ``path`` (a one-fence document), the best of
    as many reads with the whole block parsed on the reading thread (taking turns with the
    first, so that both see the same machine), and the best of pglast's parse of the fence's SQL,
    in seconds."""
    sql = path.read_text().split("```sql\n", 1)[1].rsplit("```", 1)[0]
    parse, _ = best(partial(parse_sql_json, sql), repeat)
    ahead, alone = [], []
    pieces = sql_parse_ahead.PIECES
    for _ in range(repeat):
        ahead.append(best(partial(read_documents, [path]), 1)[0])
        sql_parse_ahead.PIECES = 0  # not cut: parsed in one call before the reading starts
        alone.append(best(partial(read_documents, [path]), 1)[0])
        sql_parse_ahead.PIECES = pieces
    print(f"{min(ahead)} {min(alone)} {parse}")


def _fresh_best(path: Path, repeat: int) -> tuple[float, float, float]:
    """(best read, best read with the parse on the reading thread, best parse) of ``path``, in a
    process that reads nothing else, as a command does."""
    done = subprocess.run(
        [sys.executable, __file__, "--read-best", str(path), "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, alone, parse = done.stdout.split()
    return float(seconds), float(alone), float(parse)


def doubling(n: int, repeat: int) -> None:
    """Print, for each shape, the read time at ``n`` and ``2n`` tables and their ratio; for the
    one-fence shape at 2,000 tables, against the 1 s target, read in a process of its own (here
    the reads of larger documents before it leave the memory allocator in another state)."""
    with tempfile.TemporaryDirectory() as tmp:
        for shape, make in SHAPES.items():
            times = []
            for tables in (n, 2 * n):
                path = Path(tmp) / f"{shape.replace(' ', '_')}_{tables}.md"
                path.write_text(make(tables))
                seconds, last = best(partial(read_documents, [path]), repeat)
                assert last is not None and len(last[0].tables) == tables, shape
                times.append(seconds)
            ratio = times[1] / times[0]
            verdict = "met" if ratio <= 2.2 else "NOT met"
            print(
                f"{shape}: {n} tables {times[0]:.3f} s, {2 * n} tables {times[1]:.3f} s,"
                f" ratio {ratio:.2f} (target at most 2.2: {verdict})"
            )
            if n == 2000 and shape == "one fence":
                fresh, alone, parse = _fresh_best(Path(tmp) / f"one_fence_{n}.md", repeat)
                print(
                    f"one fence, 2000 tables, in a process of its own: {fresh:.3f} s, {fresh / parse:.1f}x"
                    f" pglast's parse of its SQL ({parse:.3f} s); target under 1 s:"
                    f" {'met' if fresh < 1.0 else 'NOT met'}"
                )
                print(
                    f"  the same with the block parsed on the reading thread: {alone:.3f} s"
                    f" (parsing ahead on a second thread: {fresh / alone:.2f}x)"
                )


def instruction_doubling(n: int) -> None:
    """Print, for each shape, the instructions of one read at ``n`` and ``2n`` tables (valgrind:
    the same on a busy machine as on an idle one) and their ratio."""
    from read_instructions import SHAPES as COUNTED
    from read_instructions import read_cost

    if shutil.which("valgrind") is None:
        print("instruction counts: valgrind is not installed; skipped")
        return
    for shape in COUNTED:
        one, two = read_cost(n, shape), read_cost(2 * n, shape)
        print(
            f"{shape}: {n} tables {one:,.0f} M instructions, {2 * n} tables {two:,.0f} M,"
            f" ratio {two / one:.2f} (target at most 2.2: {'met' if two / one <= 2.2 else 'NOT met'})"
        )


POSTGREST = "PostgREST__postgrest__test__spec__fixtures__schema.sql"


def corpus_files(corpus: Path) -> list[Path]:
    """The PostgREST fixture and the largest corpus SQL file (when the corpus is present)."""
    folder = corpus / "sql"
    if not folder.is_dir():
        return []
    files = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    chosen = [folder / POSTGREST] if (folder / POSTGREST).is_file() else []
    return chosen + [p for p in files[-1:] if p not in chosen]


def corpus_reads(corpus: Path, repeat: int) -> None:
    """Read time of each chosen corpus file as a one-fence document, and its ratio to the parse alone."""
    chosen = corpus_files(corpus)
    if not chosen:
        print(f"corpus SQL: none under {corpus / 'sql'}; skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for sql_path in chosen:
            text = sql_path.read_text(encoding="utf-8")
            path = Path(tmp) / f"{sql_path.stem}.md"
            path.write_text("```sql\n" + text + "\n```\n", encoding="utf-8")
            baseline, _ = best(partial(parse_sql_json, text), repeat)
            ours, last = best(partial(read_documents, [path]), repeat)
            assert last is not None
            schema, _ = last
            counts = schema.counts()
            print(
                f"{sql_path.name[:48]}: {len(text.encode()):,} bytes, {counts['tables']} tables,"
                f" {counts['views']} views, {counts['functions']} functions; pglast parse {baseline:.3f} s,"
                f" schemadoc read {ours:.3f} s, ratio {ours / baseline:.1f}x"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5, help="runs of each; the best is reported")
    ap.add_argument("--megabytes", type=float, help="read a document of about this many MB (time and memory)")
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    ap.add_argument(
        "--instructions",
        type=int,
        default=250,
        metavar="N",
        help="also count the instructions of one read at N and 2N tables under valgrind (0: skip)",
    )
    ap.add_argument("--read-once", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--read-best", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.read_once is not None:
        _read_once(args.read_once)
        return 0
    if args.read_best is not None:
        _read_best(args.read_best, args.repeat)
        return 0
    if args.megabytes is not None:
        return scale(args.megabytes)
    doc, sql = make_document(args.tables)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.md"
        path.write_text(doc)
        baseline, _ = best(lambda: parse_sql_json(sql), args.repeat)
        ours, last = best(lambda: read_documents([path]), args.repeat)
    assert last is not None
    schema, diags = last
    errors = sum(d.level == "error" for d in diags)
    print(
        f"document: {args.tables} tables, {len(doc):,} bytes; read {len(schema.tables)} tables, {errors} errors"
    )
    print(f"pglast parse_sql_json (baseline): {baseline:.3f} s")
    print(f"schemadoc read_documents:         {ours:.3f} s")
    print(f"ratio schemadoc/baseline:         {ours / baseline:.1f}x")
    print(f"target under 1 s: {'met' if ours < 1.0 else 'NOT met'}")
    corpus_reads(args.corpus, args.repeat)
    doubling(args.tables, args.repeat)
    if args.instructions:
        instruction_doubling(args.instructions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
