"""``@record`` classes behave as ``@dataclass(frozen=True, slots=True)`` classes do: the same
equality, hashing, ordering and ``repr`` for any values, frozen fields, and the standard
library's dataclass helpers and pickling work on them."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from dataclasses import FrozenInstanceError, dataclass, field
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemadoc.model import Column, Span, Table
from schemadoc.records import record


@record(order=True)
class Rec:
    name: str
    size: int = 0
    note: str | None = field(default=None, compare=False)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, order=True)
class Plain:
    name: str
    size: int = 0
    note: str | None = field(default=None, compare=False)
    tags: tuple[str, ...] = ()


@record
class Base:
    name: str
    note: str = field(default="", compare=False)


@record
class Child(Base):
    size: int = 0


_VALUES = st.tuples(
    st.sampled_from(["a", "b", "ab", ""]),
    st.integers(-2, 2),
    st.none() | st.sampled_from(["x", "y"]),
    st.lists(st.sampled_from(["t", "u"]), max_size=2).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(_VALUES, _VALUES)
def test_a_record_compares_hashes_orders_and_prints_as_a_dataclass(a: tuple, b: tuple) -> None:  # type: ignore[type-arg]
    ra, rb, pa, pb = Rec(*a), Rec(*b), Plain(*a), Plain(*b)
    assert (ra == rb) is (pa == pb)
    assert (ra != rb) is (pa != pb)
    assert (hash(ra) == hash(rb)) is (hash(pa) == hash(pb)) or ra != rb
    if ra == rb:
        assert hash(ra) == hash(rb)
    assert (ra < rb, ra <= rb, ra > rb, ra >= rb) == (pa < pb, pa <= pb, pa > pb, pa >= pb)
    assert repr(ra).replace("Rec(", "Plain(", 1) == repr(pa)
    assert dataclasses.astuple(ra) == dataclasses.astuple(pa)


def test_fields_left_out_of_comparison_do_not_count() -> None:
    assert Rec("a", 1, note="x") == Rec("a", 1, note="y")
    assert hash(Rec("a", 1, note="x")) == hash(Rec("a", 1, note="y"))
    assert Rec("a", 1) != Rec("a", 2)
    assert Rec("a") != Plain("a")  # another class is never equal, as with dataclasses
    with pytest.raises(TypeError):
        _ = Rec("a") < Plain("a")  # type: ignore[operator]


def test_a_record_is_frozen_and_slotted() -> None:
    r = Rec("a")
    with pytest.raises(FrozenInstanceError):
        r.name = "b"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del r.size  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        r.other = 1  # type: ignore[attr-defined]
    assert not hasattr(r, "__dict__")
    assert r.name == "a"


def test_dataclass_helpers_and_pickling_work() -> None:
    r = Rec("a", 2, note="n", tags=("t",))
    assert [f.name for f in dataclasses.fields(r)] == ["name", "size", "note", "tags"]
    changed = dataclasses.replace(r, size=3)
    assert (changed.name, changed.size, changed.note) == ("a", 3, "n")
    assert dataclasses.asdict(r) == {"name": "a", "size": 2, "note": "n", "tags": ("t",)}
    back = pickle.loads(pickle.dumps(r))
    assert back == r and back.note == "n" and type(back) is Rec
    match r:
        case Rec(name, size):
            assert (name, size) == ("a", 2)
        case _:
            pytest.fail("a record matches by its fields in order")


def test_the_model_survives_pickling_whole() -> None:
    table = Table("public", "t", (Column("id", "integer", nullable=False, span=Span("d.md", 3, 5)),))
    back = pickle.loads(pickle.dumps(table))
    assert back == table
    assert back.columns[0].span == Span("d.md", 3, 5)
    assert Span("a", 2, 1) < Span("a", 10, 1) < Span("b", 1, 1)


def test_defaults_factories_and_post_init() -> None:
    seen: list[str] = []

    @record
    class Box:
        items: list[int] = field(default_factory=list)
        label: str = "box"

        def __post_init__(self) -> None:
            seen.append(self.label)

    one, two = Box(), Box(label="other")
    assert one.items == [] and one.items is not two.items
    assert seen == ["box", "other"]
    with pytest.raises(TypeError):
        Box([], "x", "extra")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Box(colour="red")  # type: ignore[call-arg]


def test_methods_the_class_defines_are_kept() -> None:
    @record
    class Named:
        name: str
        note: str = ""

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Named) and other.name.lower() == self.name.lower()

        def __hash__(self) -> int:
            return hash(self.name.lower())

        def __repr__(self) -> str:
            return f"<{self.name}>"

    assert Named("A") == Named("a")
    assert hash(Named("A")) == hash(Named("a"))
    assert repr(Named("A")) == "<A>"

    @record
    class EqOnly:
        name: str

        def __eq__(self, other: object) -> bool:
            return isinstance(other, EqOnly)

    # as with dataclasses: an __eq__ of its own, and the hash is made from the fields
    assert hash(EqOnly("a")) == hash(("a",))


def test_what_a_record_cannot_be() -> None:
    with pytest.raises(TypeError, match="frozen"):

        @record
        class Loose:
            name: str

            def __setattr__(self, name: str, value: object) -> None: ...


@record(frozen=False)
class Derived:
    name: str
    cached: int = field(default=0, init=False)
    parts: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.parts = self.name.split(".")


def test_fields_not_taken_by_init_come_from_defaults_or_post_init() -> None:
    d = Derived("a.b")
    assert (d.cached, d.parts) == (0, ["a", "b"])
    with pytest.raises(TypeError):
        Derived("a", 1)  # type: ignore[call-arg]
    back = pickle.loads(pickle.dumps(d))
    assert (back.name, back.cached, back.parts) == ("a.b", 0, ["a", "b"])
    assert Derived.__match_args__ == ("name",)


def test_a_record_can_extend_another() -> None:
    c = Child("a", "n", 2)
    assert (c.name, c.note, c.size) == ("a", "n", 2)
    assert c == Child("a", "other", 2) and c != Child("a", "n", 3)
    assert pickle.loads(pickle.dumps(c)) == c
    with pytest.raises(FrozenInstanceError):
        c.name = "b"  # type: ignore[misc]


@record
class Keyed:
    name: str
    note: str | None = field(default=None, kw_only=True)
    size: int = 0


def test_keyword_only_fields_come_last_in_the_call() -> None:
    k = Keyed("a", 2, note="n")
    assert (k.name, k.size, k.note) == ("a", 2, "n")
    with pytest.raises(TypeError):
        Keyed("a", 2, "n")  # type: ignore[misc]
    back = pickle.loads(pickle.dumps(k))
    assert (back.name, back.size, back.note) == ("a", 2, "n")
    assert Keyed.__match_args__ == ("name", "size")


@dataclass(frozen=True, slots=True)
class PlainChild(Rec):
    extra: int = 0


def test_a_plain_frozen_dataclass_can_extend_a_record() -> None:
    c = PlainChild("a", 1, extra=2)
    assert (c.name, c.size, c.extra) == ("a", 1, 2)
    assert dataclasses.fields(Rec)[0].name == "name"
    with pytest.raises(FrozenInstanceError):
        c.name = "b"  # type: ignore[misc]


@record
class RecordOfPlain(Plain):
    extra: int = 0


@record
class Grandchild(Child):
    depth: int = 1


def test_records_extend_plain_frozen_dataclasses_and_each_other() -> None:
    r = RecordOfPlain("a", 1, extra=3)
    assert (r.name, r.size, r.extra) == ("a", 1, 3)
    assert r == RecordOfPlain("a", 1, note="x", extra=3)
    g = Grandchild("a", "n", 2, 4)
    assert (g.name, g.size, g.depth) == ("a", 2, 4)
    with pytest.raises(FrozenInstanceError):
        g.depth = 5  # type: ignore[misc]
    with pytest.raises(TypeError, match="non-frozen"):

        @dataclass
        class Loose:
            name: str

        @record
        class FromLoose(Loose):
            size: int = 0


@record(frozen=False)
class Tally:
    name: str
    count: int = 0
    seen: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PlainTally:
    name: str
    count: int = 0
    seen: list[str] = field(default_factory=list)


def test_a_mutable_record_is_assigned_compared_and_unhashable_as_a_dataclass() -> None:
    t = Tally("a")
    t.count += 2
    t.seen.append("x")
    assert (t.count, t.seen) == (2, ["x"])
    assert Tally("a").seen is not Tally("a").seen
    assert t == Tally("a", 2, ["x"]) and t != Tally("a", 3, ["x"])
    assert repr(t).replace("Tally(", "PlainTally(", 1) == repr(PlainTally("a", 2, ["x"]))
    with pytest.raises(TypeError):
        hash(t)
    with pytest.raises(AttributeError):
        t.other = 1  # type: ignore[attr-defined]
    back = pickle.loads(pickle.dumps(t))
    assert back == t
    with pytest.raises(TypeError, match="non-frozen"):

        @record(frozen=False)
        class MutableOfFrozen(Rec):
            extra: int = 0


def test_init_is_compiled_on_first_use_and_then_called_directly() -> None:
    @record
    class Fresh:
        name: str
        size: int = 1

    stand_in = Fresh.__dict__["__init__"]
    first = Fresh("a")
    compiled = Fresh.__dict__["__init__"]
    assert compiled is not stand_in
    assert list(inspect.signature(compiled).parameters) == ["self", "name", "size"]
    assert (first.name, first.size) == ("a", 1) and Fresh("b", size=2).size == 2
    assert Fresh.__dict__["__init__"] is compiled
    with pytest.raises(TypeError):
        Fresh()  # type: ignore[call-arg]


class NotARecord(Base):
    """A plain subclass of a frozen record (no fields, no slots of its own)."""


class WatchedTally(Tally):
    """A plain subclass of a mutable record with a __setattr__ of its own."""

    calls: ClassVar[list[str]] = []

    def __setattr__(self, name: str, value: object) -> None:
        WatchedTally.calls.append(name)
        object.__setattr__(self, name, value)


@record
class Checked:
    low: int
    high: int

    def __post_init__(self) -> None:
        # the object is already back in its own class, frozen, when __post_init__ runs
        assert type(self) is Checked
        with pytest.raises(FrozenInstanceError):
            self.low = 0  # type: ignore[misc]


def test_init_stores_fields_by_assignment_and_leaves_the_object_in_its_class() -> None:
    made = Child("a", "n", 3)
    assert type(made) is Child and (made.name, made.note, made.size) == ("a", "n", 3)
    with pytest.raises(FrozenInstanceError):
        made.size = 2  # type: ignore[misc]
    other = NotARecord("b")
    assert type(other) is NotARecord and (other.name, other.note) == ("b", "")
    with pytest.raises(FrozenInstanceError):
        other.name = "c"  # type: ignore[misc]
    assert Checked(1, 2).high == 2
    tally = Tally("t")
    assert type(tally) is Tally and tally.seen == []
    tally.count = 5
    assert tally.count == 5
    WatchedTally.calls.clear()
    watched = WatchedTally("w")
    assert type(watched) is WatchedTally and (watched.name, watched.count) == ("w", 0)
    assert WatchedTally.calls == []  # init stores through the slots, not through its __setattr__
    watched.count = 1
    assert WatchedTally.calls == ["count"]


def test_replace_of_a_plain_record_does_not_go_through_dataclasses(monkeypatch: pytest.MonkeyPatch) -> None:
    from schemadoc import records

    made = Child("a", "n", 3)

    def refused(*_: object, **__: object) -> object:
        raise AssertionError("dataclasses.replace was called")

    monkeypatch.setattr(records.dataclasses, "replace", refused)
    assert records.replace(made, size=4) == Child("a", "n", 4)
    with pytest.raises(AssertionError):  # a keyword-only field: left to dataclasses.replace
        records.replace(Keyed("k"), size=1)


def test_replace_agrees_with_dataclasses_replace() -> None:
    from schemadoc.records import replace

    made = Child("a", "n", 3)
    assert replace(made, size=4) == dataclasses.replace(made, size=4) == Child("a", "n", 4)
    assert type(replace(made, size=4)) is Child and replace(made, note="m").note == "m"
    assert replace(made) == made and replace(made) is not made
    with pytest.raises(TypeError):
        replace(made, nope=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError):  # as with dataclasses.replace, for a field init does not take
        replace(Derived("a.b"), cached=5)
    assert replace(Derived("a.b"), name="c.d").parts == ["c", "d"]
    keyed = Keyed("k", note="n", size=2)
    assert replace(keyed, size=3) == dataclasses.replace(keyed, size=3) == Keyed("k", note="n", size=3)
    other = NotARecord("b")
    assert type(replace(other, name="c")) is NotARecord and replace(other, name="c").name == "c"
    tally = Tally("t", 2)
    assert replace(tally, count=3) == Tally("t", 3) and tally.count == 2
    checked = Checked(1, 2)
    assert replace(checked, high=5) == Checked(1, 5)
