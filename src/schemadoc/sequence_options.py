"""A sequence's options: INCREMENT, MINVALUE, MAXVALUE, START, CACHE and CYCLE.

A sequence holds only the options that differ from PostgreSQL's defaults or that its document
states (NO MINVALUE and NO MAXVALUE are stated as None, the default bound). What they come to
follows CREATE SEQUENCE: an ascending sequence runs from 1 to its type's maximum and starts at
its minimum; a descending one runs from its type's minimum to -1 and starts at its maximum.
"""

from __future__ import annotations

OPTIONS = ("increment", "minvalue", "maxvalue", "start", "cache", "cycle")
OptionValue = int | bool | None
Options = tuple[tuple[str, OptionValue], ...]

_BOUNDS = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


def effective(data_type: str, options: Options) -> dict[str, int | bool]:
    """Every option's value for a sequence of ``data_type`` with ``options`` stated."""
    stated = dict(options)
    low, high = _BOUNDS.get(data_type, _BOUNDS["bigint"])
    increment = stated.get("increment")
    increment = 1 if increment is None else int(increment)
    minvalue, maxvalue = stated.get("minvalue"), stated.get("maxvalue")
    minvalue = (1 if increment > 0 else low) if minvalue is None else int(minvalue)
    maxvalue = (high if increment > 0 else -1) if maxvalue is None else int(maxvalue)
    start = stated.get("start")
    start = (minvalue if increment > 0 else maxvalue) if start is None else int(start)
    cache = stated.get("cache")
    return {
        "increment": increment,
        "minvalue": minvalue,
        "maxvalue": maxvalue,
        "start": start,
        "cache": 1 if cache is None else int(cache),
        "cycle": bool(stated.get("cycle")),
    }


def merged(*stated: Options) -> Options:
    """Options stated in turn (CREATE, then ALTERs), a later value over an earlier one, in
    :data:`OPTIONS` order."""
    values: dict[str, OptionValue] = {}
    for options in stated:
        values.update(options)
    return tuple((name, values[name]) for name in OPTIONS if name in values)


def values_of(data_type: str, options: Options, names: list[str] | tuple[str, ...]) -> Options:
    """The values a sequence with ``options`` stated has for ``names``."""
    values = effective(data_type, options)
    return tuple((name, values[name]) for name in names)


def moves_a_bound(names: list[str] | tuple[str, ...]) -> bool:
    """Whether setting ``names`` can fail on the sequence's data: a new MINVALUE or MAXVALUE
    that leaves out where the sequence stands."""
    return "minvalue" in names or "maxvalue" in names


def non_default(data_type: str, values: dict[str, int | bool]) -> Options:
    """The options of ``values`` (every option, as a server holds them) that differ from the
    defaults, in :data:`OPTIONS` order."""
    out: list[tuple[str, OptionValue]] = []
    increment = int(values["increment"])
    if increment != 1:
        out.append(("increment", increment))
    defaults = effective(data_type, (("increment", increment),))
    for name in ("minvalue", "maxvalue"):
        if values[name] != defaults[name]:
            out.append((name, values[name]))
    so_far = effective(data_type, tuple(out))
    for name in ("start", "cache", "cycle"):
        if values[name] != so_far[name]:
            out.append((name, values[name]))
    return tuple(out)


def differing(
    data_type: str, doc: Options, current_type: str, current: Options, stated: set[str]
) -> list[str]:
    """The options among ``stated`` whose values the two sequences do not share. An option both
    leave at its default is the same on both when they run the same way, whatever their types:
    the bound that comes with a type moves with ALTER SEQUENCE ... AS (but not with a change of
    direction, which needs the bounds stated)."""
    mine, theirs = effective(data_type, doc), effective(current_type, current)
    given, held = dict(doc), dict(current)
    same_way = (int(mine["increment"]) > 0) == (int(theirs["increment"]) > 0)
    return [
        name
        for name in OPTIONS
        if name in stated
        and mine[name] != theirs[name]
        and not (same_way and given.get(name) is None and held.get(name) is None)
    ]


def clause(options: Options) -> str:
    """``options`` as CREATE or ALTER SEQUENCE takes them (with a leading space), in order."""
    return "".join(f" {p}" for p in clauses(options))


def clauses(options: Options) -> list[str]:
    """Each of ``options`` as its own clause (``INCREMENT BY 5``, ``NO MAXVALUE``), in order."""
    parts: list[str] = []
    stated = dict(options)
    for name in OPTIONS:
        if name not in stated:
            continue
        value = stated[name]
        if name == "cycle":
            parts.append("CYCLE" if value else "NO CYCLE")
        elif value is None:
            parts.append(f"NO {name.upper()}")
        else:
            keyword = {"increment": "INCREMENT BY", "start": "START WITH"}.get(name, name.upper())
            parts.append(f"{keyword} {int(value)}")
    return parts


def show(data_type: str, options: Options, names: list[str]) -> str:
    """The values of ``names`` as a sentence fragment: ``INCREMENT BY 5, START WITH 100``."""
    return ", ".join(clauses(values_of(data_type, options, names)))
