"""Type names: from the many ways documents write them to PostgreSQL's own spelling.

:func:`normalize_type` returns the spelling ``format_type`` prints (``integer``,
``timestamp with time zone``, ``character varying(255)``, ``double precision[]``)
or ``None`` for a name it does not know (an enum, a domain, or a typo: the
resolver decides). :func:`closest_type` suggests a known name for a typo.
"""

from __future__ import annotations

import re
from functools import lru_cache

from schemadoc.lazy_regex import lazy_regex

# Written name (lower case, single spaces) -> PostgreSQL's spelling.
_ALIASES: dict[str, str] = {
    # integers
    "int": "integer",
    "int4": "integer",
    "integer": "integer",
    "int2": "smallint",
    "smallint": "smallint",
    "int8": "bigint",
    "bigint": "bigint",
    "serial": "serial",
    "serial4": "serial",
    "bigserial": "bigserial",
    "serial8": "bigserial",
    "smallserial": "smallserial",
    "serial2": "smallserial",
    # numbers
    "numeric": "numeric",
    "decimal": "numeric",
    "real": "real",
    "float4": "real",
    "float": "double precision",
    "float8": "double precision",
    "double": "double precision",
    "double precision": "double precision",
    "money": "money",
    # text
    "text": "text",
    "string": "text",
    "varchar": "character varying",
    "character varying": "character varying",
    "char": "character",
    "character": "character",
    "bpchar": "character",
    "citext": "citext",
    "name": "name",
    # prisma / orm words
    "cuid": "text",
    "nanoid": "text",
    "datetime": "timestamp without time zone",
    "json": "json",
    "jsonb": "jsonb",
    "bytes": "bytea",
    # other builtins
    "boolean": "boolean",
    "bool": "boolean",
    "uuid": "uuid",
    "bytea": "bytea",
    "date": "date",
    "time": "time without time zone",
    "time without time zone": "time without time zone",
    "timetz": "time with time zone",
    "time with time zone": "time with time zone",
    "timestamp": "timestamp without time zone",
    "timestamp without time zone": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "timestamp with time zone": "timestamp with time zone",
    "interval": "interval",
    "inet": "inet",
    "cidr": "cidr",
    "macaddr": "macaddr",
    "tsvector": "tsvector",
    "tsquery": "tsquery",
    "xml": "xml",
    "oid": "oid",
    "regclass": "regclass",
    "point": "point",
    "box": "box",
    "line": "line",
    "polygon": "polygon",
    "circle": "circle",
    "int4range": "int4range",
    "int8range": "int8range",
    "numrange": "numrange",
    "tsrange": "tsrange",
    "tstzrange": "tstzrange",
    "daterange": "daterange",
    "bit": "bit",
    "varbit": "bit varying",
    "bit varying": "bit varying",
    "hstore": "hstore",
    "ltree": "ltree",
    "vector": "vector",
    "geometry": "geometry",
    "geography": "geography",
}

# Names whose modifiers PostgreSQL keeps in format_type.
_TAKES_MODIFIER = {
    "character varying",
    "character",
    "numeric",
    "bit",
    "bit varying",
    "vector",
    "timestamp without time zone",
    "timestamp with time zone",
    "time without time zone",
    "time with time zone",
    "interval",
}

_TYPE_RE = lazy_regex(
    r"""^\s*(?P<base>[a-z_][a-z0-9_ ]*?)\s*
        (?:\((?P<mod>[^)]*)\))?\s*
        (?P<tz>with(?:out)?\s+time\s+zone)?\s*
        (?P<arr>(?:\[\s*\d*\s*\]\s*)*|\s+array)?\s*$""",
    re.VERBOSE,
)


def known_type_names() -> list[str]:
    return sorted(set(_ALIASES))


@lru_cache(maxsize=4096)
def normalize_type(written: str) -> str | None:
    """PostgreSQL's spelling of a written type, or None when the name is not a built-in type."""
    text = " ".join(written.strip().lower().replace("`", "").split())
    if not text:
        return None
    text = text.removeprefix("pg_catalog.")
    array = ""
    for suffix in ("_array", "[]"):
        if text.endswith(suffix) and suffix == "_array":  # float_array (mermaid)
            text, array = text[: -len(suffix)], "[]"
    if text.endswith("?"):  # prisma optional marker
        text = text[:-1]
    m = _TYPE_RE.match(text)
    if not m:
        return None
    base = m.group("base").strip()
    tz = m.group("tz")
    if tz:
        base = f"{base} {' '.join(tz.split())}"
    mod = m.group("mod")
    arr = m.group("arr") or ""
    dims = arr.count("[") or (1 if "array" in arr else 0)
    canon = _ALIASES.get(base)
    if canon is None:
        return None
    if base in ("timestamp", "time") and tz:
        canon = _ALIASES[base + " " + " ".join(tz.split())]
    suffix = ""
    if mod is not None and canon in _TAKES_MODIFIER:
        mod_text = ",".join(p.strip() for p in mod.split(","))
        if canon.startswith(("timestamp", "time ")):
            head, _, rest = canon.partition(" ")
            canon = f"{head}({mod_text}) {rest}"
        else:
            suffix = f"({mod_text})"
    return canon + suffix + "[]" * dims + array


def closest_type(written: str) -> str | None:
    """The known type name closest to a misspelt one, for a "did you mean" hint."""
    import difflib  # only a misspelt type needs it

    word = written.strip().lower().split("(")[0].rstrip("[] ")
    close = difflib.get_close_matches(word, known_type_names(), n=5, cutoff=0.6)
    if not close:
        return None
    # Of the close names, the one that starts the way the word starts: "biginteger" is a
    # misspelt bigint rather than integer, though integer is fewer edits away.
    return max(close, key=lambda name: _shared_start(name, word))


def _shared_start(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` have in common."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def base_type(type_text: str) -> str:
    """The type without modifiers and array brackets: ``character varying(5)[]`` -> ``character varying``."""
    return re.sub(r"\(.*?\)|\[\]", "", type_text).strip()


SERIAL_TYPES = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}


def reference_type(type_text: str) -> str:
    """The type a foreign key column should have to reference a column of ``type_text``."""
    return SERIAL_TYPES.get(type_text, type_text)
