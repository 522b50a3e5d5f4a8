"""Synthesize valid rows for any table of a :class:`~schemadoc.model.Schema`.

A row is a mapping from column name to the PostgreSQL *text* form of its value
(``None`` for NULL); columns left out of the mapping take their defaults. Values
are sent as parameters and cast to the column type by the server.

How a row is found:

- each column gets a ranked list of candidates: values the table's CHECKs
  mention (IN lists, LIKE patterns, comparison bounds and their neighbours),
  its default, enum labels, and plain values of its type;
- columns tied together by CHECKs (or by extra conditions a probe asks for)
  are searched together: candidate combinations, cheapest first, are handed
  to PostgreSQL in batches and it says which one satisfies every condition;
- foreign keys get parent rows, built the same way and inserted first
  (parents of parents first, on a work list rather than by recursion); a self-reference points at the row itself when it cannot be
  NULL; parents are reused within a transaction unless a fresh one is needed;
- columns in a primary key or unique constraint get fresh values (random
  uuids, high random integers, text with a random suffix), so rows can be
  added to a database that already holds data.

The factory only ever works inside the caller's transaction, which the caller
rolls back; see :mod:`schemadoc.verify.probes`.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import random
import re
import secrets
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import psycopg
from pglast import ast
from psycopg import sql

from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Column, Domain, ForeignKey, Index, QName, Schema, Table
from schemadoc.pg.wire import Pipe
from schemadoc.records import record
from schemadoc.sqlnames import parse_qualified
from schemadoc.verify.channel import Channel, Queued, Reply
from schemadoc.verify.checkexpr import (
    ExprInfo,
    Hint,
    expression_info,
    is_constant,
    is_timeless,
    like_match,
    parse_expression,
    referenced_columns,
    walk,
)

Row = dict[str, str | None]
Mode = Literal["not_false", "true", "false"]
Condition = tuple[str, Mode]  # (boolean SQL expression over the table's columns, what it must be)
# Steps that build a row: each parent row they need is asked for by yielding (table, referenced
# columns, fresh) and sent back once built; they return the row (see RowFactory._drive).
_Steps = Generator[tuple[QName, tuple[str, ...], bool], "Row | None", Row]

_SERIAL = {"serial": "integer", "serial4": "integer", "bigserial": "bigint", "serial8": "bigint"}
_SERIAL |= {"smallserial": "smallint", "serial2": "smallint"}
_VOLATILE_FUNCS = {
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuid_generate_v7",
    "uuidv4",
    "uuidv7",
    "nextval",
    "random",
    "gen_random_bytes",
    "clock_timestamp",
    "timeofday",
    "statement_timestamp",
}
_INT_TYPES = {"integer", "int", "int4", "bigint", "int8", "smallint", "int2"}
_NUM_TYPES = {"numeric", "decimal", "real", "double precision", "float4", "float8", "money"}
_TEXT_TYPES = {"text", "character varying", "varchar", "character", "char", "bpchar", "citext", "name"}
_BATCH = 250
_MAX_COMBOS = 3000


class RowError(Exception):
    """No valid row could be built (or inserted) for a table."""

    def __init__(self, table: QName, reason: str, *, sqlstate: str | None = None, in_trigger: bool = False):
        super().__init__(f"no valid row for {table}: {reason}")
        self.table = table
        self.reason = reason
        self.sqlstate = sqlstate
        self.in_trigger = in_trigger


@record
class UniqueKey:
    """A primary key, unique constraint or unique index, seen the same way."""

    kind: Literal["primary key", "unique", "unique index"]
    name: str | None
    columns: tuple[str, ...]  # plain column keys, or the columns an expression key mentions
    where: str | None = None
    nulls_not_distinct: bool = False
    expression: bool = False  # some key is an expression, not a plain column


def indexes_by_table(schema: Schema) -> dict[QName, list[Index]]:
    """The indexes of each table, by name (what ``schema.indexes_on`` gives, for all tables at once)."""
    out: dict[QName, list[Index]] = {}
    for idx in sorted(schema.indexes.values(), key=lambda i: i.name):
        out.setdefault(idx.table, []).append(idx)
    return out


def unique_keys(schema: Schema, table: Table, indexes: Sequence[Index] | None = None) -> list[UniqueKey]:
    """Every uniqueness promise on ``table``: primary key, unique constraints, unique indexes.

    ``indexes`` are the table's indexes when the caller has them at hand (see
    :func:`indexes_by_table`); by default they are looked up in ``schema``.
    """
    keys: list[UniqueKey] = []
    if table.primary_key:
        keys.append(UniqueKey("primary key", table.primary_key.name, table.primary_key.columns))
    for u in table.uniques:
        keys.append(UniqueKey("unique", u.name, u.columns, nulls_not_distinct=u.nulls_not_distinct))
    for idx in schema.indexes_on(table.qname) if indexes is None else indexes:
        if not idx.unique:
            continue
        cols: list[str] = []
        expression = False
        for key in idx.keys:
            plain = _plain_index_key(key)
            if plain is not None and table.column(plain) is not None:
                cols.append(plain)
                continue
            expression = True
            for c in sorted(_columns_of(key) or ()):
                if c not in cols and table.column(c) is not None:
                    cols.append(c)
        keys.append(
            UniqueKey("unique index", idx.name, tuple(cols), idx.where, idx.nulls_not_distinct, expression)
        )
    return keys


_KEY_SUFFIX = lazy_regex(r"\s+(ASC|DESC|NULLS\s+FIRST|NULLS\s+LAST)\b.*$", re.I)


def _plain_index_key(key: str) -> str | None:
    text = _KEY_SUFFIX.sub("", key.strip())
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", text):
        return text
    if re.fullmatch(r'"([^"]|"")+"', text):
        return text[1:-1].replace('""', '"')
    return None


def _columns_of(expr: str) -> set[str] | None:
    return referenced_columns(_KEY_SUFFIX.sub("", expr.strip()))


def cast_type(column: Column) -> str:
    """The type to cast a text value to for ``column``."""
    t = column.type.strip() or "text"
    return _SERIAL.get(t.lower(), t)


@functools.lru_cache(maxsize=4096)
def is_volatile_default(expr: str | None) -> bool:
    """Whether a default gives a different value each time (uuid, sequence, clock)."""
    if not expr:
        return False
    if "nextval" in expr.lower():
        return True
    node = parse_expression(f"({expr}) IS NULL")
    if node is None:
        return False
    for n in walk(node):
        if isinstance(n, ast.FuncCall) and n.funcname:
            last = n.funcname[-1]
            if isinstance(last, ast.String) and str(last.sval).lower() in _VOLATILE_FUNCS:
                return True
    return False


def _raw(text: str) -> sql.SQL:
    """SQL text from the schema (an expression or a type); ``%`` doubled for parameter queries."""
    return sql.SQL(text.replace("%", "%%"))


def table_ident(qname: QName) -> sql.Identifier:
    return sql.Identifier(qname.schema, qname.name)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, psycopg.Error) and exc.diag.message_primary:
        return exc.diag.message_primary
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def raised_in_function(exc: BaseException) -> bool:
    """Whether a server error came from inside a function (a trigger, typically)."""
    if not isinstance(exc, psycopg.Error):
        return False
    context = exc.diag.context or ""
    return exc.sqlstate == "P0001" or "function" in context.lower()


@record(frozen=False)
class _Cand:
    value: str | None
    regen: Callable[[], str] | None = None

    def materialize(self) -> str | None:
        return self.regen() if self.regen is not None else self.value


@record
class _Shape:
    """A search query in rendered pieces: ``head`` + rows of ``casts`` + ``tail``."""

    head: bytes
    tail: bytes
    casts: list[bytes]


@record(frozen=False)
class TableInfo:
    table: Table
    types: dict[str, str]
    checks: list[tuple[str, ExprInfo]]
    keys: list[UniqueKey]
    unique_columns: set[str]
    fresh_fks: set[int]  # foreign keys whose columns take part in a unique key
    hints: dict[str, list[Hint]] = field(default_factory=dict)
    column_names: list[str] = field(default_factory=list)  # in model order
    # columns of a NULLS NOT DISTINCT key: a NULL there is a value that two rows cannot share
    nulls_kept: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.column_names = [c.name for c in self.table.columns]


def _type_base(ctype: str) -> tuple[str, int | None, bool]:
    """(base type name lower case, length/precision modifier, is array)."""
    t = ctype.strip().lower()
    array = t.endswith("[]")
    t = t.rstrip("[]").strip() if array else t
    m = re.match(r"^(.*?)\s*\((\d+)(?:\s*,\s*(\d+))?\)\s*(.*)$", t)
    mod: int | None = None
    if m:
        mod = int(m.group(2)) - (int(m.group(3)) if m.group(3) else 0)
        t = (m.group(1) + (" " + m.group(4) if m.group(4) else "")).strip()
    return t, mod, array


_RANGE_KINDS = {
    "int4range": "number",
    "int8range": "number",
    "numrange": "number",
    "daterange": "date",
    "tsrange": "time",
    "tstzrange": "time",
}


def _fresh_range(kind: str) -> str:
    """A range one unit wide (a number, a day, an hour) at a random place."""
    n = random.randint(0, 1_000_000)
    if kind == "number":
        return f"[{n},{n + 1})"
    day = datetime.date(2000, 1, 1) + datetime.timedelta(days=n // 24)
    if kind == "date":
        return f"[{day},{day + datetime.timedelta(days=1)})"
    hour = n % 24
    return f"[{day} {hour:02d}:00:00,{day} {hour:02d}:59:59)"


def _fresh_text(maxlen: int | None) -> str:
    text = "sd_" + secrets.token_hex(8)
    if maxlen is not None and maxlen < len(text):
        text = secrets.token_hex(16)[:maxlen]
    return text


def _hint_fits(value: str, base: str, mod: int | None) -> bool:
    if base in _INT_TYPES:
        return re.fullmatch(r"-?\d+", value) is not None
    if base in _NUM_TYPES:
        try:
            Decimal(value)
        except InvalidOperation:
            return False
        return True
    if base == "boolean" or base == "bool":
        return value in ("true", "false")
    if base == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return False
        return True
    if base in _TEXT_TYPES and mod is not None:
        return len(value) <= mod
    return True


class RowFactory:
    """Builds rows for the tables of ``schema`` inside the current transaction of ``conn``.

    Call :meth:`begin` after each new transaction: cached parents, the clock and what
    PostgreSQL answered about candidate values belong to the transaction they were
    made in. After a :class:`RowError` or :class:`psycopg.Error` the transaction may be
    aborted: roll back to a savepoint taken before the call (see :meth:`savepoint`).
    """

    def __init__(self, conn: psycopg.Connection[Any], schema: Schema) -> None:
        self.conn = conn
        self.schema = schema
        self._stub_names = sorted({f.name for f in schema.functions.values() if f.stub})
        self._info: dict[QName, TableInfo] = {}
        self._indexes: dict[QName, list[Index]] | None = None
        self.channel = Channel(conn)
        self._sp_added: list[list[QName]] = []
        self._sp_sql: list[tuple[bytes, bytes, bytes]] = []
        self._insert_sql: dict[tuple[QName, tuple[str, ...]], bytes] = {}
        self._returning: dict[QName, sql.Composable] = {}
        self._casts: dict[str, bytes] = {}
        self._table_sql: dict[QName, tuple[bytes, bytes, dict[str, bytes]]] = {}
        self._numbers: list[bytes] = []
        self.log: list[bytes] | None = None  # the statements a probe tried, as sent
        self.last_ctid: str | None = None
        # what holds from one transaction to the next: the values of constant defaults,
        # candidate lists that read neither the clock nor a default evaluated in a
        # transaction, and answers about conditions that depend on their columns alone
        self._constant_defaults: dict[tuple[str, str], str | None] = {}  # (expression, type)
        self._generic_lists: dict[tuple[str, bool], list[_Cand]] = {}
        self._domain_chains: dict[str, list[Domain]] = {}  # by column type text
        self._lasting_candidates: dict[tuple[QName, str, bool, bool], list[_Cand]] = {}
        self._lasting_searches: dict[tuple[Any, ...], tuple[int, ...] | None] = {}
        self._lasting_plans: dict[tuple[Any, ...], dict[str, _Cand]] = {}
        self._moment_reads = 0  # counts reads of the clock and of defaults evaluated in a transaction
        self.begin()

    # -- transaction state -------------------------------------------------------------------

    def begin(self, setup: Sequence[bytes] = (), pipe: Pipe | None = None) -> None:
        """Start afresh for a new transaction; ``setup`` statements go out before its first one.

        Whatever was still pending or queued for the previous transaction is dropped: it
        ended in a rollback, which makes it moot. With ``wire`` the connection is in
        pipeline mode for the transaction and statements can be queued (see
        :class:`~schemadoc.verify.channel.Channel`).
        """
        self.channel.begin(setup, pipe)
        self._parents: dict[QName, Row] = {}
        self._plans: dict[tuple[Any, ...], dict[str, _Cand]] = {}
        self._defaults: dict[QName, dict[str, str | None]] = {}
        self._clock: dict[str, list[str]] | None = None
        self._stack: list[QName] = []  # the parents being built, outermost first
        self._building: set[QName] = set()  # the same, for quick lookups
        self._sp_added = []
        # what PostgreSQL said in this transaction, and the candidates it was asked about
        self._candidate_lists: dict[tuple[QName, str, bool, bool], list[_Cand]] = {}
        self._searched: dict[tuple[Any, ...], tuple[int, ...] | None] = {}
        # depth of the savepoint that is the newest one and untouched since it was set or
        # rolled back to (nothing ran after it), if any
        self._settled: int | None = None

    def execute(
        self,
        query: sql.Composable | bytes,
        params: Sequence[Any] | None = None,
        then: tuple[sql.Composable | bytes, Sequence[Any] | None] | None = None,
    ) -> Reply:
        """Run one statement of the transaction, preceded by the pending ones, in one round trip.

        Savepoint commands have no results to wait for, so they are held back and travel
        in the same round trip as the next statement, each as a command of its own with
        the extended query protocol: the server refuses any text that holds a second
        statement, and stops at the first error. ``then`` runs after the statement, in the
        same round trip, only when it succeeded; the reply is then its result. Values
        are bound on the client side, and every one of them sits inside a CAST to its type.
        """
        self._settled = None
        return self.channel.execute(query, params, then)

    def queue(self, statements: Sequence[bytes]) -> Queued:
        """Queue statements whose results can wait (see :meth:`Channel.queue
        <schemadoc.verify.channel.Channel.queue>`); something must run after them."""
        self._settled = None
        return self.channel.queue(statements)

    def bind(self, query: sql.Composed | sql.SQL, params: Sequence[Any]) -> bytes:
        """``query`` with its values bound, for :meth:`begin`'s setup statements."""
        return self.channel.render(query, params)

    def savepoint_commands(self, depth: int) -> tuple[bytes, bytes, bytes]:
        """SAVEPOINT, RELEASE and ROLLBACK TO for the savepoint at nesting ``depth``.

        Savepoints are strictly nested, so one name per depth suffices: PostgreSQL
        resolves a repeated name to the most recent savepoint that carries it.
        """
        while len(self._sp_sql) < depth:
            name = sql.Identifier(f"sd_sp_{len(self._sp_sql) + 1}")
            self._sp_sql.append(
                tuple(  # type: ignore[arg-type]
                    sql.SQL(text).format(name).as_bytes(self.conn)
                    for text in ("SAVEPOINT {}", "RELEASE SAVEPOINT {}", "ROLLBACK TO SAVEPOINT {}")
                )
            )
        return self._sp_sql[depth - 1]

    @property
    def depth(self) -> int:
        """How many savepoints are open (see :meth:`savepoint`)."""
        return len(self._sp_added)

    @contextmanager
    def savepoint(self, *, keep: bool = False) -> Iterator[None]:
        """A savepoint; rolled back on error, and also on success unless ``keep``.

        The commands are queued (see :meth:`execute`). A savepoint rolled back to, with
        nothing run since, serves as the next one at its depth: ``ROLLBACK TO s;
        SAVEPOINT s`` leaves the transaction just as ``ROLLBACK TO s`` does.
        """
        depth = len(self._sp_added) + 1
        create, release, rollback = self.savepoint_commands(depth)
        if self._settled != depth:
            self.channel.pending.append(create)
            self._settled = depth
        self._sp_added.append([])
        try:
            yield
        except BaseException:
            self._undo(depth, rollback)
            raise
        added = self._sp_added.pop()
        if keep:
            if self._settled != depth:
                self.channel.pending.append(release)
                self._settled = None
            # else nothing ran inside: the savepoint stays as it was set (or rolled back to),
            # untouched, and serves as the next one at its depth
            if self._sp_added:
                self._sp_added[-1].extend(added)
        else:
            self._sp_added.append(added)
            self._undo(depth, rollback)

    def _undo(self, depth: int, rollback: bytes) -> None:
        added = self._sp_added.pop()
        for key in added:
            self._parents.pop(key, None)
        if self._settled != depth:  # else nothing ran since the savepoint was set
            self.channel.pending.append(rollback)
            self._settled = depth

    def _remember_parent(self, table: QName, row: Row) -> None:
        self._parents[table] = row
        if self._sp_added:
            self._sp_added[-1].append(table)

    # -- table facts -------------------------------------------------------------------------

    def info(self, qname: QName) -> TableInfo:
        if qname in self._info:
            return self._info[qname]
        table = self.schema.tables.get(qname)
        if table is None:
            raise RowError(qname, "the document does not define this table")
        types = {c.name: cast_type(c) for c in table.columns}
        checks = [(c.expression, expression_info(c.expression)) for c in table.checks]
        if self._indexes is None:
            self._indexes = indexes_by_table(self.schema)
        keys = unique_keys(self.schema, table, self._indexes.get(qname, []))
        unique_cols = {c for k in keys for c in k.columns}
        fresh_fks = {i for i, fk in enumerate(table.foreign_keys) if set(fk.columns) & unique_cols}
        hints: dict[str, list[Hint]] = {}
        for _, ei in checks:
            for col, hs in ei.hints.items():
                bucket = hints.setdefault(col, [])
                bucket.extend(h for h in hs if all(h.value != b.value for b in bucket))
        info = TableInfo(table, types, checks, keys, unique_cols, fresh_fks, hints)
        info.nulls_kept = {c for k in keys if k.nulls_not_distinct for c in k.columns}
        self._info[qname] = info
        return info

    def _now(self) -> dict[str, list[str]]:
        self._moment_reads += 1
        if self._clock is None:
            cur = self.execute(
                sql.SQL(
                    "SELECT now()::text, (now() - interval '1 day')::text, (now() + interval '1 day')::text,"
                    " localtimestamp::text, (localtimestamp - interval '1 day')::text,"
                    " (localtimestamp + interval '1 day')::text,"
                    " current_date::text, (current_date - 1)::text, (current_date + 1)::text"
                )
            )
            r = cur.fetchone()
            assert r is not None
            self._clock = {"tz": list(r[0:3]), "ts": list(r[3:6]), "date": list(r[6:9])}
        return self._clock

    def defaults(self, qname: QName) -> dict[str, str | None]:
        """Each default of ``qname`` evaluated now, as text (None when it cannot be evaluated)."""
        if qname in self._defaults:
            return self._defaults[qname]
        info = self.info(qname)
        out: dict[str, str | None] = {}
        cols = [c for c in info.table.columns if c.default is not None and not is_volatile_default(c.default)]

        def query(subset: list[Column]) -> sql.Composed:
            return sql.SQL("SELECT {}").format(
                sql.SQL(", ").join(
                    sql.SQL("CAST(({}) AS {})::text").format(
                        _raw(c.default or "NULL"), _raw(info.types[c.name])
                    )
                    for c in subset
                )
            )

        if cols:
            try:
                with self.savepoint():
                    r = self.execute(query(cols), ()).fetchone()
                out.update(zip([c.name for c in cols], r or (), strict=False))
            except psycopg.Error:
                for col in cols:
                    try:
                        with self.savepoint():
                            r = self.execute(query([col]), ()).fetchone()
                        out[col.name] = r[0] if r else None
                    except psycopg.Error:
                        out[col.name] = None
        self._defaults[qname] = out
        for col in cols:
            if is_constant(col.default or ""):
                self._constant_defaults[(col.default or "", info.types[col.name])] = out.get(col.name)
        return out

    def default_of(self, qname: QName, column: str) -> str | None:
        """The default of one column as text (see :meth:`defaults`); a constant one is
        evaluated once, not once per transaction."""
        info = self.info(qname)
        col = info.table.column(column)
        if col is None or col.default is None:
            return None
        key = (col.default, info.types[column])
        if key in self._constant_defaults:
            return self._constant_defaults[key]
        value = self.defaults(qname).get(column)
        if key not in self._constant_defaults:
            self._moment_reads += 1
        return value

    # -- candidates --------------------------------------------------------------------------

    def _enum_labels(self, ctype: str) -> tuple[str, ...] | None:
        name = parse_qualified(ctype.strip().rstrip("[]").strip())
        found = self.schema.enums.get(name) if name is not None else None
        return found.labels if found else None

    def _generic(self, ctype: str, fresh: bool) -> list[_Cand]:
        """Plain values of a type (the same list all run long unless they read the clock)."""
        key = (ctype, fresh)
        found = self._generic_lists.get(key)
        if found is None:
            reads = self._moment_reads
            found = self._new_generic(ctype, fresh)
            if self._moment_reads == reads:
                self._generic_lists[key] = found
        return found

    def _new_generic(self, ctype: str, fresh: bool) -> list[_Cand]:
        labels = self._enum_labels(ctype)
        base, mod, array = _type_base(ctype)
        if labels is not None:
            if array:
                return [_Cand("{}")] + [_Cand("{" + _array_elem(lab) + "}") for lab in labels[:1]]
            return [_Cand(lab) for lab in labels]
        if not array:
            base_type = self._domain_base(ctype)
            if base_type is not None:
                return self._generic(base_type, fresh)
        if array:
            elems = self._generic(ctype.strip()[:-2], False)
            out = [_Cand("{}")]
            out += [_Cand("{" + _array_elem(e.value) + "}") for e in elems[:2] if e.value is not None]
            return out
        if base in _INT_TYPES:
            if base in ("smallint", "int2"):
                lo, hi = 10_000, 32_000
            elif base in ("bigint", "int8"):
                lo, hi = 10**15, 9 * 10**17
            else:
                lo, hi = 1_000_000_000, 2_000_000_000
            plain = ["1", "0", "100", "-1", "1000000"]
            fresh_c = _Cand(str(random.randint(lo, hi)), lambda: str(random.randint(lo, hi)))
            return [fresh_c] + [_Cand(v) for v in plain] if fresh else [_Cand(v) for v in plain] + [fresh_c]
        if base in _NUM_TYPES:
            digits = mod if base in ("numeric", "decimal") and mod is not None else 9
            top = max(10 ** min(digits, 15) - 1, 1)
            plain = ["1", "0", "0.5", "-1", "100"]
            fresh_c = _Cand(str(random.randint(1, top)), lambda: str(random.randint(1, top)))
            return [fresh_c] + [_Cand(v) for v in plain] if fresh else [_Cand(v) for v in plain] + [fresh_c]
        if base in _TEXT_TYPES:
            fresh_c = _Cand(_fresh_text(mod), lambda: _fresh_text(mod))
            words = [_Cand(v) for v in ("x", "abc", "", "Abc") if mod is None or len(v) <= mod]
            return [fresh_c, *words] if fresh else [*words, fresh_c]
        if base == "uuid":
            return [_Cand(str(uuid.uuid4()), lambda: str(uuid.uuid4()))]
        if base in ("boolean", "bool"):
            return [_Cand("true"), _Cand("false")]
        if base in ("timestamp with time zone", "timestamptz"):
            return [_Cand(v) for v in self._now()["tz"]]
        if base in ("timestamp without time zone", "timestamp"):
            return [_Cand(v) for v in self._now()["ts"]]
        if base == "date":
            return [_Cand(v) for v in self._now()["date"]]
        if base.startswith("time"):
            return [_Cand("12:00:00"), _Cand("00:00:00"), _Cand("23:59:59")]
        if base == "interval":
            return [_Cand("1 hour"), _Cand("0"), _Cand("-1 hour")]
        if base in ("json", "jsonb"):
            return [_Cand("{}"), _Cand("[]"), _Cand('"x"'), _Cand("1")]
        if base == "bytea":
            return [_Cand("\\x00"), _Cand("\\x" + secrets.token_hex(8), lambda: "\\x" + secrets.token_hex(8))]
        if base == "inet":
            return [_Cand("127.0.0.1"), _Cand("10.0.0.1")]
        if base == "cidr":
            return [_Cand("10.0.0.0/8")]
        if base in ("macaddr", "macaddr8"):
            return [_Cand("08:00:2b:01:02:03" + (":04:05" if base == "macaddr8" else ""))]
        if base in ("tsvector", "tsquery"):
            return [_Cand("x")]
        if base == "xml":
            return [_Cand("<x/>")]
        if base in ("point",):
            return [_Cand("(0,0)")]
        if base in _RANGE_KINDS:
            # a new small range each time: two rows never overlap by chance (an exclusion
            # constraint with && is tested with a row that repeats another's range)
            make = functools.partial(_fresh_range, _RANGE_KINDS[base])
            return [_Cand(make(), make)]
        if base in ("bit", "bit varying", "varbit"):
            return [_Cand("1" * (mod or 1))]
        fresh_c = _Cand(_fresh_text(None), lambda: _fresh_text(None))
        return [_Cand("x"), _Cand("1"), _Cand("{}"), _Cand("true"), _Cand("2000-01-01"), fresh_c]

    def _domain_base(self, ctype: str) -> str | None:
        """The type under a domain of the document (through domains over domains), or None."""
        chain = self._domains(ctype)
        return chain[-1].base_type if chain else None

    def _domains(self, ctype: str) -> list[Domain]:
        """The document's domains ``ctype`` names, a domain over a domain after it."""
        found = self._domain_chains.get(ctype)
        if found is None:
            found = self._domain_chains[ctype] = []
            name = parse_qualified(ctype.strip())
            while name is not None and (domain := self.schema.domains.get(name)) and domain not in found:
                found.append(domain)
                name = parse_qualified(domain.base_type.strip())
        return found

    def _candidates(self, info: TableInfo, col: Column, *, nullable: bool, fresh: bool) -> list[_Cand]:
        """Values to try for ``col``, best first (the same list all transaction long).

        Fresh candidates regenerate their value whenever a row is made, so sharing
        the list does not share keys between rows.
        """
        key = (info.table.qname, col.name, nullable, fresh)
        found = self._lasting_candidates.get(key)
        if found is None:
            found = self._candidate_lists.get(key)
            if found is not None:
                self._moment_reads += 1  # the list holds values of this transaction
        if found is None:
            reads = self._moment_reads
            found = self._new_candidates(info, col, nullable, fresh)
            lasting = self._moment_reads == reads
            (self._lasting_candidates if lasting else self._candidate_lists)[key] = found
        return found

    def _new_candidates(self, info: TableInfo, col: Column, nullable: bool, fresh: bool) -> list[_Cand]:
        ctype = info.types[col.name]
        base, mod, array = _type_base(ctype)
        out: list[_Cand] = [_Cand(None)] if nullable else []
        default = self.default_of(info.table.qname, col.name) if col.default is not None else None
        if default is not None:
            out.append(_Cand(default))
        if not array:
            for h in info.hints.get(col.name, ()):
                if not _hint_fits(h.value, base, mod):
                    continue
                pattern = h.like_pattern
                if pattern is not None and (fresh or col.name in info.unique_columns):
                    out.append(_Cand(like_match(pattern, True), _like_regen(pattern)))
                else:
                    out.append(_Cand(h.value))
        out.extend(self._generic(ctype, fresh))
        seen: set[str | None] = set()
        unique: list[_Cand] = []
        for c in out:
            if c.regen is None and c.value in seen:
                continue
            seen.add(c.value)
            unique.append(c)
        return unique

    # -- planning ----------------------------------------------------------------------------

    def row(
        self,
        qname: QName,
        *,
        fixed: Mapping[str, str | None] | None = None,
        omit: Sequence[str] = (),
        non_null: Sequence[str] = (),
        conditions: Sequence[Condition] = (),
        violate: str | None = None,
        fresh_fk: ForeignKey | None = None,
        no_parent: ForeignKey | None = None,
    ) -> Row:
        """Values for one valid row of ``qname`` (parents inserted as needed).

        ``fixed`` values are used as given; ``omit`` columns are left to their defaults;
        ``non_null`` columns get a value; each condition must hold; ``violate`` names a
        CHECK expression of the table that must be false while all others hold; the
        parent of ``fresh_fk`` is a new row, not a shared one; ``no_parent`` (a foreign
        key to another table) gets no parent row: its columns keep the values planned for
        them, for a caller that puts values of its own there.
        """
        fixed = dict(fixed or {})
        values = self._planned(
            qname, fixed=fixed, omit=omit, non_null=non_null, conditions=conditions, violate=violate
        )
        return self._drive(self._parent_steps_of(self.info(qname), values, fixed, fresh_fk, no_parent))

    def _planned(
        self,
        qname: QName,
        *,
        fixed: dict[str, str | None] | None = None,
        omit: Sequence[str] = (),
        non_null: Sequence[str] = (),
        conditions: Sequence[Condition] = (),
        violate: str | None = None,
    ) -> Row:
        """The values :meth:`row` plans for ``qname``, before any parent is attached."""
        info = self.info(qname)
        fixed = fixed or {}
        # without fixed values the plan is a function of the arguments: make it once (for
        # the transaction, or for good when it read no value of the transaction)
        key = None if fixed else (qname, frozenset(omit), frozenset(non_null), tuple(conditions), violate)
        chosen = None
        if key is not None:
            chosen = self._lasting_plans.get(key)
            if chosen is None:
                chosen = self._plans.get(key)
                if chosen is not None:
                    self._moment_reads += 1
        if chosen is None:
            reads = self._moment_reads
            chosen = self._plan(info, fixed, set(omit), set(non_null), list(conditions), violate)
            if key is not None:
                (self._lasting_plans if self._moment_reads == reads else self._plans)[key] = chosen
        values: Row = {c: cand.materialize() for c, cand in chosen.items()}
        values.update(fixed)
        return values

    def _plan(
        self,
        info: TableInfo,
        fixed: dict[str, str | None],
        omit: set[str],
        non_null: set[str],
        conditions: list[Condition],
        violate: str | None,
    ) -> dict[str, _Cand]:
        table = info.table
        conds: list[tuple[str, Mode, set[str] | None]] = []
        for expr, ei in info.checks:
            if not ei.parsed:
                continue  # the insert itself tells whether it holds
            conds.append((expr, "false" if expr == violate else "not_false", set(ei.columns)))
        if violate is not None and all(expr != violate for expr, *_ in conds):
            conds.append((violate, "false", _columns_of(violate)))
        for expr, mode in conditions:
            conds.append((expr, mode, _columns_of(expr)))
        colnames = {c.name for c in table.columns}
        mentioned: set[str] = set()
        for _, _, cols in conds:
            mentioned |= (cols or set()) & colnames
        fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
        chosen: dict[str, _Cand] = {}
        lists: dict[str, list[_Cand]] = {}
        for col in table.columns:
            name = col.name
            if col.generated is not None:
                continue
            if name in fixed:
                lists[name] = [_Cand(fixed[name])]
                continue
            unique = name in info.unique_columns
            if name in omit or col.identity is not None:
                if name in mentioned:
                    dv = self.default_of(table.qname, name)
                    if dv is not None:
                        lists[name] = [_Cand(dv)]
                continue
            domains = self._domains(info.types[name]) if self.schema.domains else []
            needs = (
                not col.nullable
                or name in non_null
                or name in info.nulls_kept
                or any(not d.nullable for d in domains)
            )
            if name not in mentioned:
                if (
                    col.default is not None
                    and not needs_fresh_default(col, unique)
                    and not (needs and self._stand_in_default(col.default))
                ):
                    continue
                if col.default is None and not unique and any(d.default is not None for d in domains):
                    continue  # left out, the column takes its domain's default
                if _is_serial(col) and not fixed.get(name):
                    continue
                if not needs and (name in fk_cols or col.default is None):
                    chosen[name] = _Cand(None)
                    continue
                cands = self._candidates(info, col, nullable=False, fresh=unique or name in fk_cols)
                chosen[name] = cands[0]
                continue
            lists[name] = self._candidates(info, col, nullable=not needs, fresh=unique)
        # search the columns tied together by conditions, one connected group at a time
        grouped: set[str] = set()
        for group, group_conds in _groups(conds, set(lists)):
            grouped.update(group)
            found = self._search(info, group, [lists[c] for c in group], group_conds)
            if found is None:
                described = "; ".join(
                    f"{expr} must be {'false' if mode == 'false' else 'true'}"
                    for expr, mode, _ in group_conds
                )
                raise RowError(table.qname, f"no values found for {', '.join(group)} where {described}")
            for c, cand in zip(group, found, strict=True):
                if c not in omit:
                    chosen[c] = cand
        for c, cands in lists.items():
            if c not in grouped and c not in omit:
                chosen[c] = cands[0]
        return chosen

    def _search(
        self, info: TableInfo, cols: list[str], lists: list[list[_Cand]], conds: list[tuple[str, Mode, Any]]
    ) -> list[_Cand] | None:
        cap = {1: 60, 2: 16, 3: 10, 4: 7}.get(len(cols), 5)
        lists = [lst[:cap] for lst in lists]
        # The same question gets the same answer: ask it once in a transaction, or once
        # for good when the conditions depend on the candidate values alone. (CHECKs are
        # taken to be immutable, as PostgreSQL takes them; index predicates must be.)
        memo: dict[tuple[Any, ...], tuple[int, ...] | None] | None = self._searched
        if all(is_timeless(expr) for expr, _, _ in conds):
            memo = self._lasting_searches
        elif any(_mentions_volatile(expr) for expr, _, _ in conds):
            memo = None
        # the query is a function of this key; the table's name is in it only when a
        # condition could refer to it (the candidate rows are given the table's name)
        lowered = info.table.name.lower()
        memo_key = (
            info.table.name if any(lowered in expr.lower() for expr, _, _ in conds) else None,
            tuple(cols),
            tuple(info.types[c] for c in cols),
            tuple(tuple(c.value for c in lst) for lst in lists),
            tuple((expr, mode) for expr, mode, _ in conds),
        )
        if memo is not None and memo_key in memo:
            found = memo[memo_key]
        else:
            found = self._search_batches(info, cols, lists, conds)
            if memo is not None:
                memo[memo_key] = found
        return None if found is None else [lists[i][k] for i, k in enumerate(found)]

    def _search_batches(
        self, info: TableInfo, cols: list[str], lists: list[list[_Cand]], conds: list[tuple[str, Mode, Any]]
    ) -> tuple[int, ...] | None:
        combos = sorted(itertools.product(*[range(len(lst)) for lst in lists]), key=sum)[:_MAX_COMBOS]
        alias = sql.Identifier(info.table.name)
        names = sql.SQL(", ").join([sql.Identifier("__sd_i"), *[sql.Identifier(c) for c in cols]])
        preds = []
        for expr, mode, _ in conds:
            test = {"not_false": "IS NOT FALSE", "true": "IS TRUE", "false": "IS FALSE"}[mode]
            preds.append(sql.SQL("({}) {}").format(_raw(expr), sql.SQL(test)))
        where = sql.SQL(" AND ").join(preds)
        # the query is put together from rendered pieces: one per batch, many batches a table
        head = sql.SQL("SELECT {} FROM (VALUES ").format(sql.Identifier("__sd_i")).as_bytes(self.conn)
        tail = sql.SQL(") AS {}({}) WHERE {} ORDER BY 1 LIMIT 1").format(alias, names, where)
        shape = _Shape(head, tail.as_bytes(self.conn), [self._cast_sql(info.types[c]) for c in cols])
        # the cheapest combination alone first: it usually holds, and a short query is quick
        bounds = [0, 1, *range(1 + _BATCH, len(combos) + _BATCH, _BATCH)]
        for start, stop in itertools.pairwise(bounds):
            batch = combos[start:stop]
            if not batch:
                break
            hit = self._evaluate(batch, lists, shape)
            if hit is not None:
                return batch[hit]
        return None

    def _cast_sql(self, ctype: str) -> bytes:
        """``CAST(%s AS ctype)``, rendered."""
        found = self._casts.get(ctype)
        if found is None:
            found = sql.SQL("CAST({} AS {})").format(sql.Placeholder(), _raw(ctype)).as_bytes(self.conn)
            self._casts[ctype] = found
        return found

    def _number_sql(self, n: int) -> bytes:
        while len(self._numbers) <= n:
            self._numbers.append(sql.Literal(len(self._numbers)).as_bytes(self.conn))
        return self._numbers[n]

    def _evaluate(self, batch: list[tuple[int, ...]], lists: list[list[_Cand]], shape: _Shape) -> int | None:
        def query(rows: list[tuple[int, tuple[int, ...]]]) -> tuple[bytes, list[Any]]:
            params: list[Any] = []
            tuples = []
            for n, combo in rows:
                cells = [self._number_sql(n)]
                for i, k in enumerate(combo):
                    cells.append(shape.casts[i])
                    params.append(lists[i][k].value)
                tuples.append(b"(" + b", ".join(cells) + b")")
            return shape.head + b", ".join(tuples) + shape.tail, params

        indexed = list(enumerate(batch))
        try:
            with self.savepoint():
                q, params = query(indexed)
                r = self.execute(q, params).fetchone()
            return int(r[0]) if r else None
        except psycopg.Error:
            pass
        # some candidate is not a valid value of its type, or a condition errors: one at a time
        for n, combo in indexed[:80]:
            try:
                with self.savepoint():
                    q, params = query([(n, combo)])
                    r = self.execute(q, params).fetchone()
                if r:
                    return n
            except psycopg.Error:
                continue
        return None

    # -- parents -----------------------------------------------------------------------------

    def _parent_steps_of(
        self,
        info: TableInfo,
        values: Row,
        fixed: Mapping[str, str | None],
        fresh_fk: ForeignKey | None,
        no_parent: ForeignKey | None = None,
    ) -> _Steps:
        """Fill the foreign key columns of ``values`` from parent rows, asking for each
        parent (see :meth:`_drive`); returns ``values``."""
        table = info.table
        for i, fk in enumerate(table.foreign_keys):
            if any(c in fixed for c in fk.columns):
                continue
            if any(values.get(c) is None for c in fk.columns):
                continue  # MATCH SIMPLE: a NULL in the key needs no parent
            if fk.ref_table == table.qname:
                for ref in fk.ref_columns:
                    if values.get(ref) is None:
                        ref_col = table.column(ref)
                        if ref_col is None:
                            raise RowError(table.qname, f"references missing column {ref}")
                        values[ref] = self._generic(info.types[ref], True)[0].materialize()
                for c, ref in zip(fk.columns, fk.ref_columns, strict=False):
                    values[c] = values[ref]
                continue
            if fk is no_parent:
                continue
            fresh = i in info.fresh_fks or fk is fresh_fk
            parent = yield (fk.ref_table, tuple(fk.ref_columns), fresh)
            assert parent is not None
            for c, ref in zip(fk.columns, fk.ref_columns, strict=False):
                values[c] = parent.get(ref)
        return values

    def _drive(self, first: _Steps) -> Row:
        """Run ``first`` to its end, building every parent row it asks for by steps of its
        own. The steps waiting for a parent are kept on a list, not on Python's call stack:
        a chain of foreign keys thousands of tables long needs no deep recursion."""
        waiting: list[_Steps] = [first]
        answer: Row | None = None
        error: BaseException | None = None
        while True:
            steps = waiting[-1]
            try:
                if error is not None:
                    raised, error = error, None
                    ask = steps.throw(raised)
                else:
                    ask = steps.send(answer)
            except StopIteration as done:
                waiting.pop()
                answer = done.value
                if not waiting:
                    return answer
                continue
            except BaseException as exc:
                waiting.pop()
                if not waiting:
                    raise
                error = exc
                continue
            answer = None
            waiting.append(self._parent_steps(*ask))

    def parent(self, qname: QName, ref_columns: Sequence[str] = (), *, fresh: bool = False) -> Row:
        """An inserted row of ``qname`` with non-null ``ref_columns`` (shared unless ``fresh``)."""
        return self._drive(self._parent_steps(qname, tuple(ref_columns), fresh))

    def _parent_steps(self, qname: QName, ref_columns: tuple[str, ...], fresh: bool) -> _Steps:
        if not fresh and qname in self._parents:
            return self._parents[qname]
        if qname in self._building:
            chain = " -> ".join(str(q) for q in [*self._stack, qname])
            raise RowError(self._stack[0], f"foreign keys form a cycle of NOT NULL columns ({chain})")
        if qname not in self.schema.tables:
            raise RowError(qname, "a foreign key references this table, which the document does not define")
        self._stack.append(qname)
        self._building.add(qname)
        try:
            ref_info = self.info(qname)
            need = [c for c in ref_columns if (col := ref_info.table.column(c)) is not None and col.nullable]
            values = self._planned(qname, non_null=need)
            values = yield from self._parent_steps_of(ref_info, values, {}, None)
            try:
                # no savepoint of its own: a failure ends the row being built, and the
                # caller's savepoint (or transaction) is rolled back
                inserted = self.insert(qname, values)
            except psycopg.Error as exc:
                raise RowError(
                    qname,
                    f"inserting a parent row failed: {error_text(exc)}",
                    sqlstate=exc.sqlstate,
                    in_trigger=raised_in_function(exc),
                ) from exc
        finally:
            self._stack.pop()
            self._building.discard(qname)
        if not fresh:
            self._remember_parent(qname, inserted)
        return inserted

    # -- statements --------------------------------------------------------------------------

    def insert(self, qname: QName, values: Row) -> Row:
        """INSERT one row; returns every column of the stored row as text."""
        statement = self.channel.render(*self.insert_statement(qname, values))
        self.note(statement)
        r = self.execute(statement).fetchone()
        assert r is not None
        self.last_ctid = r[0]
        return self.stored(qname, r)

    def insert_statement(self, qname: QName, values: Row) -> tuple[bytes, tuple[str | None, ...]]:
        """The INSERT of :meth:`insert` and its values, to be sent later."""
        info = self.info(qname)
        cols = tuple(c for c in values if info.table.column(c) is not None)
        q = self._insert_sql.get((qname, cols))
        if q is None:
            q = self._insert_sql[(qname, cols)] = self._compose_insert(info, cols)
        return q, tuple(values[c] for c in cols)

    def stored(self, qname: QName, r: tuple[Any, ...]) -> Row:
        """A row as read by ``SELECT`` :meth:`returning` (the ctid first), by column name."""
        return dict(zip(self.info(qname).column_names, r[1:], strict=True))

    def _compose_insert(self, info: TableInfo, cols: tuple[str, ...]) -> bytes:
        qname = info.table.qname
        pieces = self._table_sql.get(qname)
        if pieces is None:
            pieces = self._table_sql[qname] = (
                table_ident(qname).as_bytes(self.conn),
                self.returning(qname).as_bytes(self.conn),
                {c.name: sql.Identifier(c.name).as_bytes(self.conn) for c in info.table.columns},
            )
        target, returning, idents = pieces
        if not cols:
            return b"INSERT INTO " + target + b" DEFAULT VALUES RETURNING " + returning
        overriding = any((col := info.table.column(c)) is not None and col.identity == "ALWAYS" for c in cols)
        names = b", ".join(idents[c] for c in cols)
        values = b", ".join(self._cast_sql(info.types[c]) for c in cols)
        return b"".join(
            [
                b"INSERT INTO ",
                target,
                b" (",
                names,
                b") ",
                b"OVERRIDING SYSTEM VALUE " if overriding else b"",
                b"VALUES (",
                values,
                b") RETURNING ",
                returning,
            ]
        )

    def note(self, statement: bytes) -> None:
        """Remember a statement, as sent, for the report (see :meth:`tried`)."""
        if self.log is not None:
            self.log.append(statement)

    def tried(self, last: int = 3, log: Sequence[bytes] | None = None) -> str:
        """The last statements noted (or of ``log``), as sent, for people."""
        encoding = self.conn.info.encoding
        shown = list(self.log or [] if log is None else log)[-last:]
        return "; ".join(" ".join(s.decode(encoding, "replace").split()) for s in shown)

    def returning(self, qname: QName) -> sql.Composable:
        """``col::text, ...`` for every column of the table, in model order."""
        found = self._returning.get(qname)
        if found is None:
            info = self.info(qname)
            found = self._returning[qname] = sql.SQL(", ").join(
                [sql.SQL("ctid::text")]
                + [sql.SQL("{}::text").format(sql.Identifier(c.name)) for c in info.table.columns]
            )
        return found

    def locator(self, qname: QName, row: Row) -> tuple[sql.Composed, list[Any]] | None:
        """A WHERE clause that finds ``row`` again (by primary key or a non-null unique key)."""
        info = self.info(qname)
        for key in info.keys:
            if key.where or key.expression or not key.columns:
                continue
            if all(row.get(c) is not None for c in key.columns):
                parts = [
                    sql.SQL("{} = CAST({} AS {})").format(
                        sql.Identifier(c), sql.Placeholder(), _raw(info.types[c])
                    )
                    for c in key.columns
                ]
                return sql.SQL(" AND ").join(parts), [row[c] for c in key.columns]
        return None

    def ctid_locator(self, ctid: str | None) -> tuple[sql.Composed, list[Any]] | None:
        if ctid is None:
            return None
        return sql.SQL("ctid = CAST({} AS tid)").format(sql.Placeholder()), [ctid]

    def _stand_in_default(self, default: str) -> bool:
        """Whether ``default`` calls a stand-in (--stub-missing), which gives NULL: a NOT NULL column
        with such a default gets a value of its own."""
        return any(
            re.search(r"(?<![\w$])" + re.escape(name) + r"\s*\(", default) for name in self._stub_names
        )

    def fresh_value(self, qname: QName, column: str) -> str | None:
        """A new value of ``column``'s type, unlikely to exist anywhere."""
        info = self.info(qname)
        return self._generic(info.types[column], True)[0].materialize()


def _like_regen(pattern: str) -> Callable[[], str]:
    return lambda: like_match(pattern, True)


def needs_fresh_default(col: Column, unique: bool) -> bool:
    """A unique column whose default would repeat (a constant, now()) gets an explicit value."""
    return unique and not is_volatile_default(col.default)


def _is_serial(col: Column) -> bool:
    return col.type.strip().lower() in _SERIAL


def _mentions_volatile(expr: str) -> bool:
    """Whether an expression may call a function whose answer changes within a transaction."""
    lowered = expr.lower()
    return any(name in lowered for name in _VOLATILE_FUNCS)


def _array_elem(value: str | None) -> str:
    text = value or ""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _groups(
    conds: list[tuple[str, Mode, set[str] | None]], searchable: set[str]
) -> list[tuple[list[str], list[tuple[str, Mode, set[str] | None]]]]:
    """Split conditions into groups that share columns (union-find over column names)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    usable: list[tuple[str, Mode, set[str] | None, list[str]]] = []
    for expr, mode, cols in conds:
        own = sorted((cols or set()) & searchable)
        usable.append((expr, mode, cols, own))
        for a, b in itertools.pairwise(own):
            parent[find(a)] = find(b)
        for a in own:
            find(a)
    groups: dict[str, tuple[list[str], list[tuple[str, Mode, set[str] | None]]]] = {}
    for expr, mode, cols, own in usable:
        if not own:
            continue
        root = find(own[0])
        entry = groups.setdefault(root, ([], []))
        for c in own:
            if c not in entry[0]:
                entry[0].append(c)
        entry[1].append((expr, mode, cols))
    return [(sorted(cols), cs) for cols, cs in groups.values()]
