"""The parser ``main`` builds for a known command (only that command's arguments) reads every
command line as the whole parser does, and lists every command in the top-level help."""

from __future__ import annotations

import argparse

import pytest

from schemadoc.cli import _COMMANDS, UsageError, build_parser

LINES = [
    ["check", "a.md", "b.md", "--strict", "--format", "json", "--ignore", "SD101", "-q"],
    ["check", "--no-stub-missing", "-"],
    ["sql", "a.md", "--server-version", "150000"],
    ["up", "a.md", "--database-url", "postgresql://x@h/db", "--structure", "-j", "3", "--no-cache", "-y"],
    ["verify", "a.md", "--shadow-url", "postgresql://x@h/s", "--comments", "--cache", "--trust-document"],
    ["plan", "a.md", "--database", "d"],
    ["apply", "a.md", "--jobs", "1", "--database-url", "postgresql://x@h/db"],
    ["down", "a.md", "--yes", "--data-dir", "dd"],
    ["docs", "--database-url", "postgresql://x@h/db", "--split", "-o", "out", "--diagram-tables", "9"],
    ["server", "url", "a.md", "--port", "5999", "--format", "json"],
]


def _namespace(parser: argparse.ArgumentParser, argv: list[str]) -> dict[str, object]:
    return vars(parser.parse_args(argv))


@pytest.mark.parametrize("argv", LINES, ids=[line[0] for line in LINES])
def test_the_command_alone_parses_as_the_whole_parser(argv: list[str]) -> None:
    whole = _namespace(build_parser(), argv)
    alone = _namespace(build_parser(argv[0]), argv)
    assert alone == whole
    assert whole["func"].__name__ == f"cmd_{argv[0]}"  # type: ignore[attr-defined]


def test_every_command_is_covered_and_listed() -> None:
    assert {line[0] for line in LINES} == set(_COMMANDS)
    for only in (None, "check"):
        text = build_parser(only).format_help()
        for name, (help_text, _, _) in _COMMANDS.items():
            assert name in text and help_text.split()[0] in text


@pytest.mark.parametrize(
    "argv", [["check", "--structure"], ["up", "a.md", "--jobs", "0"], ["server", "boil"]]
)
def test_a_bad_line_is_refused_alike_by_both(argv: list[str]) -> None:
    messages = []
    for parser in (build_parser(), build_parser(argv[0])):
        with pytest.raises(UsageError) as caught:
            parser.parse_args(argv)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith("schemadoc")
