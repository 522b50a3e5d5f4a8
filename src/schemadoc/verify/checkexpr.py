"""What a CHECK (or index predicate) expression says about its columns.

:func:`column_hints` parses an expression with pglast and returns, per column,
literal values worth trying: members of IN lists and ``= ANY (ARRAY[...])``,
strings matching LIKE patterns, bounds of comparisons and BETWEEN (with the
values just outside them, so a search can also find a violating row), and
strings of the lengths a ``length(col)`` comparison names. Hints are only
candidates: PostgreSQL has the last word on whether a row satisfies a check.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
from dataclasses import field
from decimal import Decimal, InvalidOperation
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind

from schemadoc.records import record

_LENGTH_FUNCS = {"length", "char_length", "character_length", "octet_length"}
_LIKE_OPS = {"~~", "~~*"}
_ORDER_OPS = {"<", "<=", ">", ">=", "=", "<>", "!="}
_MAX_TEXT_LENGTH = 2000


@record(frozen=False)
class Hint:
    """A candidate value (PostgreSQL text form) and whether it can be made fresh."""

    value: str
    like_pattern: str | None = None  # regenerate a fresh match of this pattern


@record(frozen=False)
class ExprInfo:
    columns: set[str] = field(default_factory=set)
    hints: dict[str, list[Hint]] = field(default_factory=dict)
    parsed: bool = True


def parse_expression(expr: str) -> ast.Node | None:
    """The parse tree of one SQL boolean expression, or None when pglast rejects it."""
    try:
        stmts = parse_sql(f"SELECT 1 WHERE {expr}")
    except Exception:
        return None
    stmt = stmts[0].stmt
    node = getattr(stmt, "whereClause", None)
    return node if isinstance(node, ast.Node) else None


def walk(node: Any) -> list[ast.Node]:
    found: list[ast.Node] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, ast.Node):
            found.append(cur)
            for slot in getattr(cur, "__slots__", ()):
                stack.append(getattr(cur, slot, None))
        elif isinstance(cur, (list, tuple)):
            stack.extend(cur)
    return found


def column_name(node: Any) -> str | None:
    """The column a node refers to, looking through casts and parentheses."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.ColumnRef) and node.fields:
        last = node.fields[-1]
        if isinstance(last, ast.String):
            return str(last.sval)
    return None


def constant(node: Any) -> str | None:
    """The literal a node holds (through casts), as text."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.A_Const) and not node.isnull:
        val = node.val
        if isinstance(val, ast.String):
            return str(val.sval)
        if isinstance(val, ast.Integer):
            return str(val.ival)
        if isinstance(val, ast.Float):
            return str(val.fval)
        if isinstance(val, ast.Boolean):
            return "true" if val.boolval else "false"
    return None


def referenced_columns(expr: str) -> set[str] | None:
    """Names of the columns an expression mentions (None when it does not parse)."""
    found = _referenced_columns(expr)
    return None if found is None else set(found)


@functools.lru_cache(maxsize=4096)
def _referenced_columns(expr: str) -> frozenset[str] | None:
    # probes ask about the same few expressions of a table over and over: parse each once
    node = parse_expression(expr)
    if node is None:
        return None
    return frozenset(name for n in walk(node) if (name := column_name(n)) is not None)


# literals that name a moment rather than hold a value: 'now'::timestamptz is the clock
_MOMENT_WORDS = {"now", "today", "tomorrow", "yesterday"}


def _names_a_moment(node: ast.Node) -> bool:
    return (
        isinstance(node, ast.A_Const)
        and isinstance(node.val, ast.String)
        and str(node.val.sval).strip().lower() in _MOMENT_WORDS
    )


@functools.lru_cache(maxsize=4096)
def is_constant(expr: str) -> bool:
    """Whether an expression is a literal, possibly cast: it gives the same value every time."""
    node: Any = parse_expression(expr)
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return isinstance(node, ast.A_Const) and not _names_a_moment(node)


@functools.lru_cache(maxsize=4096)
def is_timeless(expr: str) -> bool:
    """Whether an expression's value depends on the columns it reads and nothing else.

    Function calls are ruled out (one may read the clock, a table or a random source),
    and so are ``CURRENT_DATE``-like values and literals such as ``'now'``.
    """
    node = parse_expression(expr)
    if node is None:
        return False
    for n in walk(node):
        if isinstance(n, (ast.FuncCall, ast.SQLValueFunction, ast.SubLink)) or _names_a_moment(n):
            return False
    return True


def like_match(pattern: str, fresh: bool = False) -> str:
    """A string matching a LIKE pattern: ``%`` becomes a word (random when fresh), ``_`` an ``x``."""
    out: list[str] = []
    i = 0
    filled = False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i + 1])
            i += 2
            continue
        if ch == "%":
            if not filled:
                out.append(secrets.token_hex(6) if fresh else "x")
                filled = True
        elif ch == "_":
            out.append("x")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _number_neighbours(text: str) -> list[str]:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return [text]
    values = [value, value + 1, value - 1]
    if value != value.to_integral_value():
        values += [value + Decimal("0.1"), value - Decimal("0.1")]
    return [str(v) for v in values]


def _add(info: ExprInfo, column: str, hint: Hint) -> None:
    bucket = info.hints.setdefault(column, [])
    if all(h.value != hint.value for h in bucket):
        bucket.append(hint)


def _length_target(node: Any) -> str | None:
    if isinstance(node, ast.FuncCall) and node.funcname and node.args and len(node.args) == 1:
        fname = node.funcname[-1]
        if isinstance(fname, ast.String) and fname.sval in _LENGTH_FUNCS:
            return column_name(node.args[0])
    return None


def _lengths(info: ExprInfo, column: str, bound: str) -> None:
    try:
        n = int(Decimal(bound))
    except (InvalidOperation, ValueError):
        return
    for k in (n, n + 1, n - 1):
        if 0 <= k <= _MAX_TEXT_LENGTH:
            _add(info, column, Hint("a" * k))


def _comparison(info: ExprInfo, left: Any, right: Any) -> None:
    for col_side, const_side in ((left, right), (right, left)):
        col = column_name(col_side)
        value = constant(const_side)
        if col is not None and value is not None:
            for v in _number_neighbours(value):
                _add(info, col, Hint(v))
        length_col = _length_target(col_side)
        if length_col is not None and value is not None:
            _lengths(info, length_col, value)


@functools.lru_cache(maxsize=4096)
def expression_info(expr: str) -> ExprInfo:
    """Columns and candidate literals of one boolean expression (shared: do not modify it)."""
    node = parse_expression(expr)
    info = ExprInfo()
    if node is None:
        info.parsed = False
        return info
    for n in walk(node):
        name = column_name(n)
        if name is not None:
            info.columns.add(name)
        if not isinstance(n, ast.A_Expr):
            continue
        op = n.name[-1].sval if n.name and isinstance(n.name[-1], ast.String) else ""
        kind = n.kind
        if kind == A_Expr_Kind.AEXPR_IN or kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL):
            col = column_name(n.lexpr)
            items: Any = n.rexpr
            if isinstance(items, ast.A_ArrayExpr):
                items = items.elements
            if isinstance(items, ast.TypeCast) and isinstance(items.arg, ast.A_ArrayExpr):
                items = items.arg.elements
            if col is not None and isinstance(items, (list, tuple)):
                for item in items:
                    value = constant(item)
                    if value is not None:
                        _add(info, col, Hint(value))
        elif kind in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE) or (
            kind == A_Expr_Kind.AEXPR_OP and op in _LIKE_OPS
        ):
            col = column_name(n.lexpr)
            pattern = constant(n.rexpr)
            if col is not None and pattern is not None:
                _add(info, col, Hint(like_match(pattern), like_pattern=pattern))
        elif kind in (
            A_Expr_Kind.AEXPR_BETWEEN,
            A_Expr_Kind.AEXPR_NOT_BETWEEN,
            A_Expr_Kind.AEXPR_BETWEEN_SYM,
            A_Expr_Kind.AEXPR_NOT_BETWEEN_SYM,
        ):
            bounds = n.rexpr if isinstance(n.rexpr, (list, tuple)) else ()
            for bound in bounds:
                _comparison(info, n.lexpr, bound)
            if len(bounds) == 2:
                lo, hi = constant(bounds[0]), constant(bounds[1])
                col = column_name(n.lexpr)
                if col is not None and lo is not None and hi is not None:
                    with contextlib.suppress(InvalidOperation):
                        _add(info, col, Hint(str((Decimal(lo) + Decimal(hi)) / 2)))
        elif kind == A_Expr_Kind.AEXPR_OP and op in _ORDER_OPS:
            _comparison(info, n.lexpr, n.rexpr)
    return info
