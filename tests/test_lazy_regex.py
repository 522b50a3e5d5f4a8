"""Patterns compiled on first use: they answer as compiled patterns do, every one the package
holds compiles, and importing the command line and the readers compiles none of them."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import schemadoc
from schemadoc.lazy_regex import _Later, lazy_regex

PACKAGE = Path(schemadoc.__file__).parent


def test_a_lazy_pattern_answers_as_the_compiled_one() -> None:
    lazy = lazy_regex(r"(?P<word>[a-z]+)\s*=\s*(\d+)", re.IGNORECASE)
    plain = re.compile(r"(?P<word>[a-z]+)\s*=\s*(\d+)", re.IGNORECASE)
    assert lazy.pattern == plain.pattern  # known before compiling
    text = "A = 1, bb=22;  C =3"
    assert lazy.search(text).group("word") == plain.search(text).group("word")  # type: ignore[union-attr]
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert lazy.sub(r"\2", text) == plain.sub(r"\2", text)
    assert lazy.findall(text) == plain.findall(text)
    assert lazy.split(text) == plain.split(text)
    assert lazy.fullmatch("x=1") is not None and lazy.match(" x=1") is None
    assert (lazy.flags, lazy.groups, dict(lazy.groupindex)) == (
        plain.flags,
        plain.groups,
        dict(plain.groupindex),
    )
    on_bytes = lazy_regex(rb"\$(\w*)\$")
    assert on_bytes.search(b"AS $fn$ body")[1] == b"fn"  # type: ignore[index]


def test_a_bad_pattern_fails_where_it_is_first_used() -> None:
    bad = lazy_regex(r"(unclosed")
    assert bad.pattern == "(unclosed"
    with pytest.raises(re.error):
        bad.match("x")
    with pytest.raises(AttributeError):
        bad.no_such_method  # noqa: B018


def _lazy_patterns(value: Any, depth: int = 0) -> list[_Later]:
    if isinstance(value, _Later):
        return [value]
    if depth < 3 and isinstance(value, (list, tuple, set, frozenset)):
        return [p for item in value for p in _lazy_patterns(item, depth + 1)]
    if depth < 3 and isinstance(value, dict):
        return [p for item in value.values() for p in _lazy_patterns(item, depth + 1)]
    return []


def test_every_pattern_the_package_holds_compiles() -> None:
    found: list[_Later] = []
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="schemadoc."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            found.extend(_lazy_patterns(value))
    assert len(found) > 150  # the readers alone hold a few hundred
    for pattern in found:
        pattern.search(
            b"" if isinstance(pattern.pattern, bytes) else ""
        )  # raises re.error if it cannot compile


def test_no_module_compiles_a_pattern_when_imported() -> None:
    """A pattern compiled at module level is paid for by every command; make it lazy_regex."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "lazy_regex.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside_functions: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inside_functions.update(id(n) for n in ast.walk(node))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and id(node) not in inside_functions
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
            ):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_importing_the_readers_compiles_nothing() -> None:
    program = """
import re, sys
compiled = []
real = re._compile
def counting(pattern, flags):
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.endswith(("re/__init__.py", "re.py")):
        frame = frame.f_back
    if frame is not None and "schemadoc" in frame.f_code.co_filename:
        compiled.append(frame.f_code.co_filename + ":" + str(frame.f_lineno))
    return real(pattern, flags)
re._compile = counting
import schemadoc.cli, schemadoc.read, schemadoc.read.markdown, schemadoc.read.sql, schemadoc.read.resolve
print(len(compiled), compiled[:5])
"""
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert out.stdout.split(" ", 1)[0] == "0", out.stdout
