"""CREATE TABLE and ALTER TABLE statements -> :class:`TableFact`."""

from __future__ import annotations

import re
import sys
from typing import Literal

from schemadoc import sequence_options
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import FK_ACTION_CODES, Check, Exclusion, FkAction
from schemadoc.read import sql_replay
from schemadoc.read.facts import ColumnFact, Name, RefFact, TableFact
from schemadoc.read.sql_nodes import (
    Json,
    Stmt,
    column_refs,
    def_elems,
    range_name,
    sequence_option_values,
    strs,
    type_text,
    unwrap,
)
from schemadoc.records import replace


def read_create_table(stmt: Stmt, node: Json) -> None:
    rel = node.get("relation", {})
    table = TableFact(
        name=range_name(stmt, rel),
        span=stmt.span(),
        source="sql",
        if_not_exists=bool(node.get("if_not_exists")),
    )
    for elt in node.get("tableElts") or ():
        kind, body = unwrap(elt)
        if kind == "ColumnDef":
            table.columns.append(_column(stmt, table, body))
        elif kind == "Constraint":
            _table_constraint(stmt, table, body)
        elif kind == "TableLikeClause":
            stmt.not_built(
                "LIKE clause",
                "the columns of the copied table are not read",
                offset=stmt.at(body.get("relation", {})),
                hint="list the columns in the CREATE TABLE",
            )
    _table_options(stmt, node)
    partbound = node.get("partbound")
    inh = node.get("inhRelations") or ()
    if partbound is not None:
        if inh:
            table.partition_of = range_name(stmt, unwrap(inh[0])[1])
        table.partition_bound = _partition_bound(stmt, partbound)
    else:
        table.inherits = [range_name(stmt, unwrap(parent)[1]) for parent in inh]
    if node.get("partspec") is not None:
        table.partition_by = _partition_by(stmt)
    stmt.facts.tables.append(table)


_PERSISTENCE = {"u": "UNLOGGED", "t": "TEMPORARY"}


def _table_options(stmt: Stmt, node: Json) -> None:
    """What CREATE TABLE states beyond columns and constraints that is not built."""
    persistence = _PERSISTENCE.get(node.get("relation", {}).get("relpersistence", "p"))
    if persistence is not None:
        stmt.not_built(
            f"{persistence} table",
            "tables are built as ordinary (logged, permanent) tables",
            hint=f"leave out {persistence} if an ordinary table is what is meant",
        )
    stmt.options_not_built(
        "table",
        node.get("options"),
        frozenset(),
        "storage parameters (WITH (...)) are not built; leave them to the server's defaults",
    )
    if node.get("tablespacename"):
        stmt.not_built(
            "TABLESPACE clause",
            "tablespaces depend on the server",
            hint="leave the tablespace out: objects are built in the database's default tablespace",
        )


def read_alter_table(stmt: Stmt, node: Json) -> None:
    rel = node.get("relation", {})
    table = TableFact(name=range_name(stmt, rel), span=stmt.span(), source="sql", alter=True)
    skipped: list[str] = []
    owner = False
    for cmd_node in node.get("cmds") or ():
        cmd = cmd_node.get("AlterTableCmd", {})
        sub = cmd.get("subtype", "")
        definition = cmd.get("def") or {}
        if sql_replay.alter_column(stmt, table.name, cmd) and sub not in _ALSO_READ:
            continue
        if sub == "AT_AddColumn":
            col = _column(stmt, table, definition.get("ColumnDef", {}))
            _merge_column(table, col)
        elif sub == "AT_AddConstraint" and "Constraint" in definition:
            _table_constraint(stmt, table, definition["Constraint"])
        elif sub in ("AT_SetNotNull", "AT_DropNotNull"):
            col = ColumnFact(name=cmd.get("name", ""), span=stmt.span(), nullable=sub == "AT_DropNotNull")
            col.quoted = col.name != col.name.lower()
            _merge_column(table, col)
        elif sub == "AT_ColumnDefault" and definition:
            col = ColumnFact(name=cmd.get("name", ""), span=stmt.span())
            col.quoted = col.name != col.name.lower()
            col.default = _default_from_alter(stmt, definition)
            sql_replay.set_default(stmt, table.name, col.name, col.default)
            _merge_column(table, col)
        elif sub == "AT_AlterColumnType" and "ColumnDef" in definition:
            cdef = definition["ColumnDef"]
            col = ColumnFact(name=cmd.get("name", ""), span=stmt.span())
            col.quoted = col.name != col.name.lower()
            if "typeName" in cdef:
                col.type, col.type_written = type_text(stmt, cdef["typeName"])
            _merge_column(table, col)
        elif sub in ("AT_AddIdentity", "AT_SetIdentity"):
            _merge_column(table, _identity_change(stmt, cmd, definition))
        elif sub == "AT_ValidateConstraint":
            _validate(stmt, table, cmd.get("name", ""))
        elif sub == "AT_EnableRowSecurity":
            table.rls_enabled = True
        elif sub == "AT_DisableRowSecurity":
            table.rls_enabled = False
        elif sub == "AT_ForceRowSecurity":
            table.rls_forced = True
        elif sub == "AT_NoForceRowSecurity":
            table.rls_forced = False
        elif sub == "AT_ChangeOwner":
            owner = True
        elif sub == "AT_AttachPartition" and "PartitionCmd" in definition:
            _attach_partition(stmt, table.name, definition["PartitionCmd"])
        else:
            skipped.append(_subcommand_label(sub, definition))
    if owner:
        stmt.note(f"ALTER TABLE {table.name}: OWNER TO skipped: ownership is not part of the schema model")
    if skipped:
        stmt.not_built(
            f"ALTER TABLE {' / '.join(sorted(set(skipped)))}",
            f"on {table.name}, not applied",
            hint="applied are: ADD COLUMN, ADD CONSTRAINT, ALTER COLUMN TYPE/SET DEFAULT/SET or DROP NOT NULL, "
            "row level security; state the result in the CREATE TABLE",
        )
    changes = (
        table.columns
        or table.primary_key
        or table.uniques
        or table.checks
        or table.foreign_keys
        or table.exclusions
    )
    if changes or table.rls_enabled is not None or table.rls_forced is not None:
        stmt.facts.tables.append(table)


# Subcommands a migration replays on earlier facts that are also read as the ALTER TABLE's own facts.
_ALSO_READ = frozenset({"AT_AlterColumnType", "AT_SetNotNull", "AT_DropNotNull"})


def _attach_partition(stmt: Stmt, parent: Name, cmd: Json) -> None:
    """ATTACH PARTITION: the attached table is a partition of ``parent``, as if created PARTITION OF it."""
    child = TableFact(name=range_name(stmt, cmd.get("name", {})), span=stmt.span(), source="sql", alter=True)
    child.partition_of = parent
    child.partition_bound = _partition_bound(stmt, cmd.get("bound") or {})
    stmt.facts.tables.append(child)


def _subcommand_label(sub: str, definition: Json) -> str:
    if sub == "AT_ColumnDefault":
        return "DROP DEFAULT"
    words = sub.removeprefix("AT_")
    out = "".join(" " + c if c.isupper() and i else c for i, c in enumerate(words))
    return out.upper()


def _validated(table: TableFact, con: Json) -> bool:
    """False for a constraint ALTER TABLE adds NOT VALID (CREATE TABLE checks its constraints
    however they are written: the table is empty)."""
    return not (table.alter and con.get("skip_validation"))


def _validate(stmt: Stmt, table: TableFact, name: str) -> None:
    """VALIDATE CONSTRAINT: the foreign key or CHECK of that name, added NOT VALID before, is
    validated (a constraint already valid needs nothing)."""
    key = table.name.text.lower()
    for earlier in [*stmt.facts.tables, table]:
        if earlier.name.text.lower() != key or (earlier.name.schema or "") != (table.name.schema or ""):
            continue
        for _, ref in earlier.foreign_keys:
            if ref.name == name:
                ref.validated = True
        earlier.checks = [replace(c, validated=True) if c.name == name else c for c in earlier.checks]


def _identity_kind(con: Json) -> Literal["ALWAYS", "BY DEFAULT"]:
    """GENERATED ALWAYS or BY DEFAULT, of an identity constraint."""
    return "ALWAYS" if con.get("generated_when") == "a" else "BY DEFAULT"


def _identity_change(stmt: Stmt, cmd: Json, definition: Json) -> ColumnFact:
    """``ALTER COLUMN c ADD GENERATED ... AS IDENTITY (options)`` (as pg_dump writes identity
    columns) or ``SET GENERATED ... SET INCREMENT BY ...``: the column's identity and options."""
    col = ColumnFact(name=cmd.get("name", ""), span=stmt.span())
    col.quoted = col.name != col.name.lower()
    con = definition.get("Constraint")
    if con is not None:
        col.identity = _identity_kind(con)
        col.identity_options = sequence_option_values(def_elems(con.get("options")))
    else:
        opts = def_elems(definition.get("List", {}).get("items"))
        generated = opts.get("generated")
        if generated is not None:  # SET GENERATED: ALWAYS is 'a' (97), BY DEFAULT 'd' (100)
            ival = generated.get("arg", {}).get("Integer", {}).get("ival")
            col.identity = "ALWAYS" if ival == ord("a") else "BY DEFAULT"
        col.identity_options = sequence_option_values(opts)
    return col


def _merge_column(table: TableFact, col: ColumnFact) -> None:
    """Add ``col``; a second statement about the same column in one ALTER updates the first."""
    for existing in table.columns:
        if existing.name == col.name:
            if col.type is not None:
                existing.type, existing.type_written = col.type, col.type_written
            if col.nullable is not None:
                existing.nullable = col.nullable
            if col.default is not None:
                existing.default = col.default
            if col.identity is not None:
                existing.identity = col.identity
            if col.identity_options:
                existing.identity_options = sequence_options.merged(
                    existing.identity_options or (), col.identity_options
                )
            return
    table.columns.append(col)


def _default_from_alter(stmt: Stmt, expr: Json) -> str:
    """``ALTER COLUMN c SET DEFAULT expr``: the expression runs from after DEFAULT to the item end."""
    src = stmt.src
    expr_at = _expr_start(stmt, expr)
    kw = None
    for tok in src.tokens(stmt.start, expr_at + 1):
        if src.word(tok) == "default":
            kw = tok
    begin = kw.end if kw else expr_at
    s, e = src.item_end(begin, stmt.end)
    return src.clean(s, e)


def _expr_start(stmt: Stmt, expr: Json) -> int:
    """The smallest location found in an expression tree (its first token, in practice)."""
    best = -1
    stack: list[object] = [expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            loc = cur.get("location")
            if isinstance(loc, int) and loc >= 0 and (best < 0 or loc < best):
                best = loc
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return stmt.start if best < 0 else stmt.base + best


def _column(stmt: Stmt, table: TableFact, col: Json) -> ColumnFact:
    src = stmt.src
    # names and types repeat from table to table: one string each, however many columns carry it
    name = sys.intern(col.get("colname", ""))
    loc = stmt.at(col)
    fact = ColumnFact(name=name, span=src.span(loc), quoted=src.b[loc] == 0x22)
    tn = col.get("typeName")
    if tn is not None:
        type_, written = type_text(stmt, tn)
        fact.type, fact.type_written = sys.intern(type_), sys.intern(written)
    if "compression" in col or "storage_name" in col:
        for setting in ("compression", "storage_name"):
            if col.get(setting):
                stmt.not_built(
                    f"column {setting.removesuffix('_name').upper()}",
                    f"{name}: per-column storage settings are not part of the schema model",
                    offset=loc,
                    hint="leave it to the server's default",
                )
    coll = col.get("collClause")
    if coll is not None:
        fact.collation = ".".join(strs(coll.get("collname")))
    listed = col.get("constraints")
    if listed:
        con = listed[0].get("Constraint", {})
        for i in range(1, len(listed)):
            nxt = listed[i].get("Constraint", {})
            _column_constraint(stmt, table, fact, con, stmt.at(nxt))
            con = nxt
        _column_constraint(stmt, table, fact, con, stmt.end)
    if src.has_line_comment:
        fact.description = _trailing_comment(src.b, loc)
    return fact


_LINE_COMMENT = lazy_regex(rb"--[ \t]*(.*?)[ \t]*$")


def _trailing_comment(b: bytes, loc: int) -> str | None:
    """``status text DEFAULT 'running',  -- running, paused``: the comment that ends a column's line."""
    end = b.find(b"\n", loc)
    line = b[loc : len(b) if end < 0 else end]
    at = line.find(b"--")
    if at < 0 or line[:at].count(b"'") % 2:
        return None
    m = _LINE_COMMENT.match(line, at)
    text = m.group(1).decode("utf-8", errors="replace").strip() if m else ""
    return text or None


def _column_constraint(stmt: Stmt, table: TableFact, col: ColumnFact, con: Json, stop: int) -> None:
    src = stmt.src
    kind = con.get("contype", "")
    at = stmt.at(con)
    name = con.get("conname")
    if kind == "CONSTR_NOTNULL":
        col.nullable = False
    elif kind == "CONSTR_NULL":
        col.nullable = True
    elif kind == "CONSTR_DEFAULT":
        if src.b[at : at + 7].lower() == b"default":
            begin = at + 7
        else:
            kw = src.find_word(at, stop, "default")
            begin = kw.end if kw else at
        simple = _SIMPLE_DEFAULT.match(src.b, begin, stop)
        if simple is not None:
            col.default = simple.group(1).decode("utf-8", errors="replace")
        elif stop < stmt.end:  # another constraint follows: the expression ends where it starts
            col.default = src.clean(begin, stop)
        else:
            col.default = src.clean(*src.item_end(begin, stop))
    elif kind == "CONSTR_PRIMARY":
        col.primary_key = True
        if name:
            table.primary_key_name = name
    elif kind == "CONSTR_UNIQUE":
        if name or con.get("nulls_not_distinct"):
            table.uniques.append(([col.name], name, stmt.span(at), bool(con.get("nulls_not_distinct"))))
        else:
            col.unique = True
    elif kind == "CONSTR_CHECK":
        expr = _check_text(stmt, at, stop)
        if name:
            table.checks.append(
                Check(expr, name=name, columns=tuple(column_refs(con.get("raw_expr"))), span=stmt.span(at))
            )
        else:
            col.checks = (*col.checks, expr)
    elif kind == "CONSTR_FOREIGN":
        col.references = _ref(stmt, con, at, stop)
    elif kind == "CONSTR_IDENTITY":
        col.identity = _identity_kind(con)
        if con.get("options"):
            col.identity_options = sequence_option_values(def_elems(con["options"]))
    elif kind == "CONSTR_GENERATED":
        body = src.paren_body(at, stop)
        if body is not None:
            col.generated = src.clean(*body)
    elif kind in ("CONSTR_ATTR_DEFERRABLE", "CONSTR_ATTR_DEFERRED") and col.references is not None:
        col.references.deferrable = True
        col.references.initially_deferred = (
            col.references.initially_deferred or kind == "CONSTR_ATTR_DEFERRED"
        )
    elif kind in ("CONSTR_ATTR_NOT_DEFERRABLE", "CONSTR_ATTR_IMMEDIATE"):
        pass
    else:
        stmt.not_built(
            f"column constraint {kind.removeprefix('CONSTR_')}",
            f"on {col.name}, not read",
            offset=at,
            hint="write it as a table constraint, or state the rule as a CHECK",
        )


def _check_text(stmt: Stmt, at: int, stop: int) -> str:
    src = stmt.src
    if src.b[at : at + 5].lower() == b"check":
        begin = at + 5
    else:
        kw = src.find_word(at, stop, "check")
        begin = kw.end if kw else at
    body = src.paren_body(begin, stop)
    if body is None:
        return ""
    return src.clean(*body)


def _action(code: str | None, stated_no_action: bool) -> FkAction | None:
    if not code or code == "a":
        # NO ACTION is the default: report it only when the statement says so.
        return "NO ACTION" if stated_no_action else None
    return FK_ACTION_CODES.get(code)


# A literal, a name or a call without arguments, maybe with a cast, followed by the end of the item.
_SIMPLE_DEFAULT = lazy_regex(
    rb"[ \t\r\n]*((?:'(?:[^'\\]|'')*'|-?[\w.]+(?:\(\))?)(?:::[\w. ]+?(?:\[\])?)?)[ \t\r\n]*(?=[,)]|$)"
)
_NO_ACTION = lazy_regex(rb"\bon\s+(delete|update)\s+no\s+action\b", re.IGNORECASE)


def _stated_no_action(stmt: Stmt, start: int, end: int) -> tuple[bool, bool]:
    """Whether ``ON DELETE NO ACTION`` / ``ON UPDATE NO ACTION`` is written in the range."""
    found = {m.group(1).lower() for m in _NO_ACTION.finditer(stmt.src.b, start, end)}
    return b"delete" in found, b"update" in found


def _ref(stmt: Stmt, con: Json, at: int, stop: int) -> RefFact:
    del_code, upd_code = con.get("fk_del_action"), con.get("fk_upd_action")
    no_del = no_upd = False
    # The item's extent is only needed when NO ACTION is written somewhere up to ``stop``.
    src = stmt.src
    if (
        (del_code in (None, "a") or upd_code in (None, "a"))
        and src.mentions(b"action")
        and _NO_ACTION.search(src.b, at, stop)
    ):
        _, end = stmt.src.item_end(at, stop)
        no_del, no_upd = _stated_no_action(stmt, at, end)
    return RefFact(
        table=range_name(stmt, con.get("pktable", {})),
        columns=strs(con.get("pk_attrs")),
        on_delete=_action(del_code, no_del),
        on_update=_action(upd_code, no_upd),
        name=con.get("conname"),
        deferrable=bool(con.get("deferrable")),
        initially_deferred=bool(con.get("initdeferred")),
        match_full=con.get("fk_matchtype") == "f",
        span=stmt.span(at),
    )


def _table_constraint(stmt: Stmt, table: TableFact, con: Json) -> None:
    src = stmt.src
    kind = con.get("contype", "")
    at = stmt.at(con)
    name = con.get("conname")
    keys = strs(con.get("keys"))
    if kind in ("CONSTR_PRIMARY", "CONSTR_UNIQUE") and not keys and con.get("indexname"):
        adopted = _adopt_index(stmt, table, str(con["indexname"]))
        if adopted is None:
            stmt.note(
                f"{kind.removeprefix('CONSTR_')} USING INDEX {con['indexname']} on {table.name} skipped: "
                "no plain unique index of that name is defined before it",
                offset=at,
            )
            return
        keys, adopted_nnd = adopted
        if adopted_nnd:
            con = {**con, "nulls_not_distinct": True}
    if kind == "CONSTR_PRIMARY":
        table.primary_key = keys
        table.primary_key_name = name
    elif kind == "CONSTR_UNIQUE":
        table.uniques.append((keys, name, stmt.span(at), bool(con.get("nulls_not_distinct"))))
    elif kind == "CONSTR_CHECK":
        # the statement's end bounds the search: the first group after CHECK is inside the item
        expr = _check_text(stmt, at, stmt.end)
        columns = tuple(column_refs(con.get("raw_expr")))
        table.checks.append(
            Check(expr, name=name, columns=columns, span=stmt.span(at), validated=_validated(table, con))
        )
    elif kind == "CONSTR_FOREIGN":
        stop = src.item_end(at, stmt.end)[1]
        ref = _ref(stmt, con, at, stop)
        ref.validated = _validated(table, con)
        table.foreign_keys.append((strs(con.get("fk_attrs")), ref))
    elif kind == "CONSTR_EXCLUSION":
        exclusion = _exclusion(stmt, con, at, src.item_end(at, stmt.end)[1])
        if exclusion is None:
            stmt.not_built(
                "EXCLUDE constraint",
                f"on {table.name}: its element list was not found",
                offset=at,
                hint="write it as EXCLUDE USING method (column WITH operator, ...)",
            )
        else:
            table.exclusions.append(exclusion)
    else:
        stmt.not_built(
            f"{kind.removeprefix('CONSTR_')} constraint",
            f"on {table.name}, not part of the schema model yet",
            offset=at,
            hint="state the rule as a CHECK constraint or a trigger",
        )


_PLAIN_KEY = lazy_regex(r'^(?:"((?:[^"]|"")+)"|([A-Za-z_][\w$]*))$')


def _adopt_index(stmt: Stmt, table: TableFact, index_name: str) -> tuple[list[str], bool] | None:
    """``ADD CONSTRAINT ... UNIQUE USING INDEX i``: the constraint takes over index ``i`` (read
    earlier), which stops being an index of its own. Its key columns and NULLS NOT DISTINCT, or
    None when there is no such index or it is not a plain unique index on columns."""
    for ix in stmt.facts.indexes:
        if ix.name != index_name or ix.table.text.lower() != table.name.text.lower():
            continue
        if not ix.unique or ix.where or ix.include or ix.method.lower() != "btree":
            return None
        columns: list[str] = []
        for key in ix.keys:
            m = _PLAIN_KEY.match(key.strip())
            if m is None:
                return None
            columns.append(m.group(1).replace('""', '"') if m.group(1) else m.group(2).lower())
        stmt.facts.indexes.remove(ix)
        return columns, ix.nulls_not_distinct
    return None


def _operator(parts: list[str]) -> str:
    """An operator as an EXCLUDE element names it: ``&&``, or ``OPERATOR(schema.&&)`` when qualified."""
    if len(parts) == 1:
        return parts[0]
    return f"OPERATOR({'.'.join(parts)})"


def _exclusion(stmt: Stmt, con: Json, at: int, stop: int) -> Exclusion | None:
    """``EXCLUDE [USING method] (key WITH op, ...) [INCLUDE (...)] [WHERE (predicate)]``: the keys
    and the predicate are cut from the source; the operators and the rest come from the tree."""
    src = stmt.src
    operators: list[str] = []
    for pair in con.get("exclusions") or ():
        items: list[Json] = unwrap(pair)[1].get("items") or []
        if len(items) != 2:
            return None
        operators.append(_operator(strs(unwrap(items[1])[1].get("items"))))
    opening = next((t for t in src.tokens(at, stop) if t.kind == "p" and src.b[t.start] == 0x28), None)
    if opening is None:
        return None
    close = src.matching_paren(opening.start, stop)
    keys: list[str] = []
    pos = opening.end
    while pos < close:
        first, last, ended = src.scan_item(pos, close)
        with_kw = src.find_word(first, last, "with")
        keys.append(src.clean(first, with_kw.start if with_kw else last))
        pos = ended + 1
    if len(keys) != len(operators):
        return None
    where = None
    if con.get("where_clause") is not None:
        kw = src.find_word(close + 1, stop, "where")
        body = src.paren_body(kw.end, stop) if kw else None
        where = src.clean(*body) if body else None
    return Exclusion(
        elements=tuple(f"{key} WITH {op}" for key, op in zip(keys, operators, strict=True)),
        method=str(con.get("access_method") or "gist").lower(),
        where=where,
        include=tuple(strs(con.get("including"))),
        deferrable=bool(con.get("deferrable")),
        initially_deferred=bool(con.get("initdeferred")),
        name=con.get("conname"),
        span=stmt.span(at),
    )


def _partition_by(stmt: Stmt) -> str | None:
    src = stmt.src
    start = stmt.start
    while True:
        kw = src.find_word(start, stmt.end, "partition")
        if kw is None:
            return None
        nxt = src.next_token(kw.end, stmt.end)
        if nxt is not None and src.word(nxt) == "by":
            strategy = src.next_token(nxt.end, stmt.end)
            if strategy is None:
                return None
            body = src.paren_body(strategy.end, stmt.end)
            if body is None:
                return None
            return f"{src.word(strategy).upper()} ({src.clean(*body)})"
        start = kw.end


def _partition_bound(stmt: Stmt, bound: Json) -> str:
    if bound.get("is_default"):
        return "DEFAULT"
    src = stmt.src
    at = stmt.at(bound)
    last = at
    depth = 0
    for i, tok in enumerate(src.tokens(at, stmt.end)):
        if tok.kind == "p":
            c = src.b[tok.start]
            if c == 0x28:
                depth += 1
            elif c == 0x29:
                depth -= 1
        elif depth == 0 and i > 0 and src.word(tok) in ("partition", "with", "tablespace", "using"):
            break
        last = tok.end
    parts: list[str] = []
    prev = -1
    for tok in src.tokens(at, last):
        text = src.char(tok)
        if src.word(tok) in _BOUND_WORDS:
            text = text.upper()
        if prev >= 0 and tok.start > prev:
            parts.append(" ")
        parts.append(text)
        prev = tok.end
    return "FOR VALUES " + "".join(parts)


_BOUND_WORDS = frozenset({"from", "to", "in", "with", "modulus", "remainder", "minvalue", "maxvalue"})
