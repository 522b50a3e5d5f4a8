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

import _thread
import os
from collections.abc import Generator

from pglast.parser import ParseError, parse_sql_json

from schemadoc.lazy_regex import lazy_regex

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
    """Each piece with ``parsed`` set, in order: the first parsed here, the others by the worker
    thread meanwhile, at most :data:`AHEAD` pieces ahead. A piece's JSON is dropped once the
    reader asks for the next one. Stopping the iteration early stops the worker after its
    current piece.

    The worker is one thread for the life of the process, not one per block: the parser takes a
    thread-specific key on each thread it first runs on and never gives it back, and a process
    that has used up its keys finds other libraries failing without a word (libpq's OpenSSL, for
    one, can then no longer make a random salt or nonce). While another thread's block holds the
    worker, this block is parsed here, piece by piece."""
    worker = _Worker.take()
    if worker is None:
        yield from _parsed_here(pieces)
        return
    job = _Job(pieces[1:])
    try:
        worker.jobs.put(job)
        _parse(pieces[0])
        yield pieces[0]
        pieces[0].parsed = None
        for _ in pieces[1:]:
            got = job.ready.get()
            if isinstance(got, BaseException):
                raise got
            yield got
            got.parsed = None
            job.room.release()
    finally:
        job.stop.set()
        job.room.release()  # a worker waiting for room wakes up, and sees the stop
        job.done.wait()  # the worker no longer touches the pieces
        worker.give_back()


def _parsed_here(pieces: list[Piece]) -> Generator[Piece, None, None]:
    for piece in pieces:
        _parse(piece)
        yield piece
        piece.parsed = None


def _parse(piece: Piece) -> None:
    try:
        piece.parsed = parse_sql_json(piece.text)
    except ParseError as err:
        piece.parsed = err


class _Job:
    """The pieces one reader hands the worker, and how the two keep in step."""

    def __init__(self, pieces: list[Piece]) -> None:
        import queue  # here, not at the top: a small block never needs a thread
        import threading

        self.pieces = pieces
        self.ready: queue.SimpleQueue[Piece | BaseException] = queue.SimpleQueue()
        self.room = threading.Semaphore(AHEAD)
        self.stop = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        try:
            for piece in self.pieces:
                self.room.acquire()
                if self.stop.is_set():
                    return
                _parse(piece)
                self.ready.put(piece)
        except BaseException as exc:  # handed to the reading thread, which raises it
            self.ready.put(exc)
        finally:
            self.done.set()


class _Worker:
    """The process's one parsing thread, serving one reader at a time."""

    _current: _Worker | None = None
    _guard = _thread.allocate_lock()
    _watching_forks = False

    def __init__(self) -> None:
        import queue
        import threading

        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self.busy = _thread.allocate_lock()
        self.thread = threading.Thread(target=self._serve, name=THREAD_NAME, daemon=True)
        self.thread.start()

    @classmethod
    def take(cls) -> _Worker | None:
        """The worker, now this thread's until :meth:`give_back`; None while another holds it."""
        with cls._guard:
            worker = cls._current
            if worker is None or not worker.thread.is_alive():
                if not cls._watching_forks:
                    os.register_at_fork(after_in_child=cls._forget)
                    cls._watching_forks = True
                worker = cls._current = _Worker()
        return worker if worker.busy.acquire(blocking=False) else None

    def give_back(self) -> None:
        self.busy.release()

    @classmethod
    def _forget(cls) -> None:
        """In a forked child: the parent's worker thread is not there; a new one starts on demand."""
        cls._current = None
        cls._guard = _thread.allocate_lock()

    def _serve(self) -> None:
        while True:
            self.jobs.get().run()
