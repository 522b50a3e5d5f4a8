"""The collector is paused for a block and turned back on after it, also when the block fails,
and a nested pause leaves the outer one in charge."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemadoc.cli import main
from schemadoc.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.enable()
    yield
    if not was_on:
        gc.disable()


def test_paused_inside_and_on_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block does not turn it back on
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # nothing is left frozen


def test_on_again_after_a_failure() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_the_command_line_leaves_it_on(tmp_path: Path) -> None:
    doc = tmp_path / "d.md"
    doc.write_text("# D\n\n```sql\nCREATE TABLE t (id int PRIMARY KEY);\n```\n")
    assert main(["check", str(doc)]) == 0
    assert gc.isenabled()
    assert main(["check", str(tmp_path / "missing.md")]) != 0
    assert gc.isenabled()
