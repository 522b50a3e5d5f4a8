"""Frozen, slotted record classes that are cheap to define and to make.

``@record`` makes what ``@dataclass(frozen=True, slots=True)`` makes (``@record(frozen=False)``:
``@dataclass(slots=True)``), and the standard library's helpers (``fields``, ``replace``,
``asdict``) work on it as on any dataclass; :func:`replace` here is a quicker ``replace`` for
records. It differs in cost:

- Defining one. ``dataclass`` compiles a separate function for each method (``__init__``,
  ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``, four more with
  ``order``) and renders a signature for the class's docstring; the command line defines well
  over a hundred such classes before it reads a document, and that was a fifth of ``schemadoc
  check``'s whole run. Here only ``__init__`` is compiled, when the class is first instantiated
  (a command never makes many of the classes it loads); the other methods are closures over the
  field names.
- Making one. The generated ``__init__`` stores each field by plain assignment into its slot; a
  frozen record's moves the object into a thawed twin of its class while it does (see
  :func:`_init`). ``dataclass`` goes through ``object.__setattr__`` once per field of a frozen
  class, which costs several times more, and a large document makes hundreds of thousands of
  these objects.
- Pickling one: a call of the class with the fields in order, several times quicker to load
  than the generic state of a slotted dataclass (see :mod:`schemadoc.read_cache`).

Equality, hashing, ordering and ``repr`` follow the fields' ``compare``, ``hash`` and ``repr``
flags as ``dataclass`` does; a method the class body defines itself is kept. Assigning to or
deleting a field of a frozen record raises :class:`dataclasses.FrozenInstanceError`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, overload

_T = TypeVar("_T")
_F = TypeVar("_F")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only type checkers read it, and Python 3.10's typing has not got it

    def dataclass_transform(**_options: object) -> Callable[[_F], _F]:
        return lambda decorated: decorated


__all__ = ["field", "record", "replace"]


# Every class made a record.
_RECORDS: set[type[Any]] = set()


def _frozen_setattr(self: object, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: object, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getter(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving an object's values of ``names`` as a tuple (also for one or none)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        only = attrgetter(names[0])
        return lambda obj: (only(obj),)
    return lambda obj: ()


def _in_call_order(declared: tuple[Field[Any], ...]) -> list[Field[Any]]:
    """The fields as ``__init__`` takes them: positional ones in order, then keyword-only ones."""
    return [f for f in declared if not f.kw_only] + [f for f in declared if f.kw_only]


def _restore(cls: type[_T], values: tuple[Any, ...]) -> _T:
    """Unpickle a record whose ``__init__`` does not take every field in order (keyword-only
    fields, fields it does not take): ``values`` in field order."""
    made: _T = cls.__new__(cls)
    for f, value in zip(fields(cls), values, strict=True):  # type: ignore[arg-type]
        object.__setattr__(made, f.name, value)
    return made


def _thawed(cls: type[Any]) -> type[Any]:
    """A subclass of the frozen record ``cls`` that adds nothing but plain attribute assignment.
    Its layout is that of ``cls``, so an object can be moved from one class to the other."""
    return type(
        cls.__name__,
        (cls,),
        {
            "__slots__": (),
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
            "__doc__": cls.__doc__,
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
        },
    )


def _init(cls: type[Any], declared: tuple[Field[Any], ...], *, setters: bool = False) -> Callable[..., None]:
    """``__init__`` taking the fields in order (keyword-only ones last, after ``*``; none of
    those declared ``init=False``), each stored straight into its slot. The source is made from
    the class's own field names only.

    A plain assignment into a slot is several times faster than calling the slot's setter, the
    only other way into it once ``__setattr__`` refuses: a frozen record's ``__init__`` moves the
    object into a thawed twin of its class (:func:`_thawed`) while it stores the fields, and back.
    An object of a class that extends the record without being one (which may assign otherwise)
    is handed to the ``__init__`` made with ``setters``, compiled when first needed.
    """
    env: dict[str, Any] = {"_MISSING": MISSING, "_cls": cls}
    params: list[str] = []  # the parameters as written in the signature
    names: list[str] = []  # the parameters' names, in order
    kw_only: set[str] = set()
    values: list[tuple[str, str]] = []  # (field, the expression stored into it)
    for f in _in_call_order(declared):
        name = f.name
        # the slot is the class's own, or a base record's for an inherited field
        slot = next(klass.__dict__[name] for klass in cls.__mro__ if name in klass.__dict__)
        env[f"_set_{name}"] = slot.__set__
        if not f.init:  # not taken: set from its default, or left for __post_init__ to set
            if f.default_factory is not MISSING:
                env[f"_make_{name}"] = f.default_factory
                values.append((name, f"_make_{name}()"))
            elif f.default is not MISSING:
                env[f"_default_{name}"] = f.default
                values.append((name, f"_default_{name}"))
            continue
        names.append(name)
        if f.kw_only:
            kw_only.add(name)
            if "*" not in params:
                params.append("*")
        if f.default_factory is not MISSING:
            env[f"_make_{name}"] = f.default_factory
            params.append(f"{name}=_MISSING")
            values.append((name, f"_make_{name}() if {name} is _MISSING else {name}"))
            continue
        if f.default is MISSING:
            params.append(name)
        else:
            env[f"_default_{name}"] = f.default
            params.append(f"{name}=_default_{name}")
        values.append((name, name))
    # the functions the class finds for these, looked up as on the class (not bound to an object)
    own_setattr: object = getattr(cls, "__setattr__")  # noqa: B009
    own_delattr: object = getattr(cls, "__delattr__")  # noqa: B009
    thaw = own_setattr is _frozen_setattr and own_delattr is _frozen_delattr
    if setters or not values or not (thaw or own_setattr is object.__setattr__):
        body = [f"    _set_{name}(self, {value})" for name, value in values]
    else:
        env["_by_setters"] = _compiled_later(cls, declared)
        passed = ", ".join(f"{n}={n}" if n in kw_only else n for n in names)
        body = [
            "    if self.__class__ is not _cls:",
            f"        return _by_setters(self, {passed})",
        ]
        if thaw:
            env["_thaw"], env["_Thawed"] = object.__setattr__, _thawed(cls)
            body.append('    _thaw(self, "__class__", _Thawed)')
        body.extend(f"    self.{name} = {value}" for name, value in values)
        if thaw:
            body.append("    self.__class__ = _cls")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(source, env)
    init: Callable[..., None] = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _compiled_later(cls: type[Any], declared: tuple[Field[Any], ...]) -> Callable[..., None]:
    """The ``__init__`` that stores each field through its slot's setter, compiled on first call."""
    made: list[Callable[..., None]] = []

    def by_setters(self: Any, *args: Any, **kwargs: Any) -> None:
        if not made:
            made.append(_init(cls, declared, setters=True))
        made[0](self, *args, **kwargs)

    return by_setters


def _init_on_first_call(cls: type[Any], declared: tuple[Field[Any], ...]) -> Callable[..., None]:
    """An ``__init__`` that compiles the real one (:func:`_init`) when the class is first
    instantiated, puts it in its own place, and calls it. Compiling is most of what defining a
    record costs, and many records are never made by a given command."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init = _init(cls, declared)
        if cls.__dict__.get("__init__") is __init__:
            type.__setattr__(cls, "__init__", init)
        init(self, *args, **kwargs)

    return __init__


def _methods(cls: type[Any], declared: tuple[Field[Any], ...], order: bool) -> dict[str, Any]:
    compared = _getter([f.name for f in declared if f.compare])
    hashed = _getter([f.name for f in declared if (f.compare if f.hash is None else f.hash)])
    every = _getter([f.name for f in declared])
    in_call_order = _getter([f.name for f in _in_call_order(declared)])
    positional = not any(f.kw_only or not f.init for f in declared)
    shown = [f.name for f in declared if f.repr]

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return bool(compared(self) == compared(other))
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inner})"

    def __reduce__(self: Any) -> tuple[Any, tuple[Any, ...]]:
        if positional:
            return (cls, in_call_order(self))
        return (_restore, (cls, every(self)))

    methods: dict[str, Any] = {
        "__init__": _init_on_first_call(cls, declared),
        "__eq__": __eq__,
        "__hash__": __hash__,
        "__repr__": __repr__,
        "__reduce__": __reduce__,
    }
    if order:

        def __lt__(self: Any, other: Any) -> bool:
            if other.__class__ is self.__class__:
                return bool(compared(self) < compared(other))
            return NotImplemented

        def __le__(self: Any, other: Any) -> bool:
            if other.__class__ is self.__class__:
                return bool(compared(self) <= compared(other))
            return NotImplemented

        def __gt__(self: Any, other: Any) -> bool:
            if other.__class__ is self.__class__:
                return bool(compared(self) > compared(other))
            return NotImplemented

        def __ge__(self: Any, other: Any) -> bool:
            if other.__class__ is self.__class__:
                return bool(compared(self) >= compared(other))
            return NotImplemented

        methods.update(__lt__=__lt__, __le__=__le__, __gt__=__gt__, __ge__=__ge__)
    return methods


def _slotted_dataclass(cls: type[_T], frozen: bool) -> type[_T]:
    """``cls`` as a slotted dataclass with none of the methods made yet.

    A record says it is frozen (so that a plain frozen dataclass may extend it), and dataclass
    refuses to make a class that is not from one that is. Made non-frozen, the class is spared
    the two methods dataclass would compile for a frozen one (a record sets its own), so record
    bases say they are not frozen for that moment. A plain dataclass among the bases is left to
    dataclass's own checks, with the class made frozen. A record that is not frozen extends
    only classes that are not, as with dataclass."""
    if not frozen:
        return dataclass(init=False, repr=False, eq=False, slots=True)(cls)
    bases = [b for b in cls.__mro__[1:] if "__dataclass_fields__" in b.__dict__]
    if any(b.__dict__.get("__setattr__") is not _frozen_setattr for b in bases):
        return dataclass(init=False, repr=False, eq=False, frozen=True, slots=True)(cls)
    for base in bases:
        base.__dataclass_params__.frozen = False  # type: ignore[attr-defined]
    try:
        return dataclass(init=False, repr=False, eq=False, slots=True)(cls)
    finally:
        for base in bases:
            base.__dataclass_params__.frozen = True  # type: ignore[attr-defined]


def _make(cls: type[_T], order: bool, frozen: bool) -> type[_T]:
    own = cls.__dict__
    for name in ("__setattr__", "__delattr__"):
        if frozen and name in own:
            raise TypeError(f"{cls.__name__}: a record is frozen and cannot define {name}")
    if not own.get("__doc__"):
        cls.__doc__ = cls.__name__  # else dataclass renders a signature for it, a costly step
    made = _slotted_dataclass(cls, frozen)
    declared = fields(made)  # type: ignore[arg-type]
    # Python sets __hash__ to None in a body that defines __eq__: that is not a hash of its own.
    own_hash = own.get("__hash__", MISSING) is not MISSING and not (
        own["__hash__"] is None and "__eq__" in own
    )
    methods = _methods(made, declared, order)
    if not frozen:
        methods["__hash__"] = None  # mutable and compared by value: unhashable, as with dataclass
    for name, method in methods.items():
        if name in own and (name != "__hash__" or own_hash):
            if name in ("__lt__", "__le__", "__gt__", "__ge__"):
                raise TypeError(f"{cls.__name__}: order=True and its own {name}")
            continue
        if method is not None:
            method.__qualname__ = f"{made.__qualname__}.{name}"
        setattr(made, name, method)
    # What a plain dataclass that extends this one reads: whether it is frozen, and the methods.
    params = made.__dataclass_params__  # type: ignore[attr-defined]
    params.init = params.repr = params.eq = True
    params.frozen = frozen
    params.order = order
    if frozen:
        setattr(made, "__setattr__", _frozen_setattr)  # noqa: B010 - mypy refuses assigning a method
        setattr(made, "__delattr__", _frozen_delattr)  # noqa: B010
    setattr(made, "__match_args__", tuple(f.name for f in declared if f.init and not f.kw_only))  # noqa: B010
    _RECORDS.add(made)
    return made


@overload
def record(cls: type[_T], /) -> type[_T]: ...
@overload
def record(*, order: bool = False, frozen: bool = True) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: type[_T] | None = None, /, *, order: bool = False, frozen: bool = True) -> Any:
    """Make ``cls`` a frozen, slotted dataclass; ``order=True`` adds ``<``, ``<=``, ``>``, ``>=``
    over the compared fields in order; ``frozen=False`` lets fields be assigned (and makes the
    class unhashable unless it defines ``__hash__``)."""
    if cls is None:
        return lambda c: _make(c, order, frozen)
    return _make(cls, order, frozen)


# Per record class: its field names (all taken by __init__ in order) and a getter of their values,
# or None when its __init__ does not take every field in order.
_REPLACING: dict[type[Any], tuple[dict[str, int], Callable[[Any], tuple[Any, ...]]] | None] = {}


def _replacing(cls: type[Any]) -> tuple[dict[str, int], Callable[[Any], tuple[Any, ...]]] | None:
    declared = fields(cls)
    if cls not in _RECORDS or not all(f.init and not f.kw_only for f in declared):
        made = None  # not a record (a class that extends one, say), or its __init__ takes fields otherwise
    else:
        names = [f.name for f in declared]
        made = ({name: i for i, name in enumerate(names)}, _getter(names))
    _REPLACING[cls] = made
    return made


def _replace(obj: _T, /, **changes: Any) -> _T:
    """:func:`dataclasses.replace` (a new object with ``changes`` applied), made without looking
    through the fields on every call when ``obj`` is a record whose ``__init__`` takes every field
    in order: the values are read at once and passed by position."""
    cls = obj.__class__
    how = _REPLACING[cls] if cls in _REPLACING else _replacing(cls)
    if how is None or not changes.keys() <= how[0].keys():
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    index, values_of = how
    values = list(values_of(obj))
    for name, value in changes.items():
        values[index[name]] = value
    made: _T = cls(*values)
    return made


if TYPE_CHECKING:
    # type checkers check the changes against the fields, as for dataclasses.replace
    from dataclasses import replace as replace
else:
    replace = _replace
