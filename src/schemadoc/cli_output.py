"""How the command line shows results: stdout for results (text or JSON), stderr for diagnostics
and progress. Text output groups repeated diagnostics, hides ignored codes, and in quiet mode
keeps only errors and the final line; JSON always lists every diagnostic that is not ignored."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from schemadoc.diagnostics import Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.records import record

# A code and hint seen this many times (or more) is shown as one group in text output.
GROUP_AT = 3

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "note": "\033[36m"}
# a dotted name (public.papers.id) is one token, so names that differ become one "..."
_TOKEN = lazy_regex(r"\w+(?:\.\w+)*|\s+|[^\w\s]")
# below this share of the first message's words in common, a group shows its first message instead
_KEPT_WORDS = 0.5
_GAP = "\x00"


@record
class Group:
    """Diagnostics with the same level, code and hint, shown as one entry."""

    members: tuple[Diagnostic, ...]

    @property
    def first(self) -> Diagnostic:
        return self.members[0]

    def render(self) -> str:
        d = self.first
        where = str(d.span) if d.span else "schemadoc"
        lines = [m.span.line for m in self.members if m.span is not None]
        files = {m.span.file for m in self.members if m.span is not None}
        place = ""
        if lines and len(files) == 1:
            place = f", lines {min(lines)}-{max(lines)}"
        elif len(files) > 1:
            place = f", in {len(files)} files"
        common = common_message(self.members)
        if _word_count(common) < _KEPT_WORDS * _word_count(d.message):
            # the messages share too little for a template to say anything: show the first one
            text = f"{where}: {d.level} {d.code} {d.message} (and {len(self.members) - 1} more{place}; -v lists them)"
        else:
            text = f"{where}: {d.level} {d.code} {common} ({len(self.members)} times{place}; -v lists them)"
        if d.hint:
            text += f"\n  hint: {d.hint}"
        return text


def _word_count(text: str) -> int:
    return sum(1 for t in _TOKEN.findall(text) if t[0].isalnum() or t[0] == "_")


def common_message(diags: Sequence[Diagnostic]) -> str:
    """What the messages of ``diags`` share, with ``...`` where they differ:
    ``index a_idx: columns (a) inferred`` and ``index b_idx: columns (b) inferred`` give
    ``index ...: columns (...) inferred``."""
    import difflib

    template = _TOKEN.findall(diags[0].message)
    for d in diags[1:]:
        other = _TOKEN.findall(d.message)
        matcher = difflib.SequenceMatcher(None, template, other, autojunk=False)
        merged: list[str] = []
        for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
            if tag == "equal":
                merged.extend(template[i1:i2])
            elif not merged or merged[-1] != _GAP:
                merged.append(_GAP)
        template = merged
    text = "".join(template)
    text = re.sub(f"{_GAP}+", "...", text)
    text = re.sub(r"(\.\.\.)(\s*\.\.\.)+", r"\1", text).strip()
    # a part that only some messages have at their end: "name ..." rather than "name..."
    return re.sub(r"(\w)\.\.\.$", r"\1 ...", text)


def grouped(diags: Sequence[Diagnostic]) -> list[Diagnostic | Group]:
    """``diags`` in order, each level/code/hint seen :data:`GROUP_AT` times or more folded into one
    :class:`Group` at the place of its first member."""
    by_key: dict[tuple[str, str, str | None], list[Diagnostic]] = {}
    for d in diags:
        by_key.setdefault((d.level, d.code, d.hint), []).append(d)
    out: list[Diagnostic | Group] = []
    placed: set[tuple[str, str, str | None]] = set()
    for d in diags:
        key = (d.level, d.code, d.hint)
        members = by_key[key]
        if len(members) < GROUP_AT:
            out.append(d)
        elif key not in placed:
            placed.add(key)
            out.append(Group(tuple(members)))
    return out


class Output:
    """Where results go. ``verbose``: list every diagnostic, notes included; ``quiet``: only
    errors and the final line; ``ignore``: codes of warnings and notes not shown at all (errors
    are always shown)."""

    def __init__(
        self,
        fmt: str,
        stream: TextIO | None = None,
        err: TextIO | None = None,
        *,
        verbose: bool = False,
        quiet: bool = False,
        ignore: Iterable[str] = (),
    ) -> None:
        self.fmt = fmt
        self.stream = stream or sys.stdout
        self.err = err or sys.stderr
        self.verbose = verbose
        self.quiet = quiet
        self.ignore = frozenset(code.upper() for code in ignore)
        self.tty = self.err.isatty()
        self.color = fmt == "text" and self.tty and not os.environ.get("NO_COLOR")

    # -- results ---------------------------------------------------------------------------------------

    def json(self, payload: dict[str, Any]) -> None:
        self.stream.write(json.dumps(payload, indent=2, sort_keys=True) + "\n")

    def line(self, text: str = "") -> None:
        """A line of the result; left out in quiet mode."""
        if not self.quiet:
            self.stream.write(text + "\n")

    def final(self, text: str) -> None:
        """The last line of a command's result: shown even in quiet mode."""
        self.stream.write(text + "\n")

    def message(self, text: str) -> None:
        """A line for the reader on stderr (an error without a diagnostic, a prompt's answer)."""
        self.err.write(text + "\n")

    # -- diagnostics -----------------------------------------------------------------------------------

    def kept(self, diags: Iterable[Diagnostic]) -> list[Diagnostic]:
        """``diags`` without the ignored ones (errors are never ignored)."""
        return [d for d in diags if d.level == "error" or d.code not in self.ignore]

    def json_diagnostics(self, diags: Iterable[Diagnostic]) -> list[dict[str, Any]]:
        return [d.to_json() for d in self.kept(diags)]

    def diagnostics(self, diags: Sequence[Diagnostic], *, show_notes: bool = False) -> None:
        shown = [
            d
            for d in self.kept(diags)
            if (d.level != "note" or show_notes or self.verbose) and (d.level == "error" or not self.quiet)
        ]
        entries: list[Diagnostic | Group] = list(shown) if self.verbose else grouped(shown)
        for entry in entries:
            d = entry.first if isinstance(entry, Group) else entry
            text = entry.render()
            if self.color:
                text = text.replace(f" {d.level} ", f" {_COLORS[d.level]}{d.level}\033[0m ", 1)
            self.err.write(text + "\n")

    # -- progress (stderr, on a terminal only) -----------------------------------------------------------

    def progress(self, label: str) -> Callable[[int, int], None] | None:
        """A counter ``label done/total`` redrawn in place, or None when stderr is not a terminal."""
        if self.fmt != "text" or not self.tty or self.quiet:
            return None

        def show(done: int, total: int) -> None:
            end = "\n" if done >= total else ""
            self.err.write(f"\r{label} {done}/{total}{end}")
            self.err.flush()

        return show

    def status(self, text: str) -> Callable[[], None]:
        """Show ``text`` on the terminal until the returned function is called (which clears it);
        nothing at all when stderr is not a terminal."""
        if self.fmt != "text" or not self.tty or self.quiet:
            return lambda: None
        self.err.write(text)
        self.err.flush()

        def clear() -> None:
            self.err.write("\r" + " " * len(text) + "\r")
            self.err.flush()

        return clear
