"""Helpers over pglast's JSON parse tree, shared by the SQL statement readers.

The JSON tree omits fields at their default value (``0``, ``false``, empty
strings, empty lists), so every lookup here has a default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from schemadoc import sequence_options
from schemadoc.diagnostics import Diagnostic, not_built
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import DEFAULT_SCHEMA, Span
from schemadoc.read.facts import DocFacts, Name
from schemadoc.read.sql_source import SqlSource
from schemadoc.records import record
from schemadoc.sqlnames import quote_ident
from schemadoc.types import normalize_type

Json = dict[str, Any]

SKIP_CODE = "SD010"


# pg_catalog internal type names -> a spelling normalize_type knows.
_INTERNAL_TYPES = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "timestamptz": "timestamptz",
    "timestamp": "timestamp",
    "timetz": "timetz",
    "time": "time",
    "varbit": "bit varying",
}


@record(frozen=False)
class Stmt:
    """One statement being read: its source, where its node offsets start, and where facts go."""

    src: SqlSource
    base: int  # byte offset of the parsed piece in the block
    start: int  # first byte of the statement (after leading whitespace and comments)
    end: int  # byte just after the statement (before its semicolon)
    facts: DocFacts
    kind: str = ""  # the parse tree's statement kind: "CreateStmt", "DoStmt", ...

    def at(self, node: Json, default: int | None = None) -> int:
        """Absolute byte offset of ``node`` (a node with a ``location``)."""
        loc = node.get("location", 0)
        if loc is None or loc < 0:
            return self.start if default is None else default
        return self.base + loc  # type: ignore[no-any-return]

    def span(self, offset: int | None = None) -> Span:
        return self.src.span(self.start if offset is None else offset)

    def note(self, message: str, *, offset: int | None = None, hint: str | None = None) -> None:
        self.facts.diagnostics.append(Diagnostic(SKIP_CODE, "note", message, self.span(offset), hint))

    def not_built(self, construct: str, why: str, *, hint: str, offset: int | None = None) -> None:
        """Say that ``construct``, recognised here, is not built (see :func:`~schemadoc.diagnostics.not_built`)."""
        self.facts.diagnostics.append(not_built(construct, why, self.span(offset), hint))

    def options_not_built(
        self, what: str, options: list[Json] | None, kept: frozenset[str], hint: str
    ) -> None:
        """A "not built" warning for each ``WITH (...)`` / routine option of ``what`` that is not in
        ``kept``. An option set to false is the default (NOT LEAKPROOF, CALLED ON NULL INPUT): nothing
        is lost."""
        for opt in options or ():
            elem = opt.get("DefElem", {})
            name = str(elem.get("defname", ""))
            arg = elem.get("arg", {})
            if name in kept or arg.get("Boolean", {"boolval": True}).get("boolval") is not True:
                continue
            self.not_built(
                f"{what} option {name.upper()}",
                f"{what} options are not part of the schema model"
                + (f" (built are: {', '.join(sorted(kept)).upper()})" if kept else ""),
                offset=self.at(elem),
                hint=hint,
            )

    def warn(self, code: str, message: str, *, offset: int | None = None, hint: str | None = None) -> None:
        self.facts.diagnostics.append(Diagnostic(code, "warning", message, self.span(offset), hint))


def unwrap(node: Json) -> tuple[str, Json]:
    """``{"Kind": {...}}`` -> ``("Kind", {...})``."""
    for kind, body in node.items():
        return kind, body if isinstance(body, dict) else {}
    return "", {}


def strs(items: list[Json] | None) -> list[str]:
    """The values of a list of ``String`` nodes (other nodes are skipped)."""
    out: list[str] = []
    for item in items or ():
        s = item.get("String")
        if s is not None:
            out.append(s.get("sval", ""))
    return out


def range_name(stmt: Stmt, rv: Json) -> Name:
    """A ``RangeVar`` as a :class:`Name` (folded as PostgreSQL folds it; ``quoted`` from the source)."""
    return Name(
        rv.get("relname", ""),
        schema=rv.get("schemaname") or None,
        quoted=stmt.src.last_name_quoted(stmt.at(rv)),
    )


def list_name(parts: list[str]) -> Name:
    """A qualified name given as a list of strings (``["app", "mood"]``)."""
    if len(parts) >= 2:
        return Name(parts[-1], schema=parts[-2], quoted=_exact(parts[-1]))
    text = parts[0] if parts else ""
    return Name(text, quoted=_exact(text))


def _exact(part: str) -> bool:
    """Whether a name part the parser gave must have been quoted: capitals or a dot in it."""
    return part != part.lower() or "." in part


def schema_and_name(parts: list[str]) -> tuple[str, str]:
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return DEFAULT_SCHEMA, parts[0] if parts else ""


def qualified_text(parts: list[str]) -> str:
    return ".".join(parts)


def name_text(name: Name) -> str:
    return f"{name.schema}.{name.text}" if name.schema else name.text


def const_int(node: Json) -> int | None:
    const = node.get("A_Const")
    if const is None:
        return None
    if "ival" in const:
        return int(const["ival"].get("ival", 0))
    return None


def type_text(stmt: Stmt, tn: Json) -> tuple[str, str]:
    """``(type, type as written)`` of a ``TypeName``: PostgreSQL's spelling for built-in types,
    the (quoted where needed) name for other types."""
    names = tuple(strs(tn.get("names")))
    loc = stmt.at(tn, default=-1)
    written = _written_type(stmt, loc) if loc >= 0 else ""
    dims = len(tn.get("arrayBounds") or ())
    typmods = tn.get("typmods")
    mods = tuple(const_int(m) for m in typmods) if typmods else ()
    if names[0] == "pg_catalog" and names[-1] == "interval" and mods:
        canon = written.lower() or "interval"
        return canon, written or canon
    quoted_char = names == ("char",) and stmt.src.is_quoted(loc)
    canon = _canonical_type(names, mods, dims, quoted_char)
    return canon, written or canon


@lru_cache(maxsize=4096)
def _canonical_type(
    names: tuple[str, ...], mods: tuple[int | None, ...], dims: int, quoted_char: bool
) -> str:
    if quoted_char:
        return '"char"' + "[]" * dims
    builtin = names[0] == "pg_catalog" and len(names) == 2
    base = names[-1] if names else ""
    if builtin:
        base = _INTERNAL_TYPES.get(base, base)
    known_mods = bool(mods) and None not in mods
    if (builtin or len(names) == 1) and base == base.lower():
        mod_text = f"({','.join(str(m) for m in mods)})" if known_mods else ""
        canon = normalize_type(f"{base}{mod_text}{'[]' * dims}")
        if canon is not None:
            return canon
    mod_text = f"({', '.join(str(m) for m in mods)})" if known_mods else ""
    return ".".join(quote_ident(p) for p in names) + mod_text + "[]" * dims


_IDENT = rb'(?:"(?:[^"]|"")*"|[A-Za-z_\x80-\xff][\w$\x80-\xff]*)'
_WRITTEN_TYPE = lazy_regex(
    rb"(?:national\s+)?" + _IDENT + rb"(?:\s*\.\s*" + _IDENT + rb")*"
    rb"(?:\s+(?:varying|precision)\b)?"
    rb"(?:\s*\(\s*[-\w\s,]*\))?"
    rb"(?:\s+with(?:out)?\s+time\s+zone\b)?"
    rb"(?:\s+(?:year|month|day|hour|minute|second)\b(?:\s+to\s+(?:month|hour|minute|second)\b)?"
    rb"(?:\s*\(\s*\d+\s*\))?)?"
    rb"(?:\s*\[\s*\d*\s*\])*"
    rb"(?:\s+array\b(?:\s*\[\s*\d*\s*\])?)?",
    re.IGNORECASE,
)
_SPACES = lazy_regex(rb"\s+")
_UNUSUAL_SPACE = lazy_regex(rb"\s\s|[\t\n\r\f\v]")


def _written_type(stmt: Stmt, loc: int) -> str:
    """The type as written at ``loc``, on one line."""
    m = _WRITTEN_TYPE.match(stmt.src.b, loc)
    if m is None:
        return ""
    written = m.group()
    if not written.isalnum() and _UNUSUAL_SPACE.search(written):
        written = _SPACES.sub(b" ", written)
    return written.decode("utf-8", errors="replace")


def column_refs(node: Any) -> list[str]:
    """Column names an expression mentions (last part of each ``ColumnRef``), in order, unique."""
    found: list[str] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            ref = cur.get("ColumnRef")
            if ref is not None:
                fields = strs(ref.get("fields"))
                if fields and fields[-1] not in found:
                    found.append(fields[-1])
                continue
            values: Iterable[Any] = reversed(cur.values())
        elif isinstance(cur, list):
            values = reversed(cur)
        else:
            continue
        # only what can hold a node is pushed: names, numbers and locations never are
        for value in values:
            if isinstance(value, (dict, list)):
                stack.append(value)
    return found


def role_name(spec: Json) -> str:
    kind = spec.get("roletype", "")
    if kind == "ROLESPEC_CSTRING":
        return str(spec.get("rolename", ""))
    return {
        "ROLESPEC_PUBLIC": "public",
        "ROLESPEC_CURRENT_USER": "current_user",
        "ROLESPEC_SESSION_USER": "session_user",
        "ROLESPEC_CURRENT_ROLE": "current_role",
    }.get(kind, str(spec.get("rolename", "")))


def def_elems(options: list[Json] | None) -> dict[str, Json]:
    """``DefElem`` options by name."""
    out: dict[str, Json] = {}
    for opt in options or ():
        d = opt.get("DefElem")
        if d is not None:
            out[d.get("defname", "")] = d
    return out


def def_str(elem: Json | None) -> str | None:
    if elem is None:
        return None
    arg = elem.get("arg")
    if isinstance(arg, dict):
        s = arg.get("String")
        if s is not None:
            return str(s.get("sval", ""))
    return None


def def_bool(elem: Json | None, default: bool = False) -> bool:
    if elem is None:
        return default
    arg = elem.get("arg")
    if isinstance(arg, dict):
        if "Boolean" in arg:
            return bool(arg["Boolean"].get("boolval", False))
        if "Integer" in arg:
            return bool(arg["Integer"].get("ival", 0))
    return True


def sequence_option_values(opts: dict[str, Json]) -> tuple[tuple[str, int | bool | None], ...]:
    """The options among INCREMENT, MINVALUE, MAXVALUE, START, CACHE and CYCLE that are stated,
    in order; NO MINVALUE and NO MAXVALUE as None."""
    out: list[tuple[str, int | bool | None]] = []
    for name in sequence_options.OPTIONS:
        elem = opts.get(name)
        if elem is None:
            continue
        arg = elem.get("arg")
        if name == "cycle":
            out.append((name, def_bool(elem)))
        elif not isinstance(arg, dict):
            out.append((name, None))
        elif "Integer" in arg:
            out.append((name, int(arg["Integer"].get("ival", 0))))
        elif "Float" in arg:  # past 32 bits the parser keeps the digits
            out.append((name, int(arg["Float"].get("fval", "0"))))
    return tuple(out)
