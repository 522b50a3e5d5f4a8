"""The model's objects: frozen, comparable, and built with the defaults their fields declare."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from schemadoc import model
from schemadoc.model import Column, Span, Table


def _model_classes() -> list[type]:
    return [
        obj
        for obj in vars(model).values()
        if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == model.__name__
    ]


@pytest.mark.parametrize("cls", _model_classes(), ids=lambda c: c.__name__)
def test_every_model_class_is_frozen_and_takes_its_declared_defaults(cls: type) -> None:
    fields = dataclasses.fields(cls)
    required = {
        f.name: f"{f.name}-value"
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    obj = cls(**required)
    for f in fields:
        if f.name in required:
            assert getattr(obj, f.name) == required[f.name]
        elif f.default_factory is not dataclasses.MISSING:
            assert getattr(obj, f.name) == f.default_factory()
        else:
            assert getattr(obj, f.name) == f.default
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, fields[0].name, "changed")
    assert list(inspect.signature(cls).parameters) == [f.name for f in fields]
    positional = cls(*(required[f.name] for f in fields if f.name in required))
    assert positional == obj
    if cls is not model.Schema:  # a Schema holds dicts, so it has no hash
        assert hash(positional) == hash(obj)


def test_spans_compare_in_document_order_and_do_not_decide_equality() -> None:
    assert Span("doc.md", 2) == Span("doc.md", 2, 1)
    assert sorted([Span("doc.md", 3, 1), Span("doc.md", 2, 9), Span("doc.md", 2, 4)]) == [
        Span("doc.md", 2, 4),
        Span("doc.md", 2, 9),
        Span("doc.md", 3, 1),
    ]
    a = Column("id", "bigint", nullable=False, span=Span("a.md", 1))
    b = Column("id", "bigint", nullable=False, span=Span("b.md", 9))
    assert a == b and hash(a) == hash(b)
    assert dataclasses.replace(a, nullable=True) != a


def test_replace_keeps_every_other_field() -> None:
    table = Table("app", "notes", columns=(Column("id", "bigint"),), comment="c", rls_enabled=True)
    changed = dataclasses.replace(table, comment="d")
    assert (changed.schema, changed.name, changed.columns, changed.rls_enabled) == (
        "app",
        "notes",
        table.columns,
        True,
    )
    assert changed.comment == "d" and table.comment == "c"
