"""Kept readings of unchanged documents (schemadoc.read_cache): used only while nothing that
decides the reading has changed, never from a directory others can write to."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from schemadoc import read_cache
from schemadoc.cli import EXIT_INTERNAL, EXIT_OK, main
from schemadoc.read import read_documents

DOC = """# Shop

```sql
CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email LIKE '%@%')
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    total numeric(10, 2) NOT NULL DEFAULT 0 CHECK (total >= 0)
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
```

| Column | Type | Notes |
|---|---|---|
| note | mystery_type | a column table for a table the SQL never makes |
"""


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCHEMADOC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "read"


def _doc(tmp_path: Path, text: str = DOC) -> Path:
    path = tmp_path / "shop.md"
    path.write_text(text)
    return path


def _read(path: Path, **options: bool) -> tuple[read_cache.Reading, bool]:
    return read_cache.cached_read(
        [str(path)], {"stub_missing": False, "trust": False, **options}, lambda: read_documents([path])
    )


def test_a_kept_reading_is_the_reading_spans_and_diagnostics_included(
    tmp_path: Path, cache_dir: Path
) -> None:
    path = _doc(tmp_path)
    (fresh, fresh_diags), kept = _read(path)
    assert not kept and len(list(cache_dir.glob("*.reading"))) == 1
    (again, again_diags), kept = _read(path)
    assert kept
    assert again == fresh and again_diags == fresh_diags and again_diags
    for name, table in fresh.tables.items():
        assert again.tables[name].span == table.span
        assert [c.span for c in again.tables[name].columns] == [c.span for c in table.columns]
    assert [d.span for d in again_diags] == [d.span for d in fresh_diags]


def test_an_edited_document_or_other_options_are_read_again(tmp_path: Path, cache_dir: Path) -> None:
    path = _doc(tmp_path)
    _read(path)
    path.write_text(DOC.replace("total numeric(10, 2)", "total numeric(12, 2)"))
    (schema, _), kept = _read(path)
    assert not kept
    assert (
        next(c for c in schema.tables[("public", "orders")].columns if c.name == "total").type
        == "numeric(12,2)"
    )
    _, kept = _read(path, stub_missing=True)
    assert not kept
    # the same text under another name is another reading: spans name the file
    other = tmp_path / "other.md"
    other.write_text(path.read_text())
    (_, diags), kept = _read(other)
    assert not kept and all(d.span is None or d.span.file == str(other) for d in diags)


def test_damaged_files_are_misses_and_are_replaced(tmp_path: Path, cache_dir: Path) -> None:
    path = _doc(tmp_path)
    _read(path)
    (kept_file,) = cache_dir.glob("*.reading")
    kept_file.write_bytes(b"not a pickle")
    _, kept = _read(path)
    assert not kept
    _, kept = _read(path)
    assert kept
    kept_file.write_bytes(pickle.dumps((read_cache.FORMAT + 1, None, None)))
    assert _read(path)[1] is False


def test_a_directory_others_can_write_to_is_never_loaded_from(tmp_path: Path, cache_dir: Path) -> None:
    path = _doc(tmp_path)
    _read(path)
    assert _read(path)[1]
    os.chmod(cache_dir, 0o777)
    try:
        assert _read(path)[1] is False
    finally:
        os.chmod(cache_dir, 0o700)
    assert _read(path)[1]


def test_standard_input_is_never_kept(cache_dir: Path) -> None:
    assert read_cache.reading_key(["-"], {}) is None


def test_only_the_newest_few_are_kept(tmp_path: Path, cache_dir: Path) -> None:
    path = _doc(tmp_path)
    for i in range(read_cache.KEEP + 3):
        path.write_text(DOC + f"\n<!-- edit {i} -->\n")
        _read(path)
    assert len(list(cache_dir.glob("*.reading"))) == read_cache.KEEP
    assert read_cache.clear() == read_cache.KEEP
    assert list(cache_dir.glob("*.reading")) == []


def test_verify_reuses_the_reading_until_the_document_changes(
    tmp_path: Path, cache_dir: Path, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _doc(tmp_path, DOC.split("\n| Column")[0])
    url = fresh_database_url
    assert main(["up", "--structure", "--database-url", url, str(path)]) == EXIT_OK
    assert len(list(cache_dir.glob("*.reading"))) == 1 and len(list(cache_dir.glob("*.ddl"))) == 1

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the document was read again")

    monkeypatch.setattr("schemadoc.read.read_documents", broken)
    # up kept its reading: verify of the same document does not read it again
    assert main(["verify", "--structure", "--database-url", url, str(path)]) == EXIT_OK
    # --no-cache reads afresh, and so does any edit of the document
    assert main(["verify", "--structure", "--no-cache", "--database-url", url, str(path)]) == EXIT_INTERNAL
    path.write_text(path.read_text() + "\nOne more line of prose.\n")
    assert main(["verify", "--structure", "--database-url", url, str(path)]) == EXIT_INTERNAL
    monkeypatch.undo()
    monkeypatch.setenv("SCHEMADOC_CACHE_DIR", str(cache_dir.parent))
    # an embedded server that was never started has no kept databases: only the readings go
    assert main(["server", "clean", "--data-dir", str(tmp_path / "no-server")]) == EXIT_OK
    assert list(cache_dir.glob("*.reading")) == []


def test_the_ddl_of_a_kept_reading_is_kept_per_server(tmp_path: Path, cache_dir: Path) -> None:
    from schemadoc.write.ddl import render_ddl

    path = _doc(tmp_path)
    (schema, _), _ = _read(path)
    rendered = render_ddl(schema, server_version=150000)
    assert read_cache.kept_ddl(schema, (150000, [])) is None
    read_cache.keep_ddl(schema, (150000, []), rendered)
    assert read_cache.kept_ddl(schema, (150000, [])) == rendered
    assert read_cache.kept_ddl(schema, (180000, [])) is None  # another server: rendered again
    # the next process loads the reading, and with it finds the same DDL
    read_cache._KEYS.clear()
    (again, _), kept = _read(path)
    assert kept and read_cache.kept_ddl(again, (150000, [])) == rendered
    # a schema no kept reading gave (read afresh, or changed since) has none
    assert read_cache.kept_ddl(read_documents([path])[0], (150000, [])) is None
    (ddl_file,) = cache_dir.glob("*.ddl")
    ddl_file.write_bytes(b"damaged")
    assert read_cache.kept_ddl(again, (150000, [])) is None
    assert read_cache.clear() == 1 and list(cache_dir.iterdir()) == []
