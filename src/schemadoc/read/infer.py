"""Inferences the resolver makes where a document leaves a gap. Each is reported.

- :func:`index_from_name`: the columns of an index the document names only
  (``runs_paper_id_status_idx`` - "Composite for dashboard queries"), matched
  against the table's real columns. A name part that matches no column is
  never turned into one.
- :func:`type_from_name`: a type for a column the document lists without one.
"""

from __future__ import annotations

import re

from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Table
from schemadoc.read.names import singular
from schemadoc.records import record

_SUFFIXES = ("idx", "index", "uniq", "unique", "key", "ix", "fk", "fkey")
_DESC_WORDS = lazy_regex(r"\b(desc|descending|latest|newest|largest|most recent)\b", re.I)
_PARTIAL = lazy_regex(r"\bpartial\b", re.I)
_NON_VALUE = lazy_regex(r"\bnon[- ]([a-z0-9_]+)\b", re.I)


@record(frozen=False)
class IndexGuess:
    keys: list[str]
    where: str | None
    explanation: str


def _strip_table(tokens: list[str], table: str) -> list[str]:
    for prefix in (table, singular(table)):
        ptoks = prefix.split("_")
        if tokens[: len(ptoks)] == ptoks:
            return tokens[len(ptoks) :]
    return tokens


def _match_columns(tokens: list[str], columns: list[str], purpose: str) -> tuple[list[str], list[str]] | None:
    """Greedy left-to-right: the longest token run naming a column (exactly, with ``_id``, or as a
    prefix/suffix of one column). Returns (columns, leftover tokens)."""
    found: list[str] = []
    leftover: list[str] = []
    i = 0
    while i < len(tokens):
        match: str | None = None
        width = 0
        for j in range(len(tokens), i, -1):
            run = "_".join(tokens[i:j])
            candidates = [run] if run in columns else []
            if not candidates and f"{run}_id" in columns:
                candidates = [f"{run}_id"]
            if not candidates:
                candidates = [c for c in columns if c.startswith(run + "_") or c.endswith("_" + run)]
                if len(candidates) > 1:
                    words = set(re.findall(r"[a-z0-9]+", purpose.lower()))
                    scored = [c for c in candidates if set(c.split("_")) - set(run.split("_")) & words]
                    run_parts = set(run.split("_"))
                    scored += [
                        c
                        for c in candidates
                        if any(
                            w.startswith(p)
                            for p in set(c.split("_")) - run_parts
                            for w in words
                            if len(p) >= 3
                        )
                        and c not in scored
                    ]
                    candidates = scored[:1] if len(scored) >= 1 else []
            if len(candidates) == 1 and candidates[0] not in found:
                match, width = candidates[0], j - i
                break
        if match is None:
            leftover.append(tokens[i])
            i += 1
        else:
            found.append(match)
            i += width
    if not found:
        return None
    return found, leftover


def _quote_value(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def index_from_name(
    name: str, table: Table, purpose: str, unique: bool, values: dict[str, list[str]]
) -> IndexGuess | None:
    """Guess an index's keys (and predicate) from its name and the words that describe it.

    ``values`` maps a column to its allowed values (from CHECK IN lists), so that a name part that is
    one of those values (``assets_plan_notebook_uniq``) becomes a predicate ``kind = 'notebook'``.
    """
    columns = [c.name for c in table.columns]
    tokens = [t for t in name.lower().split("_") if t]
    while tokens and tokens[-1] in _SUFFIXES:
        tokens.pop()
    tokens = _strip_table(tokens, table.name.lower())
    matched = _match_columns(tokens, columns, purpose)
    if matched is None:
        return None
    keys, leftover = matched
    notes: list[str] = []
    predicates: list[str] = []
    for word in leftover:
        owners = [col for col, vals in values.items() if word in vals]
        if len(owners) == 1:
            predicates.append(f"{owners[0]} = {_quote_value(word)}")
            notes.append(f"'{word}' read as {owners[0]} = '{word}'")
        else:
            return None  # a name part we cannot place: do not guess
    partial = bool(_PARTIAL.search(purpose)) or (unique and predicates)
    if partial:
        non = _NON_VALUE.search(purpose)
        if non and not predicates:
            word = non.group(1).lower()
            owners = [col for col in keys if word in values.get(col, [])]
            if owners:
                predicates.append(f"{owners[0]} <> {_quote_value(word)}")
        if not any(" <> " in p for p in predicates):
            for key in keys:
                col = table.column(key)
                if col is not None and col.nullable and key not in values:
                    predicates.append(f"{key} IS NOT NULL")
    if _DESC_WORDS.search(purpose):
        last = next((k for k in reversed(keys) if not k.endswith("_id") and k != "id"), None)
        if last is not None:
            keys = [f"{k} DESC" if k == last else k for k in keys]
    where = " AND ".join(predicates) if predicates else None
    explanation = f"columns ({', '.join(keys)}) inferred from the index name"
    if where:
        explanation += f", predicate WHERE {where}"
    if notes:
        explanation += f" ({'; '.join(notes)})"
    return IndexGuess(keys=keys, where=where, explanation=explanation)


_TYPE_BY_NAME: list[tuple[re.Pattern[str], str]] = [
    (lazy_regex(r"(_at|_on|^ts|_ts|timestamp)$"), "timestamp with time zone"),
    (lazy_regex(r"(_date|^date)$"), "date"),
    (lazy_regex(r"^(is|has|can|should)_"), "boolean"),
    (
        lazy_regex(r"(_count|_minutes|_seconds|_sec|_ms|^seq|^step|^attempts|^budget.*|^version_num)$"),
        "integer",
    ),
    (lazy_regex(r"(_json|^payload|^metadata|^json|^config)$"), "jsonb"),
]


def type_from_name(column: str, id_type: str | None) -> tuple[str, str]:
    """A type for an untyped column, and why. ``id_type`` is the type the document uses for
    identifiers elsewhere (``uuid`` in most documents that say so)."""
    name = column.lower()
    if name == "id" or name.endswith("_id") or name.endswith("_by"):
        chosen = id_type or "text"
        return chosen, f"identifier column, typed like the document's other identifiers ({chosen})"
    for pattern, type_name in _TYPE_BY_NAME:
        if pattern.search(name):
            return type_name, f"from the column name ({pattern.pattern})"
    return "text", "no type given; text is the safe default"
