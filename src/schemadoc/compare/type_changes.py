"""What a column change costs on a live table: whether a new type rewrites the table, whether it
can lose or refuse values, and whether a new column's default makes ADD COLUMN rewrite.

Types are compared as PostgreSQL prints them (``format_type``: ``character varying(20)``,
``numeric(10,2)``, ``timestamp(3) with time zone``, ``integer[]``). The rules follow what
PostgreSQL does: it skips the rewrite when the new type is binary coercible and at least as
wide (``varchar(n)`` to ``varchar(m)`` with m >= n, ``varchar`` to ``text``, ``numeric(p,s)``
to unconstrained ``numeric``...). Anything not known to be safe is reported as the costlier
case: a rewrite, a narrowing.
"""

from __future__ import annotations

from pglast import parse_sql
from pglast.parser import ParseError
from pglast.visitors import Visitor

from schemadoc.lazy_regex import lazy_regex
from schemadoc.records import record

_TYPE = lazy_regex(
    r"^(?P<base>[a-z][a-z ]*?)(?:\((?P<mods>[0-9, ]+)\))?(?P<zone> with(?:out)? time zone)?(?P<array>(?:\[\])*)$"
)

_STRINGS = {"character varying", "text", "character"}
_INTEGERS = {"smallint": 16, "integer": 32, "bigint": 64}
_TIMES = {
    "timestamp without time zone",
    "timestamp with time zone",
    "time without time zone",
    "time with time zone",
}
# integer bounds a narrower integer type accepts
INTEGER_BOUNDS = {"smallint": (-32768, 32767), "integer": (-2147483648, 2147483647)}


@record
class ParsedType:
    name: str  # without modifiers: "character varying", "timestamp with time zone"
    mods: tuple[int, ...]  # (20,), (10, 2), ()
    array: int  # dimensions

    @property
    def length(self) -> int | None:
        return self.mods[0] if self.mods else None


def parse_type(text: str) -> ParsedType | None:
    m = _TYPE.match(text.strip())
    if m is None:
        return None
    base = m.group("base").strip()
    zone = m.group("zone") or ""
    if base in ("timestamp", "time"):
        zone = zone or " without time zone"
    mods = tuple(int(x) for x in m.group("mods").split(",")) if m.group("mods") else ()
    return ParsedType(base + zone, mods, m.group("array").count("[]"))


def _wider_mods(old: ParsedType, new: ParsedType) -> bool:
    """``new``'s modifiers accept every value ``old``'s do."""
    if not new.mods:
        return True
    if not old.mods:
        return False
    if old.name == "numeric":
        old_scale = old.mods[1] if len(old.mods) > 1 else 0
        new_scale = new.mods[1] if len(new.mods) > 1 else 0
        return new_scale == old_scale and new.mods[0] >= old.mods[0]
    return new.mods[0] >= old.mods[0]


def skips_rewrite(old_text: str, new_text: str) -> bool:
    """Whether ``ALTER COLUMN ... SET DATA TYPE new`` leaves the rows as they are."""
    if old_text == new_text:
        return True
    old, new = parse_type(old_text), parse_type(new_text)
    if old is None or new is None or old.array or new.array:
        return False
    if old.name == new.name and old.name in (
        "character varying",
        "numeric",
        "bit varying",
        *_TIMES,
    ):
        return _wider_mods(old, new)
    if old.name == "character varying" and new.name == "text":
        return True
    if old.name == "text" and new.name == "character varying":
        return not new.mods
    return old.name == "cidr" and new.name == "inet"


def _widens(old: ParsedType, new: ParsedType) -> bool:
    if old.array != new.array:
        return False
    if old.name == new.name:
        return _wider_mods(old, new)
    if new.name == "text":
        return True  # every value has a text form
    if old.name in _STRINGS and new.name == "character varying":
        return not new.mods
    if old.name in _INTEGERS and new.name in _INTEGERS:
        return _INTEGERS[new.name] >= _INTEGERS[old.name]
    if old.name in _INTEGERS and new.name == "numeric":
        return not new.mods
    if new.name == "double precision":
        return old.name in ("real", "smallint", "integer")
    if new.name == "real":
        return old.name == "smallint"
    if old.name == "date" and new.name.startswith("timestamp"):
        return not new.mods
    if old.name.startswith("timestamp") and new.name.startswith("timestamp"):
        return _wider_mods(old, new)
    return old.name == "cidr" and new.name == "inet"


def narrows(old_text: str, new_text: str) -> bool:
    """Whether values of ``old`` could be lost or refused as ``new`` (true when unsure)."""
    if old_text == new_text:
        return False
    old, new = parse_type(old_text), parse_type(new_text)
    return old is None or new is None or not _widens(old, new)


def truncating_cast(new_text: str) -> bool:
    """Whether an explicit cast to ``new`` cuts values that are too long (``varchar(n)``,
    ``character(n)``, ``bit varying(n)``) where an assignment refuses them."""
    new = parse_type(new_text)
    return (
        new is not None
        and bool(new.mods)
        and new.name in ("character varying", "character", "bit varying", "bit")
    )


# Functions PostgreSQL marks STABLE or IMMUTABLE that defaults commonly call: a default made of
# these (and constants, casts, operators) is evaluated once by ADD COLUMN, not per row.
_NOT_VOLATILE = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "current_setting",
        "current_database",
        "current_schema",
        "lower",
        "upper",
        "btrim",
        "trim",
        "concat",
        "coalesce",
        "make_interval",
        "make_date",
        "to_timestamp",
        "jsonb_build_object",
        "json_build_object",
        "jsonb_build_array",
        "json_build_array",
        "array_fill",
    }
)


class _Calls(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def visit_FuncCall(self, ancestors: object, node: object) -> None:
        parts = [getattr(p, "sval", "") for p in getattr(node, "funcname", ()) or ()]
        self.names.append(parts[-1] if parts else "")


def default_rewrites(default: str | None) -> bool:
    """Whether ADD COLUMN with this default (PostgreSQL's text of it) rewrites the table: a
    default that calls a function not known to be stable or immutable (``nextval``,
    ``gen_random_uuid``, ``clock_timestamp``, any function of the document's) is evaluated
    for every row. Text that does not parse counts as rewriting."""
    if default is None:
        return False
    try:
        tree = parse_sql(f"SELECT {default}")
    except ParseError:
        return True
    calls = _Calls()
    calls(tree)
    return any(name not in _NOT_VOLATILE for name in calls.names)
