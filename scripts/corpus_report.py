"""How the readers do on the public corpus of real schema documents.

Usage: python scripts/corpus_report.py [--corpus DIR] [--database-url URL] [--no-database]

1. Reads every document set the way ``schemadoc check`` does, timed, and prints tables,
   columns, errors and warnings per set; flags any exception other than a clear
   SchemadocError, and any set that takes more than 2 s.
2. For the sets that come with the SQL they describe, reads that SQL with the same reader
   and compares table sets and per-table column sets (matched / missing / extra).
3. Loads each SQL truth into a fresh database and runs the structural drift check of the
   document against it, grouping the drift by kind.

A developer script: it prints, it does not write files.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pglast
import psycopg
from psycopg import sql

from schemadoc.diagnostics import Diagnostic, SchemadocError
from schemadoc.model import Extension, Schema, Table
from schemadoc.read import read_documents

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SLOW_SECONDS = 2.0


def _tbls_fixup(text: str, dbname: str) -> str:
    """The tbls DDL sets a search path for a database named testdb; point it at ours."""
    return re.sub(r"\bDATABASE\s+testdb\b", f'DATABASE "{dbname}"', text)


def _haskitter_fixup(text: str, dbname: str) -> str:
    """Drop the CREATE DATABASE statement and the psql \\connect line."""
    text = re.sub(r"(?ims)^\s*CREATE\s+DATABASE\b.*?;", "", text)
    return re.sub(r"(?m)^\s*\\c(?:onnect)?\b.*$", "", text)


def _as_is(text: str, dbname: str) -> str:
    return text


@dataclass(frozen=True)
class DocSet:
    label: str
    pattern: str  # glob under corpus/docs
    truth: str | None = None  # file under corpus/sql
    fixup: Callable[[str, str], str] = _as_is


DOC_SETS: tuple[DocSet, ...] = (
    DocSet(
        "D1", "k1LoW__tbls__sample__postgres__*.md", "k1LoW__tbls__testdata__ddl__postgres.sql", _tbls_fixup
    ),
    DocSet(
        "D2",
        "MarquezProject__marquez__dbdoc__*.md",
        "MarquezProject__marquez__api__src__main__resources__marquez__db__migration__ALL_at_fe774b47.sql",
    ),
    DocSet(
        "D13",
        "lkania__Haskitter__util__db__README.md",
        "lkania__Haskitter__util__db__pg_haskitter.sql",
        _haskitter_fixup,
    ),
    DocSet("D14", "MigzCtrl__TireOps__supabase__SCHEMA.md"),
    DocSet(
        "D15",
        "AWLL-inc__work-management__docs__database__schema.md",
        "AWLL-inc__work-management__drizzle__migrations__ALL.sql",
    ),
    DocSet("D16", "AsherMorse__EmberOne__docs__database__schema.md"),
    DocSet("D17", "The-Illusion-services__dzpatch-v2__supabase__SCHEMA.md"),
    DocSet("D19", "Hankanman__postgres-to-docs__docs__markdown__architecture__schema.md"),
    DocSet("D20", "vokal__pg-table-markdown__SAMPLE_TABLES.md"),
)


def doc_paths(corpus: Path, ds: DocSet) -> list[Path]:
    return sorted((corpus / "docs").glob(ds.pattern))


def other_docs(corpus: Path) -> list[Path]:
    """Documents in the corpus that no set above names (reported as singles)."""
    named = {p for ds in DOC_SETS for p in doc_paths(corpus, ds)}
    return sorted(p for p in (corpus / "docs").glob("*.md") if p not in named)


# --- 1a: check -----------------------------------------------------------------------------------


def check_set(label: str, paths: Sequence[Path]) -> bool:
    """Print one row; False when the reader raised something other than SchemadocError."""
    start = time.perf_counter()
    try:
        schema, diags = read_documents(paths)
    except SchemadocError as exc:
        seconds = time.perf_counter() - start
        d = exc.diagnostic
        print(f"{label:<5} {seconds:6.2f}s  fatal {d.code}: {d.message.split(': ', 1)[-1][:150]}")
        return True
    except Exception:
        seconds = time.perf_counter() - start
        print(f"{label:<5} {seconds:6.2f}s  EXCEPTION")
        traceback.print_exc(file=sys.stdout)
        return False
    seconds = time.perf_counter() - start
    counts = schema.counts()
    errors = sum(d.level == "error" for d in diags)
    warnings = sum(d.level == "warning" for d in diags)
    slow = "  SLOW (> 2 s)" if seconds > SLOW_SECONDS else ""
    print(
        f"{label:<5} {seconds:6.2f}s  {len(paths):>3} files  {counts['tables']:>4} tables  "
        f"{counts['columns']:>5} columns  {counts['views']:>3} views  {errors:>3} errors  {warnings:>3} warnings{slow}"
    )
    for d in diags:
        if d.level == "error":
            print(f"        {d.code} {_short(d)}")
    return True


def _short(d: Diagnostic, width: int = 150) -> str:
    where = f"{Path(d.span.file).name.split('__')[-1]}:{d.span.line} " if d.span else ""
    text = where + " ".join(d.message.split())
    return text if len(text) <= width else text[: width - 3] + "..."


# --- 1b: doc vs SQL read by the same reader -------------------------------------------------------


def _key(qname: str) -> str:
    return qname.casefold()


def _tables(schema: Schema) -> dict[str, list[str]]:
    return {_key(q): [c.name for c in t.columns] for q, t in schema.tables.items() if not t.stub}


_SERIALS = {"smallserial": "smallint", "serial": "integer", "bigserial": "bigint"}


def _serial(type_text: str) -> str:
    """A serial column is its integer type plus a default; the doc shows the integer type."""
    return _SERIALS.get(type_text, type_text)


def _fks(table: Table) -> set[str]:
    return {
        f"({', '.join(fk.columns)}) -> {fk.ref_table.casefold()}({', '.join(fk.ref_columns)})"
        for fk in table.foreign_keys
    }


def compare_sets(label: str, doc: Schema, truth: Schema) -> None:
    dt, tt = _tables(doc), _tables(truth)
    matched = sorted(set(dt) & set(tt))
    missing = sorted(set(tt) - set(dt))
    extra = sorted(set(dt) - set(tt))
    print(f"{label:<5} tables: {len(matched)} matched, {len(missing)} missing, {len(extra)} extra")
    if missing:
        print(f"        missing (truth only): {', '.join(missing)}")
    if extra:
        print(f"        extra (doc only): {', '.join(extra)}")
    dv = {_key(q) for q in doc.views}
    tv = {_key(q) for q in truth.views}
    print(f"      views: {len(dv & tv)} matched, {len(tv - dv)} missing, {len(dv - tv)} extra")
    if tv ^ dv:
        print(
            f"        missing: {', '.join(sorted(tv - dv)) or '-'}; extra: {', '.join(sorted(dv - tv)) or '-'}"
        )
    n_match = n_miss = n_extra = n_type = 0
    fk_counts = [0, 0, 0]
    for q in matched:
        dcols = {c.casefold() for c in dt[q]}
        tcols = {c.casefold() for c in tt[q]}
        n_match += len(dcols & tcols)
        n_miss += len(tcols - dcols)
        n_extra += len(dcols - tcols)
        if tcols - dcols or dcols - tcols:
            print(
                f"        {q}: columns missing {sorted(tcols - dcols) or '-'}, extra {sorted(dcols - tcols) or '-'}"
            )
        dtab = next(t for k, t in doc.tables.items() if _key(k) == q)
        ttab = next(t for k, t in truth.tables.items() if _key(k) == q)
        for col in dtab.columns:
            other = ttab.column(col.name)
            if other is not None and _serial(other.type) != _serial(col.type):
                n_type += 1
                print(f"        {q}.{col.name}: type {col.type!r} in doc, {other.type!r} in SQL")
        dfk, tfk = _fks(dtab), _fks(ttab)
        fk_counts[0] += len(dfk & tfk)
        fk_counts[1] += len(tfk - dfk)
        fk_counts[2] += len(dfk - tfk)
        for fk in sorted(tfk - dfk):
            print(f"        {q}: foreign key {fk} only in SQL")
        for fk in sorted(dfk - tfk):
            print(f"        {q}: foreign key {fk} only in doc")
    print(
        f"      columns of matched tables: {n_match} matched, {n_miss} missing, {n_extra} extra, "
        f"{n_type} type differences"
    )
    print(
        f"      foreign keys of matched tables: {fk_counts[0]} matched, {fk_counts[1]} missing, {fk_counts[2]} extra"
    )


# --- 1c: drift against the truth loaded in a database ----------------------------------------------


def _drift_kinds() -> dict[str, str]:
    from schemadoc.compare import codes

    return {
        value: name.lower()
        for name, value in vars(codes).items()
        if name.isupper() and isinstance(value, str) and re.fullmatch(r"SD\d{3}", value)
    }


def drift_set(
    label: str, paths: Sequence[Path], truth_text: str, fixup: Callable[[str, str], str], url: str
) -> None:
    from schemadoc.actions import structure_drift
    from schemadoc.pg.connect import with_database

    try:
        doc, diags = read_documents(paths)
    except SchemadocError as exc:
        print(f"{label:<5} document cannot be read: {exc.diagnostic.message}")
        return
    errors = [d for d in diags if d.level == "error"]
    if errors:
        print(f"{label:<5} document cannot be built as written ({len(errors)} errors); first errors:")
        for d in errors[:3]:
            print(f"        {d.code} {_short(d)}")
        print("      drift of the rest (the objects in error left out):")
    dbname = f"corpus_{label.lower()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    target = with_database(url, dbname)
    try:
        try:
            with psycopg.connect(target, autocommit=True) as conn:
                for statement in pglast.split(fixup(truth_text, dbname)):  # one by one: CONCURRENTLY
                    conn.execute(statement.encode())
        except psycopg.Error as exc:
            print(f"{label:<5} the SQL truth did not load: {str(exc).splitlines()[0]}")
            return
        doc = _with_implied_extensions(doc)
        try:
            drift = structure_drift(target, url, doc)
        except SchemadocError as exc:
            print(f"{label:<5} structure check failed: {_short(exc.diagnostic, 300)}")
            if not doc.views:
                return
            print("      again without the document's views (and triggers on them):")
            doc = replace(
                doc,
                views={},
                triggers={k: t for k, t in doc.triggers.items() if t.table not in doc.views},
            )
            try:
                drift = structure_drift(target, url, doc)
            except SchemadocError as again:
                print(f"{label:<5} structure check failed: {_short(again.diagnostic, 300)}")
                return
        report_drift(label, drift)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


_EXTENSION_CALLS = {"uuid-ossp": re.compile(r"\buuid_generate_v\w+\s*\(")}


def _with_implied_extensions(doc: Schema) -> Schema:
    """Documents generated from a catalog show ``uuid_generate_v4()`` defaults but not the
    extension that provides them; add it (and say so) so the rest can be measured."""
    defaults = [c.default for t in doc.tables.values() for c in t.columns if c.default]
    added = {
        name: Extension(name)
        for name, call in _EXTENSION_CALLS.items()
        if name not in doc.extensions and any(call.search(d) for d in defaults)
    }
    if not added:
        return doc
    print(f"      (assumed extension(s) the document uses but never names: {', '.join(sorted(added))})")
    return replace(doc, extensions={**doc.extensions, **added})


def report_drift(label: str, drift: list[Diagnostic]) -> None:
    kinds = _drift_kinds()
    counted = Counter(d.code for d in drift)
    print(f"{label:<5} drift: {len(drift)} ({sum(d.level == 'error' for d in drift)} errors)")
    by_code: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in drift:
        by_code[d.code].append(d)
    for code, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"        {code} {kinds.get(code, '?')}: {n}")
        for d in by_code[code][:6]:
            print(f"            {' '.join(d.message.split())[:140]}")
        if n > 6:
            print(f"            ... {n - 6} more")


# --- driver -----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--no-database", action="store_true", help="skip the drift check (part 3)")
    args = ap.parse_args(argv)
    corpus: Path = args.corpus
    if not (corpus / "docs").is_dir():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    ok = True
    print("== 1a: check (library read, timed) ==")
    for ds in DOC_SETS:
        ok &= check_set(ds.label, doc_paths(corpus, ds))
    for path in other_docs(corpus):
        ok &= check_set(path.stem[:5], [path])
    print("\n== 1b: tables and columns, document vs its SQL (same reader) ==")
    with_truth = [ds for ds in DOC_SETS if ds.truth]
    for ds in with_truth:
        assert ds.truth is not None
        try:
            doc, _ = read_documents(doc_paths(corpus, ds), stub_missing=True)
            truth, _ = read_documents([corpus / "sql" / ds.truth], stub_missing=True)
        except SchemadocError as exc:
            print(f"{ds.label:<5} not comparable: {exc.diagnostic.message}")
            continue
        compare_sets(ds.label, doc, truth)
    if not args.no_database:
        print("\n== 1c: structural drift, document vs SQL truth loaded on the server ==")
        for ds in with_truth:
            assert ds.truth is not None
            text = (corpus / "sql" / ds.truth).read_text(encoding="utf-8")
            drift_set(ds.label, doc_paths(corpus, ds), text, ds.fixup, args.database_url)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
