"""Facts stated in prose bullet lists and paragraphs: constraints, indexes, triggers,
relationships, grants, extensions and allowed-value lists.

Each ``read_*_item`` function looks at the source text of one list item (inline
markdown, code spans intact) and returns True when it understood it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import pglast

from schemadoc.diagnostics import Diagnostic
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Check, Extension, FkAction, Span
from schemadoc.read.columns import fk_action, name_from, parse_ref
from schemadoc.read.facts import (
    DocFacts,
    FkActionFact,
    GrantFact,
    IndexFact,
    Name,
    RefFact,
    RelationshipFact,
    TableFact,
    TriggerFact,
    ValueListFact,
)
from schemadoc.read.mdtext import (
    balanced_end,
    code_span_matches,
    code_spans,
    is_identifier,
    split_names,
    split_top_level,
    unwrap,
)
from schemadoc.records import record


@record(frozen=False)
class Item:
    """One list item: its inline source, where it starts, and its raw first line."""

    text: str
    span: Span
    line_text: str = ""

    def span_of(self, snippet: str) -> Span:
        """Span of ``snippet`` inside the item's first line (the item's own span otherwise)."""
        at = self.line_text.find(snippet) if snippet else -1
        if at < 0:
            return self.span
        return Span(self.span.file, self.span.line, at + 1)


TableGetter = Callable[[], TableFact]


# --- CHECK expressions ---------------------------------------------------------------------


def _column_refs(tree: object) -> list[str]:
    """The names of the columns ``tree`` refers to, in order of appearance."""
    names: list[str] = []
    _refs_visitor()(names)(tree)
    return names


@functools.cache
def _refs_visitor() -> Callable[[list[str]], Any]:
    """The visitor class, made on first use: pglast's visitors load its printers too, which only
    documents with a CHECK written in prose need."""
    from pglast.visitors import Visitor

    class ColumnRefs(Visitor):
        def __init__(self, names: list[str]) -> None:
            super().__init__()
            self.names = names

        def visit_ColumnRef(self, parent: object, node: object) -> None:
            fields = getattr(node, "fields", ())
            if fields:
                last = fields[-1]
                name = getattr(last, "sval", None)
                if isinstance(name, str) and name not in self.names:
                    self.names.append(name)

    return ColumnRefs


def strip_outer_parens(expr: str) -> str:
    expr = expr.strip()
    while expr.startswith("(") and balanced_end(expr, 0) == len(expr):
        expr = expr[1:-1].strip()
    return expr


_PREFIX = "ALTER TABLE t ADD CHECK ("


def parse_check(expr: str, span: Span, *, name: str | None = None) -> tuple[Check | None, Diagnostic | None]:
    """A :class:`Check` for ``expr`` (no CHECK keyword), validated by PostgreSQL's parser.

    A syntax error gives an error diagnostic at the failing character and no Check."""
    expr = strip_outer_parens(expr)
    try:
        tree = pglast.parse_sql(_PREFIX + expr + ")")
    except pglast.parser.ParseError as exc:
        message = str(exc.args[0]) if exc.args else "syntax error"
        index = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else len(_PREFIX)
        offset = max(0, index - len(_PREFIX))
        at = Span(span.file, span.line, span.col + offset)
        return None, Diagnostic("SD013", "error", f"CHECK expression does not parse: {message}", at)
    return Check(expression=expr, name=name, columns=tuple(_column_refs(tree)), span=span), None


def pseudo_check(expr: str, prose: str, span: Span) -> tuple[Check, Diagnostic]:
    """A CHECK written in pseudo-SQL (``a XOR b XOR c``): kept as written, with a warning."""
    expr = strip_outer_parens(expr)
    names = [w for w in re.findall(r"[A-Za-z_]\w*", expr) if w.upper() not in ("XOR", "AND", "OR", "NOT")]
    hint = None
    if re.search(r"\bXOR\b", expr, re.IGNORECASE) and re.search(r"exactly one", prose, re.IGNORECASE):
        hint = f"in SQL: num_nonnulls({', '.join(names)}) = 1"
    elif re.search(r"\bXOR\b", expr, re.IGNORECASE):
        hint = "XOR is not SQL; write the condition with num_nonnulls() or boolean operators"
    check = Check(expression=expr, name=None, columns=tuple(names), span=span)
    message = f"CHECK is written in pseudo-SQL and cannot be built as written: {expr}"
    return check, Diagnostic("SD012", "warning", message, span, hint)


# --- constraint bullets ------------------------------------------------------------------

_CHECK_RE = lazy_regex(r"^CHECK\s*\(", re.IGNORECASE)
_UNIQUE_RE = lazy_regex(r"^UNIQUE\s*(?:NULLS\s+NOT\s+DISTINCT\s*)?\(([^)]*)\)\s*$", re.IGNORECASE)
_PK_RE = lazy_regex(r"^PRIMARY\s+KEY\s*\(([^)]*)\)\s*$", re.IGNORECASE)
_FK_ACTION_PROSE = lazy_regex(
    r"ON\s+(DELETE|UPDATE)\s+(CASCADE|SET\s+NULL|SET\s+DEFAULT|RESTRICT|NO\s+ACTION)\s*`?\s*(?:from|to|on)\s+(.+)$",
    re.IGNORECASE,
)
_FK_SQL_RE = lazy_regex(r"^FOREIGN\s+KEY\s*\(([^)]*)\)\s*REFERENCES\s+(.+)$", re.IGNORECASE)


def _cols(text: str) -> list[str]:
    return [c.strip().strip('`"') for c in text.split(",") if c.strip()]


def read_constraint_item(item: Item, table: Name, get_table: TableGetter, out: DocFacts) -> bool:
    """``CHECK (...)``, ``UNIQUE (a, b)``, ``PRIMARY KEY (a)``, "`ON DELETE CASCADE` from papers",
    "`CHECK` - Exactly one parent: `(a XOR b)`", "`name` - Unique constraint on (a, b)"."""
    text = item.text.strip()
    spans = code_span_matches(text)
    plain = unwrap(text)
    m = _FK_ACTION_PROSE.search(plain)
    if m:
        action = fk_action(m.group(2))
        parents = split_names(re.sub(r"\(.*?\)", "", m.group(3)))
        for parent in parents:
            fact = FkActionFact(table=table, parent=name_from(parent), span=item.span)
            if m.group(1).upper() == "DELETE":
                fact.on_delete = action
            else:
                fact.on_update = action
            out.fk_actions.append(fact)
        return bool(parents)
    first = spans[0].group(2).strip() if spans else ""
    if first.upper() == "CHECK" and len(spans) >= 2:
        expr = spans[1].group(2).strip()
        span = item.span_of(spans[1].group(0))
        check, diag = parse_check(expr, span)
        if check is None:
            check, diag = pseudo_check(expr, plain, span)
        get_table().checks.append(check)
        out.diagnostics.append(diag) if diag else None
        return True
    sql_text = first if spans and spans[0].start() == 0 else plain
    return _constraint_sql(sql_text, item, item.span_of(sql_text), table, get_table, out, plain)


def _constraint_sql(
    sql_text: str, item: Item, span: Span, table: Name, get_table: TableGetter, out: DocFacts, prose: str
) -> bool:
    name: str | None = None
    cm = re.match(r"^CONSTRAINT\s+(\S+)\s+(.*)$", sql_text, re.IGNORECASE | re.DOTALL)
    if cm:
        name, sql_text = cm.group(1).strip('"'), cm.group(2)
    if _CHECK_RE.match(sql_text):
        open_at = sql_text.index("(")
        end = balanced_end(sql_text, open_at)
        expr = sql_text[open_at + 1 : end - 1] if end > 0 else sql_text[open_at + 1 :]
        check, diag = parse_check(expr, Span(span.file, span.line, span.col + open_at + 1), name=name)
        if check is None and re.search(r"\bXOR\b", expr, re.IGNORECASE):
            check, diag = pseudo_check(expr, prose, span)
        if check is not None:
            get_table().checks.append(check)
        if diag is not None:
            out.diagnostics.append(diag)
        return True
    um = _UNIQUE_RE.match(sql_text)
    if um:
        nnd = "NULLS NOT DISTINCT" in " ".join(sql_text.upper().split())
        get_table().uniques.append((_cols(um.group(1)), name, span, nnd))
        return True
    pm = _PK_RE.match(sql_text)
    if pm:
        fact = get_table()
        fact.primary_key = _cols(pm.group(1))
        fact.primary_key_name = name
        return True
    fm = _FK_SQL_RE.match(sql_text)
    if fm:
        ref, _ = parse_ref(fm.group(2), span)
        if ref is not None:
            ref.name = name
            get_table().foreign_keys.append((_cols(fm.group(1)), ref))
            return True
    # "`customers_shop_phone_unique` - Unique constraint on (shop_id, phone)"
    named = re.match(r"^`([^`]+)`\s*[-–—:]\s*(.*)$", item.text.strip())
    if named:
        rest = unwrap(named.group(2))
        um2 = re.search(r"\bunique\b[^()]*\(([^)]*)\)", rest, re.IGNORECASE)
        if um2:
            get_table().uniques.append((_cols(um2.group(1)), named.group(1), item.span, False))
            return True
    return False


# --- foreign key bullets ("`user_id` → `users(id)`") --------------------------------------

_FK_ARROW = lazy_regex(r"^`([^`]+)`\s*(?:→|->|=>|references)\s*`?([^`]+)`?(.*)$", re.IGNORECASE)


def read_fk_item(item: Item, get_table: TableGetter) -> bool:
    m = _FK_ARROW.match(item.text.strip())
    if not m:
        return False
    cols = _cols(m.group(1).strip("()"))
    ref, _ = parse_ref(m.group(2) + unwrap(m.group(3)), item.span)
    if ref is None or not cols or not all(is_identifier(c) for c in cols):
        return False
    get_table().foreign_keys.append((cols, ref))
    return True


# --- index bullets -------------------------------------------------------------------------

_INDEX_PHRASE = lazy_regex(
    r"^(?:it has an?\s+)?(?P<kind>primary\s+key|unique\s+index|unique\s+constraint|unique|"
    r"(?:(?:foreign\s+key|composite|partial|gin|gist|brin|hash|btree|b-tree|full[- ]text|covering)\s+)?index)"
    r"\s+(?:on|between|for)\s+(?:the\s+)?(?P<rest>.+)$",
    re.IGNORECASE,
)
_TABLE_COLS = lazy_regex(r"^([A-Za-z_][\w.]*)\s*\(([^)]*)\)$")
_METHODS = {"gin", "gist", "brin", "hash", "btree", "b-tree"}


def _keys_from(rest: str) -> tuple[list[str], str]:
    """Index keys from "`(a, b)` for queries" / "`a` and `b` columns" / "`a, b` (composite)";
    returns the keys and the trailing prose."""
    matches = code_span_matches(rest)
    keys: list[str] = []
    end = 0
    for m in matches:
        between = unwrap(rest[end : m.start()]).strip().lower()
        if keys and between not in ("", ",", "and", "&", "+", ", and"):
            break
        inner = m.group(2).strip()
        if inner.startswith("(") and balanced_end(inner, 0) == len(inner):
            inner = inner[1:-1]
        keys.extend(k.strip() for k in split_top_level(inner, ","))
        end = m.end()
    if not matches:
        pm = re.match(r"^\(([^)]*)\)", rest.strip())
        if pm:
            keys = [k.strip() for k in pm.group(1).split(",") if k.strip()]
            end = rest.find(")") + 1
    return keys, rest[end:].strip()


def read_index_item(item: Item, table: Name, out: DocFacts, get_table: TableGetter, *, unique: bool) -> bool:
    """Index bullets: "`name` - purpose", "`name` on `a, b` (composite)", "`name`: INDEX (a)",
    "Unique index on `email`", "Index on `(a, b)` for ...", "`t(a, b)`", "Primary key on `id`"."""
    text = item.text.strip()
    spans = code_span_matches(text)
    if spans and spans[0].start() == 0:
        first = spans[0].group(2).strip()
        tm = _TABLE_COLS.match(first)
        if tm and not re.search(r"\s(?:-|–|—|:)\s", text[spans[0].end() :][:3] + " "):
            # "`runs(plan_id)`, `run_events(run_id, seq)`": one index per code span
            found = False
            for m in spans:
                tm2 = _TABLE_COLS.match(m.group(2).strip())
                if tm2:
                    out.indexes.append(
                        IndexFact(
                            name=None,
                            table=name_from(tm2.group(1)),
                            span=item.span_of(m.group(0)),
                            keys=_cols(tm2.group(2)),
                            unique=unique,
                        )
                    )
                    found = True
            return found
        if is_identifier(first):
            rest = text[spans[0].end() :].strip()
            return _named_index(first, rest, item, table, out, unique)
    pm = _INDEX_PHRASE.match(plain_with_code(text))
    if pm:
        kind = " ".join(pm.group("kind").lower().split())
        keys, tail = _keys_from(pm.group("rest"))
        if not keys:
            return False
        if kind == "primary key":
            fact = get_table()
            fact.primary_key = keys
            return True
        method = kind.split()[0] if kind.split()[0] in _METHODS else "btree"
        out.indexes.append(
            IndexFact(
                name=None,
                table=table,
                span=item.span,
                keys=keys,
                unique=unique or kind.startswith("unique"),
                method="btree" if method == "b-tree" else method,
                purpose=_purpose(tail),
            )
        )
        return True
    return False


def _purpose(tail: str) -> str | None:
    text = unwrap(tail).strip(" -–—:")
    text = re.sub(r"^(?:the\s+)?columns?\b\.?\s*", "", text, flags=re.IGNORECASE).strip(" -–—:")
    return text or None


def plain_with_code(text: str) -> str:
    from schemadoc.read.mdtext import strip_emphasis

    return strip_emphasis(text).strip()


def _named_index(name: str, rest: str, item: Item, table: Name, out: DocFacts, unique: bool) -> bool:
    rest_plain = rest.strip()
    fact = IndexFact(name=name, table=table, span=item.span_of(f"`{name}`"), unique=unique)
    # "`name`: INDEX (a, b)" / "`name`: UNIQUE INDEX (a)"
    im = re.match(r"^[:\-–—]?\s*(UNIQUE\s+)?INDEX\s*\(([^)]*)\)(.*)$", unwrap(rest_plain), re.IGNORECASE)
    if im:
        fact.unique = unique or bool(im.group(1))
        fact.keys = _cols(im.group(2))
        out.indexes.append(fact)
        return True
    # "`name` on `a, b` (composite)", "`name` on `email` WHERE email IS NOT NULL (partial)"
    om = re.match(r"^on\s+(.*)$", rest_plain, re.IGNORECASE)
    if om:
        keys, tail = _keys_from(om.group(1))
        fact.keys = keys
        tail_plain = unwrap(tail)
        wm = re.search(r"\bWHERE\s+(.+?)\s*(?:\((?:partial|composite)\))?\s*$", tail_plain, re.IGNORECASE)
        if wm:
            fact.where = wm.group(1).strip()
        um = re.search(r"\((?:[^)]*\b)?unique\b[^)]*\)", tail_plain, re.IGNORECASE)
        if um:
            fact.unique = True
        out.indexes.append(fact)
        return True
    # "`name` - purpose"
    purpose = re.sub(r"^[-–—:]+\s*", "", unwrap(rest_plain)).strip()
    fact.purpose = purpose or None
    if re.search(r"\bunique\b", purpose, re.IGNORECASE):
        fact.unique = True
    out.indexes.append(fact)
    return True


# --- trigger bullets ------------------------------------------------------------------------

_TRIGGER_DEF = lazy_regex(
    r"^(BEFORE|AFTER|INSTEAD\s+OF)\s+(.+?)\s+ON\s+([A-Za-z_][\w.\-]*)(.*)$",
    re.IGNORECASE,
)


def read_trigger_item(item: Item, table: Name | None, function: Name | None, out: DocFacts) -> bool:
    """ "`papers_updated_at` - BEFORE UPDATE ON papers" (under a function), "`fn()` - what it does"
    (under a table: a hint naming the function), "`trigger_name` - what it does"."""
    text = item.text.strip()
    spans = code_span_matches(text)
    if not spans or spans[0].start() != 0:
        return False
    first = spans[0].group(2).strip()
    rest = re.sub(r"^[\s\-–—:]+", "", unwrap(text[spans[0].end() :]))
    tm = _TRIGGER_DEF.match(rest)
    is_function = first.endswith(")")
    bare = re.sub(r"\(.*\)$", "", first).strip()
    if not is_identifier(bare):
        return False
    fact = TriggerFact(name="" if is_function else bare, span=item.span_of(spans[0].group(0)))
    if is_function:
        fact.function = name_from(bare)
        fact.table = table
    else:
        fact.function = function
        fact.table = table
    if tm:
        timing = " ".join(tm.group(1).upper().split())
        fact.timing = (
            "INSTEAD OF" if timing == "INSTEAD OF" else ("BEFORE" if timing == "BEFORE" else "AFTER")
        )
        fact.events = [" ".join(e.split()).upper() for e in re.split(r"\s+OR\s+", tm.group(2), flags=re.I)]
        fact.table = name_from(tm.group(3))
        tail = tm.group(4)
        fact.for_each_row = not re.search(r"FOR\s+EACH\s+STATEMENT", tail, re.IGNORECASE)
        wm = re.search(r"EXECUTE\s+(?:FUNCTION|PROCEDURE)\s+([\w.]+)", tail, re.IGNORECASE)
        if wm:
            fact.function = name_from(wm.group(1))
    else:
        fact.description = rest or None
    out.triggers.append(fact)
    return True


# --- relationship bullets ------------------------------------------------------------------

_CARD_RE = lazy_regex(r"\b(one|many|1|n|m)\s*[-: ]?\s*(?:to|:)\s*[-: ]?\s*(one|many|1|n|m)\b", re.IGNORECASE)
_ARROW_REL = lazy_regex(r"^`([^`]+)`\s*(→|->|←|<-|↔|<->)\s*`([^`]+)`\s*(.*)$")
_WITH_REL = lazy_regex(r"^(one|many)[- ]to[- ](one|many)\s+(?:relationship\s+)?with\s+(.+)$", re.IGNORECASE)
_REFS_REL = lazy_regex(r"^(references|referenced by|belongs to|has many|parent|children)\s*:?\s+(.+)$", re.I)


def _cardinality(text: str) -> tuple[str, str] | None:
    m = _CARD_RE.search(text)
    if not m:
        return None

    def norm(word: str) -> str:
        return "one" if word.lower() in ("one", "1") else "many"

    return norm(m.group(1)), norm(m.group(2))


def _on_delete(text: str) -> FkAction | None:
    low = text.lower()
    if "cascade" in low:
        return "CASCADE"
    if "set null" in low:
        return "SET NULL"
    if "restrict" in low:
        return "RESTRICT"
    return None


def read_relationship_item(item: Item, current: Name | None, out: DocFacts) -> bool:
    text = item.text.strip()
    m = _ARROW_REL.match(text)
    if m and is_identifier(m.group(1)) and is_identifier(m.group(3)):
        left, arrow, right, tail = m.group(1), m.group(2), m.group(3), unwrap(m.group(4))
        card = _cardinality(tail)
        parent, child = left, right
        if arrow in ("←", "<-") or (card is not None and card == ("many", "one")):
            parent, child = right, left
        label = "-".join(card) if card else None
        out.relationships.append(
            RelationshipFact(
                parent=name_from(parent),
                child=name_from(child),
                span=item.span,
                label=label,
                on_delete=_on_delete(tail),
                optional=True if "optional" in tail.lower() else None,
            )
        )
        return True
    if current is None:
        return False
    wm = _WITH_REL.match(plain_with_code(text))
    if wm:
        card = (wm.group(1).lower(), wm.group(2).lower())
        others = split_names(re.sub(r"\((?:[^)]*)\)", "", wm.group(3)))
        tail = wm.group(3)
        for other in others:
            if card == ("one", "many"):
                parent, child = current, name_from(other)
            else:
                parent, child = name_from(other), current
            out.relationships.append(
                RelationshipFact(
                    parent=parent,
                    child=child,
                    span=item.span,
                    label="-".join(card),
                    on_delete=_on_delete(unwrap(tail)),
                    optional=True if "optional" in unwrap(tail).lower() else None,
                )
            )
        return bool(others)
    rm = _REFS_REL.match(plain_with_code(text))
    if rm:
        kind = rm.group(1).lower()
        others = split_names(rm.group(2))
        for other in others:
            if kind in ("references", "belongs to", "parent"):
                parent, child = name_from(other), current
            else:
                parent, child = current, name_from(other)
            out.relationships.append(RelationshipFact(parent=parent, child=child, span=item.span, label=kind))
        return bool(others)
    return False


# --- grants, extensions, value lists ----------------------------------------------------------

_GRANT_RE = lazy_regex(
    r"\bGRANT\s+(ALL(?:\s+PRIVILEGES)?|(?:SELECT|INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER|USAGE|EXECUTE)"
    r"(?:\s*(?:,|and)\s*(?:SELECT|INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER|USAGE|EXECUTE))*)"
    r"\s+(?:privileges\s+)?to\s+`?([\w\-]+)`?\s+on\s+(?:all\s+)?(.+)$",
    re.IGNORECASE,
)
_GRANT_KINDS = {"tables": "TABLE", "sequences": "SEQUENCE", "functions": "FUNCTION", "routines": "FUNCTION"}


def read_grant(text: str, span: Span, out: DocFacts) -> bool:
    """ "**GRANT ALL** to `service_role` on all tables, sequences, and functions"."""
    plain = unwrap(text)
    m = _GRANT_RE.search(plain)
    if not m:
        return False
    privs = re.split(r"\s*(?:,|\band\b)\s*", m.group(1).upper())
    privs = ["ALL" if p.startswith("ALL") else p for p in privs if p]
    grantee = m.group(2)
    objects = m.group(3)
    schema_m = re.search(r"\bin\s+(?:schema\s+)?`?(\w+)`?", objects, re.IGNORECASE)
    schema = schema_m.group(1) if schema_m else "public"
    found = False
    for word, kind in _GRANT_KINDS.items():
        if re.search(rf"\b{word}\b", objects, re.IGNORECASE):
            out.grants.append(
                GrantFact(
                    privileges=privs,
                    object_type=kind,  # type: ignore[arg-type]
                    objects=[],
                    grantees=[grantee],
                    span=span,
                    schema=schema,
                    bulk=f"ALL {word.upper()}" if word != "routines" else "ALL FUNCTIONS",
                )
            )
            found = True
    return found


KNOWN_EXTENSIONS = {
    "pgcrypto": "pgcrypto",
    "uuid-ossp": "uuid-ossp",
    "citext": "citext",
    "hstore": "hstore",
    "postgis": "postgis",
    "pg_trgm": "pg_trgm",
    "btree_gin": "btree_gin",
    "btree_gist": "btree_gist",
    "pgvector": "vector",
    "vector": "vector",
    "ltree": "ltree",
    "pg_stat_statements": "pg_stat_statements",
    "unaccent": "unaccent",
    "fuzzystrmatch": "fuzzystrmatch",
    "intarray": "intarray",
    "tablefunc": "tablefunc",
    "cube": "cube",
    "earthdistance": "earthdistance",
    "pg_cron": "pg_cron",
    "moddatetime": "moddatetime",
    "pgjwt": "pgjwt",
}
_EXT_RE = lazy_regex(r"([\w\-]+)\s+extension\b|\bextension\s+([\w\-]+)", re.IGNORECASE)
_EXT_WORD = lazy_regex(r"extension", re.IGNORECASE)  # in every match of _EXT_RE: a cheap first test


def read_extensions(text: str, span: Span, out: DocFacts) -> bool:
    """ "**pgcrypto extension** for `gen_random_uuid()`", "(pgcrypto extension)"."""
    found = False
    plain = unwrap(text)
    if not _EXT_WORD.search(plain):
        return False
    for m in _EXT_RE.finditer(plain):
        word = (m.group(1) or m.group(2) or "").lower().strip("`")
        name = KNOWN_EXTENSIONS.get(word)
        if name and not any(e.name == name and e.span == span for e in out.extensions):
            out.extensions.append(Extension(name=name, span=span))
            found = True
    return found


def leading_value(text: str) -> str | None:
    """The value a list item starts with: "`ready` - ...", "1. `PENDING` - ...", "ACTIVE: ..."."""
    m = re.match(r"^\s*`([^`]+)`", text)
    if m:
        return m.group(1).strip().strip("'\"")
    m = re.match(r"^\s*\*\*([^*]+)\*\*", text)
    if m and re.fullmatch(r"[\w\-]+", m.group(1).strip()):
        return m.group(1).strip()
    m = re.match(r"^\s*([A-Z][A-Z0-9_]+)\s*(?:[-–—:]|$)", text)
    if m:
        return m.group(1)
    return None


def values_from_items(items: list[Item]) -> list[str] | None:
    values: list[str] = []
    for item in items:
        value = leading_value(item.text)
        if value is None:
            return None
        values.append(value)
    return values or None


def inline_values(text: str) -> list[str] | None:
    """ "`PENDING`, `PROCESSING`, ..." after a label."""
    spans = code_spans(text)
    if len(spans) >= 2:
        return spans
    words = [w.strip() for w in re.split(r"\s*,\s*|\s*\|\s*", unwrap(text)) if w.strip()]
    if len(words) >= 2 and all(re.fullmatch(r"[\w\-]+", w) for w in words):
        return words
    return None


def value_list(values: list[str], span: Span, table: Name | None, column: str | None) -> ValueListFact:
    return ValueListFact(values=values, span=span, table=table, column=column)


def ref_to(written: str, span: Span) -> RefFact:
    """``auth.users`` / ``auth.users.id`` as a reference (the last part is the column when three)."""
    parts = written.strip("`").split(".")
    if len(parts) == 3:
        return RefFact(Name(parts[1], schema=parts[0]), [parts[2]], span=span)
    return RefFact(name_from(written), [], span=span)


_ALL_FKS_RE = lazy_regex(
    r"\ball\s+foreign\s+keys\s+(?:have|use|are)\s+(?:`?on\s+delete\s+)?(cascade|set\s+null|restrict)\b",
    re.IGNORECASE,
)


def read_global_fk_action(text: str, span: Span, out: DocFacts) -> None:
    """ "All foreign keys have cascade delete behavior": an action for every foreign key whose own
    action the document does not state. Recorded as an FkActionFact on table and parent ``*``."""
    m = _ALL_FKS_RE.search(unwrap(text))
    if m is None:
        return
    action = " ".join(m.group(1).upper().split())
    out.fk_actions.append(FkActionFact(Name("*"), Name("*"), span, on_delete=action))  # type: ignore[arg-type]


_KEY_CONTEXT_RE = lazy_regex(r"primary key|\buuid", re.IGNORECASE)
_KEY_DEFAULT_RE = lazy_regex(
    r"\bgenerated\s+(?:via|by|with)\b[:*\s]*`?((?:gen_random_uuid|uuid_generate_v4)\(\))", re.IGNORECASE
)


def read_key_default(text: str, span: Span, out: DocFacts, context: str) -> None:
    """ "Generated via: `gen_random_uuid()`" in a section about primary keys or UUIDs: the default of
    every uuid primary key the document leaves without one."""
    if not _KEY_CONTEXT_RE.search(context):
        return
    m = _KEY_DEFAULT_RE.search(text.replace("**", ""))
    if m:
        out.key_defaults.append((m.group(1), span))
