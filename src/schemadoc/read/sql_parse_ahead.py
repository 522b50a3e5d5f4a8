"""Parsing a large SQL block ahead of reading it, on a second thread.

pglast's parser lets go of the interpreter lock while it parses, so a block of many statements is
cut into pieces at statement ends, and a worker thread parses the next pieces while the reader
walks the trees of the earlier ones: the parse no longer adds to the read.

A cut is only a guess: it is placed just after a semicolon that ends a line, before a line that
starts with a letter. It is proven by the parse of the piece before it. Read from the start of
the block, the lexer is in its plain state at a cut exactly when the piece before it scans to its
end without an unterminated string, quoted name, dollar quote or comment; and the piece is a
whole list of statements only when no ``BEGIN ATOMIC`` body or parenthesised rule action is left
open. Both hold when the piece parses. So the pieces that parse, in order, give the same
statements as the parse of the whole block; from the first piece that does not, the caller reads
the rest of the block as it reads a block that is not cut.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from pglast.parser import ParseError, parse_sql_json

from schemadoc.lazy_regex import lazy_regex

if TYPE_CHECKING:
    import queue
    import threading

# Below this size a block is parsed in one call: the parse is then a small part of the read.
MIN_TEXT = 200_000
PIECES = 8  # at least; a long block is cut into pieces of at most PIECE_TEXT characters
PIECE_TEXT = 1_000_000
AHEAD = 2  # pieces the worker parses ahead of the reader: their JSON is about ten times their text
THREAD_NAME = "schemadoc-parse-ahead"

_CUT = lazy_regex(r";[ \t]*\n(?=[A-Za-z])")


class Piece:
    """One piece of a block: its text, where it starts and ends in the block (in characters and
    in bytes of UTF-8), and, once parsed, the parser's JSON or the error it raised."""

    __slots__ = ("char_start", "end", "parsed", "start", "text")

    def __init__(self, text: str, char_start: int, start: int, end: int) -> None:
        self.text = text
        self.char_start = char_start
        self.start = start
        self.end = end
        self.parsed: str | ParseError | None = None


def cut(text: str, *, ascii_only: bool) -> list[Piece] | None:
    """The pieces ``text`` is cut into (about :data:`PIECES` of them, more for a long text), or None
    when it is smaller than :data:`MIN_TEXT` or no cut is found."""
    if len(text) < MIN_TEXT or PIECES < 2:
        return None
    pieces = max(PIECES, -(-len(text) // PIECE_TEXT))
    step = len(text) // pieces
    # The first piece is parsed before any reading starts, with nothing beside it: it is small.
    targets = [step // 4, *(k * step for k in range(1, pieces))]
    found: list[Piece] = []
    char_start = byte_start = 0
    for target in targets:
        m = _CUT.search(text, max(char_start, target))
        if m is None:
            break
        at = m.end()
        piece = text[char_start:at]
        size = len(piece) if ascii_only else len(piece.encode("utf-8"))
        found.append(Piece(piece, char_start, byte_start, byte_start + size))
        char_start, byte_start = at, byte_start + size
    if not found:
        return None
    rest = text[char_start:]
    size = len(rest) if ascii_only else len(rest.encode("utf-8"))
    found.append(Piece(rest, char_start, byte_start, byte_start + size))
    return found


def parsed_in_order(pieces: list[Piece]) -> Generator[Piece, None, None]:
    """Each piece with ``parsed`` set, in order: the first parsed here, the others by a worker
    thread meanwhile, at most :data:`AHEAD` pieces ahead. A piece's JSON is dropped once the
    reader asks for the next one. Stopping the iteration early stops the worker after its
    current piece."""
    import queue  # here, not at the top: a small block never needs a thread
    import threading

    ready: queue.SimpleQueue[Piece | BaseException] = queue.SimpleQueue()
    room = threading.Semaphore(AHEAD)
    stop = threading.Event()
    worker = threading.Thread(
        target=_parse_all, args=(pieces[1:], ready, room, stop), name=THREAD_NAME, daemon=True
    )
    worker.start()
    try:
        _parse(pieces[0])
        yield pieces[0]
        pieces[0].parsed = None
        for _ in pieces[1:]:
            got = ready.get()
            if isinstance(got, BaseException):
                raise got
            yield got
            got.parsed = None
            room.release()
    finally:
        stop.set()
        room.release()  # a worker waiting for room wakes up, and sees the stop
    worker.join()  # all pieces are in: the worker is returning


def _parse(piece: Piece) -> None:
    try:
        piece.parsed = parse_sql_json(piece.text)
    except ParseError as err:
        piece.parsed = err


def _parse_all(
    pieces: list[Piece],
    ready: queue.SimpleQueue[Piece | BaseException],
    room: threading.Semaphore,
    stop: threading.Event,
) -> None:
    try:
        for piece in pieces:
            room.acquire()
            if stop.is_set():
                return
            _parse(piece)
            ready.put(piece)
    except BaseException as exc:  # handed to the reading thread, which raises it
        ready.put(exc)
