"""A large SQL block is cut into pieces parsed on a second thread: what is read from the pieces
must be exactly what is read from the whole block, wherever the cuts fall."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pglast.parser import ParseError

from schemadoc.read import read_documents, sql_parse_ahead
from schemadoc.read.facts import DocFacts
from schemadoc.read.sql import read_sql

from conftest import CORPUS, EXAMPLES, generated_sql


def _read(text: str, pieces: int, monkeypatch: pytest.MonkeyPatch) -> DocFacts:
    with monkeypatch.context() as m:
        m.setattr(sql_parse_ahead, "MIN_TEXT", 0)
        m.setattr(sql_parse_ahead, "PIECES", pieces)
        return read_sql(text, file="doc.md", line=3)


def _same_either_way(
    text: str, monkeypatch: pytest.MonkeyPatch, pieces: tuple[int, ...] = (2, 3, 7, 40)
) -> DocFacts:
    whole = _read(text, 0, monkeypatch)
    for n in pieces:
        assert _read(text, n, monkeypatch) == whole, f"cut into {n} pieces"
    return whole


_RULE = "CREATE RULE r{n} AS ON INSERT TO t{n} DO ALSO (NOTIFY a;\nNOTIFY b);\n"
_SYNTAX_ERROR = "CREATE TABLE bad{n} (id int,,);\n"

# Statements where a cut could go wrong: a semicolon at a line's end inside a dollar-quoted body,
# a string, a comment, a BEGIN ATOMIC body and a rule's action list, each followed by a line that
# starts with a letter; a transaction wrapper; a syntax error; text that is not ASCII.
_STATEMENTS = st.sampled_from(
    [
        "CREATE TABLE t{n} (id bigint PRIMARY KEY, v text NOT NULL DEFAULT 'x');\n",
        "CREATE FUNCTION f{n}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\nNEW.v := 'y';\nRETURN NEW;\nEND\n$$;\n",
        "COMMENT ON TABLE t{n} IS 'one;\nCREATE TABLE not_a_table (a int);\nthat was a comment';\n",
        "/* a comment;\nCREATE TABLE not_a_table (a int);\n*/\n",
        "-- a line comment;\nCREATE TABLE c{n} (a int);\n",
        "CREATE FUNCTION g{n}() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1;\nSELECT 2;\nEND;\n",
        _RULE,
        "BEGIN;\n",
        "COMMIT;\n",
        _SYNTAX_ERROR,
        'CREATE TABLE "naïve{n}" ("café" text CHECK ("café" <> \'é\'));\n',
        "CREATE INDEX i{n} ON t{n} (v) WHERE v <> 'z';\n",
        "ALTER TABLE t{n} ADD COLUMN w int REFERENCES t{n} (id) ON DELETE CASCADE;\n",
        "SET search_path = app, public;\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_STATEMENTS, min_size=1, max_size=14))
def test_property_pieces_read_as_the_whole_block(statements: list[str]) -> None:
    # After a syntax error, the whole block is read statement by statement, split at semicolons
    # outside parentheses' reach: a rule's list of actions is cut in two there, where a piece
    # that parsed keeps it whole (see the test below). Everything else must be the same.
    assume(not ({_RULE, _SYNTAX_ERROR} <= set(statements)))
    text = "".join(s.format(n=i) for i, s in enumerate(statements))
    with pytest.MonkeyPatch.context() as monkeypatch:
        _same_either_way(text, monkeypatch)


def test_a_generated_schema_is_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    text = generated_sql(60)
    facts = _same_either_way(text, monkeypatch)
    assert len(facts.tables) == 60
    assert not [d for d in facts.diagnostics if d.level == "error"]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.md")), ids=lambda p: p.stem)
def test_example_sql_blocks_read_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text()
    blocks = [part.split("```", 1)[0] for part in text.split("```sql\n")[1:]]
    assert blocks
    for block in blocks:
        _same_either_way(block, monkeypatch, pieces=(3, 9))


def _corpus_sql() -> list[Path]:
    folder = CORPUS / "sql"
    return sorted(folder.glob("*.sql")) if folder.is_dir() else []


@pytest.mark.skipif(not _corpus_sql(), reason="../shared/corpus is not present")
@pytest.mark.parametrize("index", range(len(_corpus_sql()) or 1))
def test_corpus_sql_reads_the_same(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _corpus_sql()[index].read_text(errors="replace")
    _same_either_way(text, monkeypatch, pieces=(8,))


def test_the_document_wrapper_transaction_spans_a_syntax_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Statement by statement (after a syntax error), BEGIN ... COMMIT is still the document's own
    # wrapper: a note each, and no warning for the COMMIT.
    text = "BEGIN;\nCREATE TABLE a (id int);\nCREATE TABLE b (id int,,);\nCOMMIT;\n"
    facts = _same_either_way(text, monkeypatch, pieces=(2, 4))
    assert [(d.code, d.level, d.span.line) for d in facts.diagnostics] == [
        ("SD010", "note", 3),
        ("SD001", "error", 5),
        ("SD010", "note", 6),
    ]


def test_a_rule_before_a_syntax_error_is_read_from_its_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    table, rule, bad = "CREATE TABLE t0 (id int);\n", _RULE.format(n=0), _SYNTAX_ERROR.format(n=2)
    text = table + rule + bad
    errors = [(d.code, d.span.line) for d in _read(text, 0, monkeypatch).diagnostics if d.level == "error"]
    assert errors == [("SD001", 4), ("SD001", 5), ("SD001", 6)]  # the rule, cut in two, and the bad table

    def at_statements(text: str, *, ascii_only: bool) -> list[sql_parse_ahead.Piece]:
        ends = [len(table), len(table) + len(rule), len(text)]
        starts = [0, *ends[:-1]]
        return [sql_parse_ahead.Piece(text[a:b], a, a, b) for a, b in zip(starts, ends, strict=True)]

    monkeypatch.setattr(sql_parse_ahead, "cut", at_statements)
    facts = read_sql(text, file="doc.md", line=3)
    assert [(d.code, d.span.line) for d in facts.diagnostics if d.level == "error"] == [("SD001", 6)]


def test_cut_pieces_cover_the_text_with_their_byte_offsets() -> None:
    text = "".join(f"CREATE TABLE \"é{i}\" (a int);\nSELECT 'ü';\n" for i in range(6000))
    pieces = sql_parse_ahead.cut(text, ascii_only=False)
    assert pieces is not None and len(pieces) >= 4
    assert "".join(p.text for p in pieces) == text
    data = text.encode()
    for p in pieces:
        assert data[p.start : p.end].decode() == p.text
        assert p.text.endswith(";\n")
    assert pieces[0].start == 0 and pieces[-1].end == len(data)


def test_a_long_block_is_cut_into_pieces_of_bounded_length(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_parse_ahead, "PIECE_TEXT", 50_000)
    text = "".join(f"CREATE TABLE t{i} (a int);\n" for i in range(40_000))
    pieces = sql_parse_ahead.cut(text, ascii_only=True)
    assert pieces is not None
    assert len(pieces) > 8 and max(len(p.text) for p in pieces) < 2 * 50_000
    assert "".join(p.text for p in pieces) == text


def test_the_worker_stays_a_few_pieces_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "".join(f"CREATE TABLE t{i} (a int);\n" for i in range(20_000))
    monkeypatch.setattr(sql_parse_ahead, "PIECES", 12)
    pieces = sql_parse_ahead.cut(text, ascii_only=True)
    assert pieces is not None and len(pieces) > 4
    reading = sql_parse_ahead.parsed_in_order(pieces)
    next(reading)
    deadline = time.monotonic() + 30
    while (pieces[1].parsed is None or pieces[2].parsed is None) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # room for the worker to run further, were it allowed to
    parsed = [i for i, p in enumerate(pieces) if p.parsed is not None]
    assert parsed == [0, 1, 2]  # the piece being read and AHEAD more
    reading.close()


def test_small_blocks_and_blocks_without_a_cut_are_not_cut() -> None:
    assert sql_parse_ahead.cut("CREATE TABLE a (id int);\n", ascii_only=True) is None
    one_line = "SELECT 1;" * 40_000  # large, but no semicolon ends a line
    assert sql_parse_ahead.cut(one_line, ascii_only=True) is None


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == sql_parse_ahead.THREAD_NAME and t.is_alive()]


def test_each_piece_comes_parsed_in_order_by_one_worker_for_the_process() -> None:
    text = "".join(f"CREATE TABLE t{i} (a int);\n" for i in range(20_000))
    seen = []
    for _ in range(3):
        pieces = sql_parse_ahead.cut(text, ascii_only=True)
        assert pieces is not None
        got = []
        for piece in sql_parse_ahead.parsed_in_order(pieces):
            assert isinstance(piece.parsed, str) and '"CreateStmt"' in piece.parsed
            got.append(piece)
        assert got == pieces
        assert all(p.parsed is None for p in pieces)  # each JSON is let go once read
        seen.append([t.ident for t in _workers()])
    assert len(seen[0]) == 1 and seen == [seen[0]] * 3  # the same thread, waiting for the next block


def _next_thread_key() -> int:
    """The index the next thread-specific key gets (the lowest free one)."""
    libc = ctypes.CDLL(None, use_errno=True)
    key = ctypes.c_uint()
    assert libc.pthread_key_create(ctypes.byref(key), None) == 0
    assert libc.pthread_key_delete(key) == 0
    return key.value


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts the C library's thread keys")
def test_reading_large_blocks_does_not_use_up_the_processs_thread_keys(tmp_path: Path) -> None:
    # The parser takes a key on each thread it runs on. A thread per block used one key per read:
    # after about a thousand reads the process had none left, and libpq could no longer make a
    # random nonce for a password login.
    doc = tmp_path / "big.md"
    doc.write_text(
        "```sql\n" + "".join(f"CREATE TABLE t{i} (a int CHECK (a > 0));\n" for i in range(12_000)) + "```\n"
    )
    read_documents([doc])  # the worker starts, and takes its key
    before = _next_thread_key()
    for _ in range(4):
        schema, _ = read_documents([doc])
        assert len(schema.tables) == 12_000
    assert _next_thread_key() == before


def test_while_another_reader_holds_the_worker_a_block_is_parsed_on_the_readers_thread() -> None:
    text = "".join(f"CREATE TABLE t{i} (a int);\n" for i in range(20_000))
    pieces = sql_parse_ahead.cut(text, ascii_only=True)
    assert pieces is not None
    first = sql_parse_ahead.parsed_in_order(pieces)
    next(first)  # this reader holds the worker
    others = sql_parse_ahead.cut(text.replace("a int", "b int"), ascii_only=True)
    assert others is not None
    readers = []
    for piece in sql_parse_ahead.parsed_in_order(others):
        assert isinstance(piece.parsed, str) and '"b"' in piece.parsed
        readers.append(threading.current_thread().name)
        assert pieces[-1].parsed is None  # the held worker went no further than AHEAD
    assert len(readers) == len(others)
    first.close()
    assert len(_workers()) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_reads_a_large_block_with_a_worker_of_its_own(tmp_path: Path) -> None:
    text = "".join(f"CREATE TABLE t{i} (a int);\n" for i in range(20_000))
    pieces = sql_parse_ahead.cut(text, ascii_only=True)
    assert pieces is not None
    list(sql_parse_ahead.parsed_in_order(pieces))  # the parent's worker is running
    pid = os.fork()
    if pid == 0:  # the child: counts what it parsed, and never returns into pytest
        code = 1
        try:
            again = sql_parse_ahead.cut(text, ascii_only=True)
            assert again is not None
            count = sum(1 for p in sql_parse_ahead.parsed_in_order(again) if isinstance(p.parsed, str))
            code = 0 if count == len(again) and len(_workers()) == 1 else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_piece_that_does_not_parse_carries_its_error() -> None:
    pieces = [
        sql_parse_ahead.Piece("CREATE TABLE a (id int);\n", 0, 0, 25),
        sql_parse_ahead.Piece("CREATE TABLE b (id int,,);\n", 25, 25, 52),
    ]
    got = [piece.parsed for piece in sql_parse_ahead.parsed_in_order(pieces)]
    assert isinstance(got[0], str)
    assert isinstance(got[1], ParseError)


def test_an_unexpected_error_in_the_worker_reaches_the_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> str:
        if "b" in text:
            raise MemoryError("no room")
        return "{}"

    monkeypatch.setattr(sql_parse_ahead, "parse_sql_json", broken)
    pieces = [sql_parse_ahead.Piece("a;\n", 0, 0, 3), sql_parse_ahead.Piece("b;\n", 3, 3, 6)]
    with pytest.raises(MemoryError, match="no room"):
        list(sql_parse_ahead.parsed_in_order(pieces))


def test_the_parser_gives_the_same_answers_from_several_threads_at_once() -> None:
    # The reader parses on its own thread while the worker parses the next pieces (after a piece
    # fails, or for a fragment a reader checks): the parser keeps its state per thread.
    texts = [
        "".join(f"CREATE TABLE t{i}_{k} (a int CHECK (a > {k}));\n" for i in range(300)) for k in range(4)
    ]
    texts += ["SELECT count(* FROM broken;\n" * 50, "CREATE TABLE x (a int,,);\n" * 50]

    def answer(text: str) -> str:
        try:
            return sql_parse_ahead.parse_sql_json(text)
        except ParseError as err:
            return f"error: {err}"

    expected = [answer(t) for t in texts]
    got: dict[int, list[str]] = {}

    def run(n: int) -> None:
        got[n] = [answer(t) for t in texts * 5]

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(answers == expected * 5 for answers in got.values())
