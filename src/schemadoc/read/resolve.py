"""Merge the readers' facts into one :class:`~schemadoc.model.Schema`.

One table per entity, however many ways the document names it; one column per
column, however many blocks describe it. Where two statements of one fact
disagree both lines are reported; where the document's literal SQL does not
mean what its prose promises, the prose wins and the difference is reported.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import field

from schemadoc import sequence_options
from schemadoc.diagnostics import FK_TYPE_AS_WRITTEN, Diagnostic, not_built
from schemadoc.extension_types import type_extension
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import (
    DEFAULT_SCHEMA,
    Check,
    Column,
    CompositeType,
    Domain,
    Enum,
    Exclusion,
    ForeignKey,
    Index,
    PrimaryKey,
    QName,
    RangeType,
    Role,
    Schema,
    Span,
    Table,
    Unique,
    qualify,
)
from schemadoc.read import resolve_objects
from schemadoc.read.auto_updated import AutoColumn, build_refresh
from schemadoc.read.facts import ColumnFact, DocFacts, IndexFact, Name, RefFact, TableFact
from schemadoc.read.infer import index_from_name, type_from_name
from schemadoc.read.names import column_key, entity_key, is_folded_camel, is_placeholder, snake
from schemadoc.read.screen import screen_schema
from schemadoc.read.stand_ins import type_stand_in
from schemadoc.records import record, replace
from schemadoc.sqlnames import parse_qualified, quote_ident
from schemadoc.types import closest_type, normalize_type, reference_type

# Which source's word wins when two disagree (lower is stronger).
_SOURCE_RANK = {"sql": 0, "columns": 1, "bullets": 2, "relations": 3, "mermaid": 4, "prose": 5}
_COMPATIBLE = [{"text", "character varying"}]


@record(frozen=False)
class _ColumnDraft:
    name: str
    facts: list[tuple[int, ColumnFact]] = field(default_factory=list)  # (source rank, fact)


@record(frozen=False)
class _Entity:
    key: str
    facts: list[TableFact] = field(default_factory=list)
    names: list[tuple[int, str, str | None]] = field(default_factory=list)  # (rank, name, schema)

    def best_name(self) -> tuple[str, str]:
        rank, name, schema = min(self.names, key=lambda n: n[0])
        del rank
        return (schema or DEFAULT_SCHEMA), name


class _ColumnIndex:
    """One table's columns by name, by folded camelCase spelling and by column key. Built for one
    ``columns`` tuple; each lookup gives the first column in table order, as a linear scan would."""

    __slots__ = ("_folded", "_keyed", "by_name", "columns")

    def __init__(self, columns: tuple[Column, ...]) -> None:
        self.columns = columns
        self.by_name: dict[str, Column] = {}
        for col in columns:
            self.by_name.setdefault(col.name, col)
        # the other two are asked for only when a name is not found as written: made then
        self._folded: dict[str, Column] | None = None
        self._keyed: dict[str, Column] | None = None

    @property
    def folded(self) -> dict[str, Column]:
        """ownerid -> the column "ownerId"."""
        if self._folded is None:
            self._folded = {}
            for col in self.columns:
                lower = col.name.lower()
                if lower != col.name:
                    self._folded.setdefault(lower, col)
        return self._folded

    @property
    def keyed(self) -> dict[str, Column]:
        if self._keyed is None:
            self._keyed = {}
            for col in self.columns:
                self._keyed.setdefault(column_key(col.name), col)
        return self._keyed


def _key(name: Name) -> str:
    """The entity key of a written name. A quoted SQL name is one name, never split at its dots."""
    schema = name.schema if name.schema is not None or not name.quoted else DEFAULT_SCHEMA
    return entity_key(name.text, schema)


_EXACT = "\x00"  # joins a column key and the exact name it stands for (see _merge_key)


def _merge_key(facts: list[TableFact]) -> Callable[[str], str]:
    """The key that merges the spellings of one column across a table's blocks.

    :func:`column_key` makes ``ownerId``, ``ownerid`` and ``owner_id`` one column, as a document
    means them. But SQL states exact names: two that SQL gives the table, such as ``a`` and
    ``"A"`` or ``user_id`` and ``userid``, are two columns in PostgreSQL. Each of those after the
    first gets a key of its own; another block's spelling goes to the SQL name it equals, else,
    ignoring case, to the only one it matches, else to the first. The names that count are those
    of one CREATE TABLE, and of the first with the ALTER TABLEs that add columns: a second CREATE
    TABLE of the same table is another version of it, and its spellings merge with the first's."""
    creates = [tf for tf in facts if tf.source == "sql" and not tf.alter]
    built = creates[:1] + [tf for tf in facts if tf.source == "sql" and tf.alter]
    groups = [[cf.name for tf in built for cf in tf.columns]]
    groups += [[cf.name for cf in tf.columns] for tf in creates[1:]]
    clashing: dict[str, list[str]] = {}
    for group in groups:
        if len({column_key(name) for name in group}) == len(set(group)):
            continue  # the common case: no two names share a key
        seen: dict[str, list[str]] = {}
        for name in group:
            names = seen.setdefault(column_key(name), [])
            if name not in names:
                names.append(name)
        for ck, names in seen.items():
            if len(names) > 1:
                kept = clashing.setdefault(ck, [])
                kept.extend(n for n in names if n not in kept)
    if not clashing:
        return column_key

    def key(name: str) -> str:
        ck = column_key(name)
        names = clashing.get(ck)
        if names is None:
            return ck
        if name not in names:
            same = [n for n in names if n.lower() == name.lower()]
            name = same[0] if len(same) == 1 else names[0]
        return ck if name == names[0] else f"{ck}{_EXACT}{name}"

    return key


class Resolver:
    def __init__(self, facts: DocFacts, *, stub_missing: bool) -> None:
        self.facts = facts
        self.stub_missing = stub_missing
        self.diags: list[Diagnostic] = list(facts.diagnostics)
        self.entities: dict[str, _Entity] = {}
        self.tables: dict[QName, Table] = {}
        self.by_key: dict[str, QName] = {}  # entity key -> qualified name
        self.enums: dict[QName, Enum] = {}
        self.values: dict[QName, dict[str, list[str]]] = defaultdict(
            dict
        )  # table -> column -> allowed values
        self.extra_schemas: list[str] = []  # schemas that only stand-in tables use
        self.stand_in_types: dict[QName, Domain] = {}
        self._folded_names: dict[
            str, tuple[str, str, Span]
        ] = {}  # file -> the first name folded there  # --stub-missing: types named but never defined
        self.explicit_delete: set[tuple[QName, tuple[str, ...]]] = (
            set()
        )  # FKs whose ON DELETE the document states
        # By id() of a table's columns tuple; each index holds its tuple, so the id stays its own.
        self._column_indexes: dict[int, _ColumnIndex] = {}
        self._referrers: dict[QName, list[tuple[QName, ForeignKey]]] | None = None  # ref table -> (table, fk)
        self._user_types: dict[QName, str] | None = None  # domains, composites, ranges by written name
        # COMMENT ON TABLE / COLUMN by table, gathered before the tables are built (the last one wins).
        self.table_comments: dict[QName, str | None] = {}
        self.column_comments: dict[QName, dict[str, str | None]] = {}
        self.auto_updated: list[AutoColumn] = []  # columns stated as refreshed on update

    def _columns_of(self, table: Table) -> _ColumnIndex:
        columns = table.columns
        index = self._column_indexes.get(id(columns))
        if index is None:
            index = self._column_indexes[id(columns)] = _ColumnIndex(columns)
        return index

    def find_column(self, table: Table, name: str) -> Column | None:
        """``table.column(name)`` without a scan of the columns; a column a table inherits
        (``INHERITS``) is found on its parent."""
        found = self._columns_of(table).by_name.get(name)
        seen = {table.qname}
        parents = list(table.inherits)
        while found is None and parents:
            parent = self.tables.get(parents.pop(0))
            if parent is None or parent.qname in seen:
                continue
            seen.add(parent.qname)
            found = self._columns_of(parent).by_name.get(name)
            parents.extend(parent.inherits)
        return found

    # -- diagnostics ------------------------------------------------------------------------
    def warn(
        self, code: str, message: str, span: Span | None, hint: str | None = None, *rel: Span | None
    ) -> None:
        self.diags.append(Diagnostic(code, "warning", message, span, hint, tuple(r for r in rel if r)))

    def error(
        self, code: str, message: str, span: Span | None, hint: str | None = None, *rel: Span | None
    ) -> None:
        self.diags.append(Diagnostic(code, "error", message, span, hint, tuple(r for r in rel if r)))

    def note(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code, "note", message, span, hint))

    # -- entities -------------------------------------------------------------------------------
    def _entity(self, name: Name) -> _Entity:
        key = _key(name)
        ent = self.entities.get(key)
        if ent is None:
            ent = self.entities[key] = _Entity(key)
        return ent

    def _name_rank(self, source: str, name: Name) -> int:
        rank = _SOURCE_RANK.get(source, 5) * 10
        if source != "sql" and snake(name.text) == name.text:
            rank -= 5  # a snake_case heading is more likely the real table name than a model name
        return rank

    def collect_entities(self) -> None:
        creates: dict[str, TableFact] = {}
        views = {_key(v.name) for v in self.facts.views}
        quoted = self._quoted_in_sql()
        for tf in self.facts.tables:
            if tf.source != "sql" and _key(tf.name) in views:
                continue  # a diagram box or column list describing a view the document defines
            ent = self._entity(tf.name)
            ent.facts.append(tf)
            text = tf.name.text if tf.name.quoted else tf.name.text.lower()
            if tf.source != "sql" and text != tf.name.text:
                if tf.name.text in quoted:
                    text = tf.name.text  # the SQL shows this exact spelling quoted: it wins
                else:
                    self._folded_names.setdefault(tf.span.file, (tf.name.text, text, tf.span))
            ent.names.append(
                (self._name_rank(tf.source, tf.name) + (1 if tf.alter else 0), text, tf.name.schema)
            )
            if tf.source == "sql" and not tf.alter:
                first = creates.get(ent.key)
                if first is not None and not tf.if_not_exists:
                    self.error(
                        "SD104",
                        f"table {tf.name} is defined twice",
                        tf.span,
                        "keep one CREATE TABLE; add further columns with ALTER TABLE",
                        first.span,
                    )
                else:
                    creates[ent.key] = tf
        # Names used by indexes and references also tell how the table is spelt in SQL.
        for ix in self.facts.indexes:
            key = _key(ix.table)
            if key in self.entities and ix.keys and ix.name:  # CREATE INDEX name ON table: SQL spelling
                text = ix.table.text if ix.table.quoted else ix.table.text.lower()
                self.entities[key].names.append((1, text, ix.table.schema))
        for m in self.facts.mentions:  # "the `system_settings` table": a snake_case spelling in prose
            key = _key(m.name)
            if key in self.entities and snake(m.name.text) == m.name.text:
                self.entities[key].names.append((3, m.name.text, m.name.schema))
        for key, ent in sorted(self.entities.items()):
            schema, name = ent.best_name()
            self.by_key[key] = qualify(name, schema)
        for written, folded, span in self._folded_names.values():
            self.note(
                "SD262",
                f"table names written in headings and prose are read as unquoted SQL identifiers: "
                f"{written} -> {folded}",
                span,
                f'write the name quoted in SQL ("{written}") to keep its case',
            )

    def _quoted_in_sql(self) -> set[str]:
        """Table names the document's SQL spells quoted with capitals (``"Users"``): exact spellings."""
        names = {tf.name.text for tf in self.facts.tables if tf.source == "sql" and tf.name.quoted}
        names |= {ix.table.text for ix in self.facts.indexes if ix.table.quoted}
        for tf in self.facts.tables:
            for _, ref in tf.foreign_keys:
                if ref.table.quoted:
                    names.add(ref.table.text)
        return {n for n in names if n != n.lower()}

    def lookup(self, name: Name) -> QName | None:
        return self.by_key.get(_key(name))

    def collect_comments(self) -> None:
        """COMMENT ON TABLE / COLUMN statements, by the table they name. Those naming no table or
        column are reported once the tables are built (:mod:`resolve_objects`)."""
        for cf in self.facts.comments:
            if cf.object_type == "COLUMN" and cf.column is not None:
                tq = self.lookup(cf.target)
                if tq is not None:
                    self.column_comments.setdefault(tq, {})[cf.column] = cf.text
            elif cf.object_type == "TABLE":
                tq = self.lookup(cf.target)
                if tq is not None:
                    self.table_comments[tq] = cf.text

    # -- columns ---------------------------------------------------------------------------------
    def _merge_columns(self, ent: _Entity) -> dict[str, _ColumnDraft]:
        drafts: dict[str, _ColumnDraft] = {}
        order: list[str] = []
        key = _merge_key(ent.facts)
        for tf in sorted(ent.facts, key=lambda f: (_SOURCE_RANK.get(f.source, 5), f.alter)):
            rank = _SOURCE_RANK.get(tf.source, 5)
            for cf in tf.columns:
                ck = key(cf.name)
                draft = drafts.get(ck)
                if draft is None:
                    draft = drafts[ck] = _ColumnDraft(cf.name)
                    order.append(ck)
                elif cf.quoted or (
                    tf.source != "sql" and draft.name == draft.name.lower() and cf.name != cf.name.lower()
                ):
                    # A quoted or markdown spelling with capitals is what the document means.
                    draft.name = cf.name
                draft.facts.append((rank, cf))
        if len(ent.facts) == 1 and not ent.facts[0].alter:
            return drafts  # one block: its own order, which is the order the drafts were made in
        # Column order: that of the strongest block that lists the column (a column table beats an ER
        # diagram); columns only an ALTER TABLE adds come last, in document order.
        first_pos: dict[str, tuple[int, int, int, int]] = {}
        for tf in ent.facts:
            rank = 99 if tf.alter else _SOURCE_RANK.get(tf.source, 5)
            for i, cf in enumerate(tf.columns):
                ck = key(cf.name)
                pos = (rank, tf.span.line, i, 0) if not tf.alter else (rank, cf.span.line, cf.span.col, 0)
                if ck not in first_pos or pos < first_pos[ck]:
                    first_pos[ck] = pos
        best = min((p[0], p[1]) for p in first_pos.values()) if first_pos else (0, 0)
        for ck, pos in first_pos.items():
            if (pos[0], pos[1]) != best and pos[0] != 99:
                # not in the strongest block: after its columns, in its own block's order
                first_pos[ck] = (best[0], best[1], 10_000 + pos[2], pos[0])
        return {ck: drafts[ck] for ck in sorted(order, key=lambda k: first_pos[k])}

    def _pick(self, draft: _ColumnDraft, attr: str, table: QName) -> tuple[object, Span | None]:
        if len(draft.facts) == 1:  # the common case: one block describes the column
            only = draft.facts[0][1]
            value = getattr(only, attr)
            return (value, only.span) if value is not None else (None, None)
        chosen: tuple[int, object, Span] | None = None
        for rank, cf in draft.facts:
            value = getattr(cf, attr)
            if value is None:
                continue
            if chosen is None:
                chosen = (rank, value, cf.span)
            elif value != chosen[1] and not self._equivalent(attr, value, chosen[1]):
                self.warn(
                    "SD202",
                    f"{table}.{draft.name}: the document gives two different {attr.replace('_', ' ')}s: "
                    f"{chosen[1]!r} and {value!r}",
                    cf.span,
                    f"using {chosen[1]!r}; make the two statements agree",
                    chosen[2],
                )
        return (chosen[1], chosen[2]) if chosen else (None, None)

    @staticmethod
    def _equivalent(attr: str, a: object, b: object) -> bool:
        if attr == "type" and isinstance(a, str) and isinstance(b, str):
            if a.lower() == b.lower():
                return True
            base_a, base_b = a.split("(")[0], b.split("(")[0]
            return any(base_a in group and base_b in group for group in _COMPATIBLE) or base_a == base_b
        if attr == "default" and isinstance(a, str) and isinstance(b, str):
            return _norm_sql(a) == _norm_sql(b)
        return False

    def build_tables(self) -> None:
        for key, ent in sorted(self.entities.items()):
            qname = self.by_key[key]
            schema, name = qname
            drafts = self._merge_columns(ent)
            columns: list[Column] = []
            pk_cols: list[str] = []
            pk_name: str | None = None
            pk_span: Span | None = None
            uniques: list[Unique] = []
            checks: list[Check] = []
            comment: str | None = None
            first_span = min((f.span for f in ent.facts if not f.alter), default=ent.facts[0].span)
            rls: bool = False
            forced: bool = False
            partition_by = partition_bound = None
            partition_of: QName | None = None
            exclusions: list[Exclusion] = []
            inherits: tuple[QName, ...] = ()
            for tf in sorted(ent.facts, key=lambda f: _SOURCE_RANK.get(f.source, 5)):
                exclusions.extend(x for x in tf.exclusions if x not in exclusions)
                if tf.inherits and not inherits:
                    inherits = tuple(self.lookup(p) or qualify(p.text, p.schema) for p in tf.inherits)
                if tf.description and comment is None:
                    comment = tf.description
                if tf.primary_key and not pk_cols:
                    pk_cols = [self._colname(drafts, c) for c in tf.primary_key]
                    pk_name, pk_span = tf.primary_key_name, tf.span
                for cols, uname, uspan, nnd in tf.uniques:
                    uniques.append(Unique(tuple(self._colname(drafts, c) for c in cols), uname, nnd, uspan))
                for chk in tf.checks:
                    checks.append(chk)
                if tf.rls_enabled is not None:
                    rls = tf.rls_enabled
                if tf.rls_forced is not None:
                    forced = tf.rls_forced
                partition_by = partition_by or tf.partition_by
                partition_bound = partition_bound or tf.partition_bound
                if tf.partition_of is not None and partition_of is None:
                    partition_of = self.lookup(tf.partition_of) or qualify(
                        tf.partition_of.text, tf.partition_of.schema
                    )
            column_comments = self.column_comments.get(qname, {})
            for draft in drafts.values():
                col, is_pk, is_unique, col_checks = self._column(qname, draft, pk_cols, column_comments)
                columns.append(col)
                if is_pk and draft.name not in pk_cols:
                    pk_cols.append(draft.name)
                    pk_span = pk_span or col.span
                if is_unique:
                    uniques.append(Unique((draft.name,), None, False, col.span))
                for expr, span in col_checks:
                    checks.append(Check(expr, None, (draft.name,), span))
            pk = PrimaryKey(tuple(pk_cols), pk_name, pk_span) if pk_cols else None
            if qname in self.table_comments:
                comment = self.table_comments[qname]
            table = Table(
                schema=schema,
                name=name,
                columns=tuple(columns),
                primary_key=pk,
                uniques=tuple(_dedupe_uniques(uniques, pk)),
                checks=tuple(self._dedupe_checks(checks, qname)),
                comment=comment,
                rls_enabled=rls,
                rls_forced=forced,
                partition_by=partition_by,
                partition_of=partition_of,
                partition_bound=partition_bound,
                exclusions=tuple(exclusions),
                inherits=inherits,
                span=first_span,
            )
            self.tables[qname] = table

    def _colname(self, drafts: dict[str, _ColumnDraft], written: str) -> str:
        ck = column_key(written)
        draft = drafts.get(f"{ck}{_EXACT}{written}") or drafts.get(ck)
        return draft.name if draft else written

    def _column(
        self, table: QName, draft: _ColumnDraft, pk_cols: list[str], comments: dict[str, str | None]
    ) -> tuple[Column, bool, bool, list[tuple[str, Span]]]:
        """The column ``draft`` describes; ``pk_cols`` are the table's key columns named so far (a
        key column is NOT NULL) and ``comments`` the table's COMMENT ON COLUMN texts."""
        values = self.values[table]
        checks: list[tuple[str, Span]] = []
        type_: object
        nullable: object
        default: object
        identity: object
        generated: object
        collation: object
        if len(draft.facts) == 1:  # the common case: one block describes the column
            only = draft.facts[0][1]
            type_, type_span = only.type, only.span if only.type is not None else None
            nullable, default, identity = only.nullable, only.default, only.identity
            identity_options = only.identity_options
            generated, collation = only.generated, only.collation
            descr = only.description or None
            span = only.span
            pk, unique = bool(only.primary_key), bool(only.unique)
            if only.checks:
                checks.extend((c, only.span) for c in only.checks)
            if only.values:
                values.setdefault(draft.name, list(only.values))
            written = only.type_written or None
        else:
            type_, type_span = self._pick(draft, "type", table)
            nullable, _ = self._pick(draft, "nullable", table)
            default, _ = self._pick(draft, "default", table)
            identity, _ = self._pick(draft, "identity", table)
            identity_options = _merged_identity_options(draft)
            generated, _ = self._pick(draft, "generated", table)
            collation, _ = self._pick(draft, "collation", table)
            descr = next((cf.description for _, cf in draft.facts if cf.description), None)
            span = min(draft.facts, key=lambda rf: rf[0])[1].span
            pk = any(cf.primary_key for _, cf in draft.facts)
            unique = any(cf.unique for _, cf in draft.facts)
            for _, cf in draft.facts:
                checks.extend((c, cf.span) for c in cf.checks)
                if cf.values:
                    values.setdefault(draft.name, list(cf.values))
            written = next((cf.type_written for _, cf in draft.facts if cf.type_written), None)
        if draft.name not in values and descr and default is not None:
            listed = _comment_values(descr, str(default))
            if listed:
                values[draft.name] = listed
        for _, cf in draft.facts:
            if cf.auto_updated:
                self.auto_updated.append(AutoColumn(table, draft.name, cf.span))
                break
        in_key = pk or draft.name in pk_cols
        col = Column(
            name=draft.name,
            type=str(type_) if type_ is not None else "",
            nullable=bool(nullable) and not in_key if nullable is not None else not in_key,
            default=self._sequence_default(table, str(default)) if default is not None else None,
            identity=identity,  # type: ignore[arg-type]
            generated=str(generated) if generated is not None else None,
            collation=str(collation) if collation is not None else None,
            comment=comments.get(draft.name, descr),
            span=type_span or span,
            identity_options=identity_options or (),
        )
        if type_ is not None and normalize_type(str(type_)) is None and written:
            col = replace(col, type=str(type_))  # enum or unknown: checked once enums are known
        return col, pk, unique, checks

    def _sequence_default(self, table: QName, default: str) -> str:
        """``nextval('blogs_id_seq'::regclass)`` on a table outside public, from a catalog read with
        that schema on the search path: the undeclared sequence lives beside its table."""
        schema = table.schema
        if schema == DEFAULT_SCHEMA or "nextval" not in default:
            return default
        m = _UNQUALIFIED_NEXTVAL.match(default)
        if m is None:
            return default
        if any(s.name == m["seq"] and s.schema == DEFAULT_SCHEMA for s in self.facts.sequences):
            return default
        return f"{m['head']}{quote_ident(schema)}.{m['seq']}{m['tail']}"

    def _dedupe_checks(self, checks: list[Check], table: QName) -> list[Check]:
        out: list[Check] = []
        seen: dict[str, Check] = {}
        for chk in checks:
            norm = _norm_sql(chk.expression)
            if norm in seen:
                continue
            seen[norm] = chk
            out.append(chk)
        return out

    # -- foreign keys --------------------------------------------------------------------------------
    def build_foreign_keys(self) -> None:
        fks: dict[QName, list[ForeignKey]] = defaultdict(list)
        for key, ent in sorted(self.entities.items()):
            qname = self.by_key[key]
            table = self.tables[qname]
            for tf in ent.facts:
                for cf in tf.columns:
                    if cf.references is not None:
                        fk = self._fk(table, [cf.name], cf.references, cf.span)
                        if fk:
                            fks[qname].append(fk)
                for cols, ref in tf.foreign_keys:
                    fk = self._fk(table, cols, ref, ref.span or tf.span)
                    if fk:
                        fks[qname].append(fk)
        for qname, items in fks.items():
            merged: dict[tuple[tuple[str, ...], QName], ForeignKey] = {}
            for fk in items:
                k = (fk.columns, fk.ref_table)
                prev = merged.get(k)
                if prev is None:
                    merged[k] = fk
                    continue
                merged[k] = self._merge_fk(qname, prev, fk)
            self.tables[qname] = replace(self.tables[qname], foreign_keys=tuple(merged.values()))

    def report_unbuilt_fk_marks(self) -> None:
        """A column marked FK that no block gives a target for, and no foreign key covers."""
        for key, ent in sorted(self.entities.items()):
            table = self.tables[self.by_key[key]]
            covered = {c for fk in table.foreign_keys for c in fk.columns}
            for tf in ent.facts:
                for cf in tf.columns:
                    if cf.pending_actions and cf.references is None:
                        self._unattached_actions(self.by_key[key], cf)
                    if not cf.fk_marked or cf.references is not None:
                        continue
                    col = self.find_column(table, cf.name) or self._columns_of(table).folded.get(
                        cf.name.lower()
                    )
                    if col is None or col.name in covered:
                        continue
                    covered.add(col.name)
                    self.diags.append(
                        not_built(
                            "FK mark without a target",
                            f"{table.qname}.{col.name} is marked as a foreign key, "
                            "but the document never says what it references",
                            cf.span,
                            "write the target: FK -> table(column)",
                        )
                    )

    def _unattached_actions(self, qname: QName, cf: ColumnFact) -> None:
        """ON DELETE / ON UPDATE written on a column whose block gives no reference: the action of
        the one-column foreign key another block states, or a "not built" warning."""
        table = self.tables[qname]
        col = self.find_column(table, cf.name) or self._columns_of(table).folded.get(cf.name.lower())
        fks = [fk for fk in table.foreign_keys if col is not None and fk.columns == (col.name,)]
        actions = {f"on_{event.lower()}": action for event, action in (cf.pending_actions or {}).items()}
        if len(fks) == 1:
            fk = fks[0]
            stated = {k: v for k, v in actions.items() if getattr(fk, k) == "NO ACTION"}
            if stated:
                fks_now = tuple(replace(f, **stated) if f is fk else f for f in table.foreign_keys)  # type: ignore[arg-type]
                self.tables[table.qname] = replace(table, foreign_keys=fks_now)
            return
        written = ", ".join(f"ON {e} {a}" for e, a in sorted((cf.pending_actions or {}).items()))
        self.diags.append(
            not_built(
                "foreign-key action without a foreign key",
                f"{table.qname}.{cf.name}: {written} is written, but the column references nothing",
                cf.span,
                "write the reference with it: REFERENCES table(column) " + written,
            )
        )

    def _merge_fk(self, table: QName, a: ForeignKey, b: ForeignKey) -> ForeignKey:
        out = a
        for attr in ("on_delete", "on_update"):
            va, vb = getattr(a, attr), getattr(b, attr)
            if va == vb:
                continue
            if va == "NO ACTION":
                out = replace(out, **{attr: vb})
            elif vb != "NO ACTION":
                self.warn(
                    "SD203",
                    f"{table}: foreign key ({', '.join(a.columns)}) is given {attr.replace('_', ' ').upper()} "
                    f"{va} and {vb}",
                    b.span,
                    f"using {va}",
                    a.span or b.span,
                )
        # a diagram's edge cannot say DEFERRABLE or MATCH FULL: what one block states, the key has
        return replace(
            out,
            name=a.name or b.name,
            deferrable=a.deferrable or b.deferrable,
            initially_deferred=a.initially_deferred or b.initially_deferred,
            match_full=a.match_full or b.match_full,
        )

    def _fk(self, table: Table, cols: list[str], ref: RefFact, span: Span) -> ForeignKey | None:
        target = self.lookup(ref.table)
        if target is None and ref.table.schema is None and table.schema != DEFAULT_SCHEMA:
            target = self.lookup(replace(ref.table, schema=table.schema))  # a sibling on the search path
        local = [self._actual_column(table, c, span) for c in cols]
        if target is None:
            target = self._missing_table(table, local, ref, span)
            if target is None:
                return None
        parent = self.tables[target]
        if ref.columns:
            ref_cols = [self._actual_column(parent, c, span) for c in ref.columns]
        elif parent.primary_key:
            ref_cols = list(parent.primary_key.columns)
        else:
            self.error(
                "SD105",
                f"{table.qname} references {target}, which has no primary key, without naming a column",
                span,
                "name the referenced column, e.g. FK -> table(id)",
            )
            return None
        for c in ref_cols:
            if self.find_column(parent, c) is None:
                self.error(
                    "SD106",
                    f"{table.qname}({', '.join(local)}) references {target}.{c}, which is not a column of {target}",
                    span,
                    _did_you_mean(c, [x.name for x in parent.columns]),
                )
                return None
        for c in local:
            if self.find_column(table, c) is None:
                self.error(
                    "SD107",
                    f"foreign key names {table.qname}.{c}, which is not a column",
                    span,
                    _did_you_mean(c, [x.name for x in table.columns]),
                )
                return None
        if ref.on_delete is not None:
            self.explicit_delete.add((table.qname, tuple(local)))
        return ForeignKey(
            columns=tuple(local),
            ref_table=target,
            ref_columns=tuple(ref_cols),
            on_delete=ref.on_delete or "NO ACTION",
            on_update=ref.on_update or "NO ACTION",
            match_full=ref.match_full,
            deferrable=ref.deferrable,
            initially_deferred=ref.initially_deferred,
            name=ref.name,
            validated=ref.validated,
            span=span,
        )

    def _actual_column(self, table: Table, written: str, span: Span | None) -> str:
        index = self._columns_of(table)
        if written in index.by_name:
            return written
        col = index.folded.get(written)
        if col is not None and is_folded_camel(written, col.name):
            self.warn(
                "SD204",
                f"unquoted {col.name!r} folds to {written!r} in PostgreSQL; "
                f'built on the documented column "{col.name}" of {table.qname}',
                span,
                f'quote the identifier in the SQL: "{col.name}"',
            )
            return col.name
        col = index.keyed.get(column_key(written))
        if col is not None:
            return col.name
        return written

    def _missing_table(self, table: Table, local: list[str], ref: RefFact, span: Span) -> QName | None:
        schema = ref.table.schema or DEFAULT_SCHEMA
        name = ref.table.text if ref.table.quoted else ref.table.text.lower()
        qname = qualify(name, schema)
        if qname in self.tables:
            return qname
        if not self.stub_missing:
            self.error(
                "SD101",
                f"{table.qname} references table {qname}, which the document never defines",
                span,
                "define the table in the document, or pass --stub-missing to build a stand-in for it",
            )
            return None
        cols = ref.columns or ["id"]
        stub_cols = []
        for i, c in enumerate(cols):
            local_col = self.find_column(table, local[i]) if i < len(local) else None
            ctype = reference_type(local_col.type) if local_col and local_col.type else "text"
            stub_cols.append(Column(c, ctype, nullable=False, span=span))
        self.tables[qname] = Table(
            schema=schema,
            name=name,
            columns=tuple(stub_cols),
            primary_key=PrimaryKey(tuple(cols)),
            stub=True,
            span=span,
        )
        self.by_key[entity_key(name, schema)] = qname
        if schema != DEFAULT_SCHEMA and schema not in self.extra_schemas:
            self.extra_schemas.append(schema)
        self.warn(
            "SD108",
            f"{table.qname} references {qname}, which the document never defines; built a stand-in table",
            span,
            "the stand-in holds only the referenced key; define the table to check it fully",
        )
        return qname

    # -- types ----------------------------------------------------------------------------------------
    def resolve_types(self) -> None:
        self._referrers = None
        enum_by_key = {e.name.lower(): e for e in self.enums.values()}
        id_types = [
            c.type
            for t in self.tables.values()
            for c in t.columns
            if (c.name == "id" or c.name.endswith("_id")) and c.type and not c.type_inferred
        ]
        # the most used identifier type; ties go to the one the document uses first (same input, same bytes)
        id_type = Counter(id_types).most_common(1)[0][0] if id_types else None
        for qname, table in list(self.tables.items()):
            if table.inherits:
                table = self.tables[qname] = self._without_inherited(table)
            cols = [self._column_type(table, col, enum_by_key, id_type) for col in table.columns]
            if any(new is not old for new, old in zip(cols, table.columns, strict=True)):
                self.tables[qname] = replace(table, columns=tuple(cols))

    def _without_inherited(self, table: Table) -> Table:
        """``table`` without the untyped columns it inherits from a parent (pg_dump's
        ``ALTER TABLE ONLY child ALTER COLUMN c SET DEFAULT ...`` names an inherited column that
        way): they are the parent's columns, not new ones. What is stated of them is not built."""
        kept: list[Column] = []
        for col in table.columns:
            inherited_from = None
            if not col.type:
                for parent_name in table.inherits:
                    parent = self.tables.get(parent_name)
                    if parent is not None and self.find_column(parent, col.name) is not None:
                        inherited_from = parent_name
                        break
            if inherited_from is None:
                kept.append(col)
                continue
            self.diags.append(
                not_built(
                    "ALTER COLUMN of an inherited column",
                    f"{table.qname}.{col.name} is inherited from {inherited_from}; "
                    "a default or NOT NULL of its own in the child is not part of the schema model",
                    col.span,
                    "state the column's default and NOT NULL on the parent table",
                )
            )
        if len(kept) == len(table.columns):
            return table
        return replace(table, columns=tuple(kept))

    def _column_type(self, table: Table, col: Column, enums: dict[str, Enum], id_type: str | None) -> Column:
        if not col.type:
            ref_type = self._type_from_fk(table, col)
            if ref_type:
                self.warn(
                    "SD205",
                    f"{table.qname}.{col.name} has no type; typed {ref_type} like the key it references",
                    col.span,
                )
                return replace(col, type=ref_type, type_inferred=True)
            chosen, why = type_from_name(col.name, id_type)
            self.warn("SD205", f"{table.qname}.{col.name} has no type; typed {chosen}: {why}", col.span)
            return replace(col, type=chosen, type_inferred=True)
        if normalize_type(col.type) is not None or col.type.startswith('"'):
            return col
        user_type = self._user_type(col.type)
        if user_type is not None:
            return replace(col, type=user_type)
        if type_extension(col.type) is not None:
            return col  # an extension's type: its CREATE EXTENSION comes with it (resolve_objects)
        bare = col.type.strip('"').rstrip("[]")
        enum = enums.get(bare.lower()) or enums.get(bare.split(".")[-1].lower())
        if enum is not None:
            arr = "[]" * col.type.count("[]")
            return replace(col, type=_quoted_type(enum.schema, enum.name) + arr)
        guess = closest_type(bare)
        fallback = normalize_type(guess) if guess else None
        if bare.lower() == "enum" and any(col.name in c.columns for c in table.checks):
            # "Enum" names no type: the column is one of the values listed, which its CHECK holds
            self.note(
                "SD285",
                f"{table.qname}.{col.name}: type 'Enum' with its values listed; built as text with a CHECK of them",
                col.span,
                "name the enum type (CREATE TYPE ... AS ENUM) to have it built",
            )
            return replace(col, type="text")
        if self.stub_missing and fallback is None and type_extension(col.type) is None:
            dims = col.type.count("[]")
            domain = type_stand_in(self, col.type.replace("[]", ""), col.span, f"{table.qname}.{col.name}")
            self.stand_in_types.setdefault(domain.qname, domain)
            return replace(col, type=_quoted_type(domain.schema, domain.name) + "[]" * dims)
        self.warn(
            "SD206",
            f"{table.qname}.{col.name}: unknown type {col.type!r}",
            col.span,
            f"did you mean {guess!r}? built as {fallback or 'text'}" if guess else "built as text",
        )
        return replace(col, type=fallback or "text")

    def _user_type(self, written: str) -> str | None:
        """A domain, composite or range type the document creates, as a column names it (maybe
        schema-qualified, maybe an array): its quoted, qualified spelling, or None."""
        if self._user_types is None:
            self._user_types = {}
            defined: list[Domain | CompositeType | RangeType] = [
                *self.facts.domains,
                *self.facts.composites,
                *self.facts.ranges,
            ]
            for t in defined:
                self._user_types.setdefault(t.qname, _quoted_type(t.schema, t.name))
        dims = 0
        bare = written.strip()
        while bare.endswith("[]"):
            bare, dims = bare[:-2].rstrip(), dims + 1
        named = parse_qualified(bare)
        found = self._user_types.get(named) if named is not None else None
        return None if found is None else found + "[]" * dims

    def _type_from_fk(self, table: Table, col: Column) -> str | None:
        for fk in table.foreign_keys:
            if col.name in fk.columns:
                parent = self.tables.get(fk.ref_table)
                if parent is None:
                    continue
                pcol = self.find_column(parent, fk.ref_columns[fk.columns.index(col.name)])
                if pcol and pcol.type:
                    return reference_type(pcol.type)
        # A key that other tables reference with a typed column gets that type.
        if self._referrers is None:
            # Foreign keys are final by now; built once, in table order then key order.
            self._referrers = defaultdict(list)
            for oq, other in self.tables.items():
                for fk in other.foreign_keys:
                    self._referrers[fk.ref_table].append((oq, fk))
        for oq, fk in self._referrers.get(table.qname, ()):
            if col.name in fk.ref_columns:
                ocol = self.find_column(self.tables[oq], fk.columns[fk.ref_columns.index(col.name)])
                if ocol and ocol.type:
                    return ocol.type
        return None

    def _sql_typed_columns(self) -> set[tuple[QName, str]]:
        """(table, column key) of every column whose type an SQL statement states."""
        out: set[tuple[QName, str]] = set()
        for key, ent in self.entities.items():
            qname = self.by_key.get(key)
            if qname is None:
                continue
            for tf in ent.facts:
                if tf.source == "sql":
                    out.update((qname, column_key(cf.name)) for cf in tf.columns if cf.type)
        return out

    def unify_fk_types(self) -> None:
        sql_typed = self._sql_typed_columns()
        for qname, table in list(self.tables.items()):
            cols = {c.name: c for c in table.columns}
            changed = False
            for fk in table.foreign_keys:
                parent = self.tables[fk.ref_table]
                for lc, rc in zip(fk.columns, fk.ref_columns, strict=False):
                    pcol, ccol = self.find_column(parent, rc), cols[lc]
                    if pcol is None:
                        continue
                    want = reference_type(pcol.type)
                    if ccol.type != want and not self._equivalent("type", ccol.type, want):
                        if ccol.type and (qname, column_key(lc)) in sql_typed:
                            # SQL states the column's type: PostgreSQL builds it as written
                            self.warn(
                                FK_TYPE_AS_WRITTEN.code,
                                f"{qname}.{lc} is {ccol.type} but references {fk.ref_table}.{rc} ({pcol.type}); "
                                "built as written",
                                ccol.span,
                                "give the referencing column the referenced key's type",
                                pcol.span,
                            )
                            continue
                        self.warn(
                            "SD207",
                            f"{qname}.{lc} is {ccol.type} but references {fk.ref_table}.{rc} ({pcol.type}); "
                            f"built as {want}",
                            ccol.span,
                            "give the referencing column the referenced key's type",
                            pcol.span,
                        )
                        cols[lc] = replace(ccol, type=want)
                        changed = True
            if changed:
                self.tables[qname] = replace(table, columns=tuple(cols[c.name] for c in table.columns))

    # -- indexes --------------------------------------------------------------------------------------
    def build_indexes(self) -> dict[QName, Index]:
        out: dict[QName, Index] = {}
        named: dict[str, IndexFact] = {}
        for ix in self.facts.indexes:
            if ix.name and ix.keys:
                named.setdefault(ix.name, ix)
        # "INDEXED" written on a column: an index on that column alone
        on_columns = [
            IndexFact(None, tf.name, cf.span, keys=[cf.name])
            for tf in self.facts.tables
            for cf in tf.columns
            if cf.indexed
        ]
        for ix in [*self.facts.indexes, *on_columns]:
            table_q = self.lookup(ix.table)
            if (table_q is None or table_q not in self.tables) and is_placeholder(ix.table.text):
                self.warn(
                    "SD226",
                    f"index {ix.name or ''} is on {ix.table}, a placeholder: read as an example, not built".replace(
                        "index  ", "index "
                    ),
                    ix.span,
                    "write the real table's name to have the index built",
                )
                continue
            if table_q is None or table_q not in self.tables:
                on_view = self._matview_index(ix)
                if on_view is not None:
                    out.setdefault(on_view.qname, on_view)
                    continue
                self.error(
                    "SD109",
                    f"index {ix.name or ''} is on table {ix.table}, which the document never defines".replace(
                        "index  ", "index "
                    ),
                    ix.span,
                    "define the table, or fix the table name",
                )
                continue
            table = self.tables[table_q]
            if ix.name and not ix.keys and ix.name in named:
                continue  # the name-only mention of an index defined elsewhere
            index = self._index(table, ix)
            if index is None:
                continue
            if ix.name is None and self._covered(table, index, out):
                continue
            prev = out.get(index.qname)
            if prev is not None:
                if (prev.keys, prev.where, prev.unique) != (index.keys, index.where, index.unique):
                    self.warn(
                        "SD208",
                        f"index {index.name} is defined twice, differently",
                        index.span,
                        "keeping the first definition",
                        prev.span,
                    )
                continue
            out[index.qname] = index
        return out

    def _matview_index(self, ix: IndexFact) -> Index | None:
        """An index on a materialized view the document creates: its keys as written (the
        view's columns are known only once PostgreSQL runs its query)."""
        if not ix.keys:
            return None
        wanted = ix.table.text if ix.table.quoted else ix.table.text.lower()
        target = qualify(wanted, ix.table.schema)
        for view in self.facts.views:
            name = view.name.text if view.name.quoted else view.name.text.lower()
            if view.materialized and qualify(name, view.name.schema) == target:
                return Index(
                    schema=target.schema,
                    name=ix.name or _auto_index_name(target.name, list(ix.keys)),
                    table=target,
                    keys=tuple(ix.keys),
                    unique=ix.unique,
                    method=ix.method,
                    where=ix.where,
                    include=tuple(ix.include),
                    nulls_not_distinct=ix.nulls_not_distinct,
                    span=ix.span,
                )
        return None

    def _index(self, table: Table, ix: IndexFact) -> Index | None:
        keys = [self._index_key(table, k, ix.span) for k in ix.keys]
        where = ix.where
        inferred = False
        if not keys:
            if not ix.name:
                return None
            guess = index_from_name(ix.name, table, ix.purpose or "", ix.unique, self._check_values(table))
            if guess is None:
                self.diags.append(
                    not_built(
                        "index without columns",
                        f"index {ix.name}: cannot tell its columns from the name and the description",
                        ix.span,
                        f"give its definition, e.g. CREATE INDEX {ix.name} ON {table.name} (...)",
                    )
                )
                return None
            keys, where, inferred = guess.keys, guess.where, True
            self.warn(
                "SD210",
                f"index {ix.name}: {guess.explanation}",
                ix.span,
                "write the index definition to be exact",
            )
        if (
            len(keys) == 1
            and keys[0].casefold() == "expression"
            and self.find_column(table, "expression") is None
        ):
            self.warn(
                "SD284",
                f"index {ix.name or ''} on {table.qname} is on an expression the document does not give "
                "(its key reads 'expression'): not built",
                ix.span,
                "write the index's expression, e.g. CREATE INDEX ... USING gin (to_tsvector('simple', details))",
            )
            return None
        for key in keys:
            quoted = _QUOTED_KEY.match(key)  # a quoted name may hold spaces: "a 0" DESC
            bare = quoted.group(1) if quoted else key.split()[0]
            column = bare[1:-1].replace('""', '"') if quoted else bare.strip('"')
            if (quoted or _MAYBE_QUOTED_WORD.fullmatch(bare)) and self.find_column(table, column) is None:
                self.error(
                    "SD110",
                    f"index {ix.name or ''} on {table.qname} names column {bare}, which is not a column",
                    ix.span,
                    _did_you_mean(bare, [c.name for c in table.columns]),
                )
                return None
        name = ix.name or _auto_index_name(table.name, keys)
        return Index(
            schema=table.schema,
            name=name,
            table=table.qname,
            keys=tuple(keys),
            unique=ix.unique,
            method=ix.method,
            where=where,
            include=tuple(self._actual_column(table, c, ix.span) for c in ix.include),
            nulls_not_distinct=ix.nulls_not_distinct,
            comment=ix.purpose if ix.name and ix.keys else None,
            inferred=inferred,
            span=ix.span,
        )

    def _index_key(self, table: Table, key: str, span: Span) -> str:
        parts = key.split(" ", 1)
        bare = parts[0]
        if _WORD.fullmatch(bare):
            actual = self._actual_column(table, bare, span)
            rest = f" {parts[1]}" if len(parts) > 1 else ""
            return quote_ident(actual) + rest
        return key

    def _check_values(self, table: Table, *, listed: bool = True) -> dict[str, list[str]]:
        """Allowed values per column, from CHECK ... IN lists (and, with ``listed``, value lists)."""
        out: dict[str, list[str]] = {}
        for chk in table.checks:
            m = re.fullmatch(r"\(?\s*\"?(\w+)\"?\s+IN\s*\((.*)\)\s*\)?", chk.expression.strip(), re.I | re.S)
            if m:
                out[m.group(1)] = re.findall(r"'((?:[^']|'')*)'", m.group(2))
        if listed:
            for col, vals in self.values.get(table.qname, {}).items():
                out.setdefault(col, vals)
        return out

    def _covered(self, table: Table, index: Index, existing: dict[QName, Index]) -> bool:
        """An unnamed index the document lists in prose that a constraint or named index already gives."""
        if index.where:
            return False
        cols = tuple(k.strip('"') for k in index.keys)
        if table.primary_key and table.primary_key.columns == cols:
            return True
        if any(u.columns == cols for u in table.uniques):
            return True
        return any(
            other.table == table.qname and tuple(k.strip('"') for k in other.keys) == cols
            for other in existing.values()
        ) or any(
            _key(f.table) == entity_key(table.name, table.schema)
            and f.name
            and tuple(self._index_key(table, k, f.span).strip('"') for k in f.keys) == cols
            for f in self.facts.indexes
            if f.keys
        )

    # -- value lists ----------------------------------------------------------------------------------
    def apply_value_lists(self) -> None:
        for vl in self.facts.value_lists:
            if vl.enum_name:
                if vl.enum_name.lower() not in {e.name.lower() for e in self.enums.values()}:
                    enum = Enum(DEFAULT_SCHEMA, vl.enum_name, tuple(vl.values), span=vl.span)
                    self.enums[enum.qname] = enum
                continue
            if vl.table is None or vl.column is None:
                continue
            tq = self.lookup(vl.table)
            if tq is None or tq not in self.tables:
                self.warn(
                    "SD211", f"allowed values are given for {vl.table}.{vl.column}, an unknown table", vl.span
                )
                continue
            col = self._actual_column(self.tables[tq], vl.column, vl.span)
            if self.find_column(self.tables[tq], col) is None:
                self.warn(
                    "SD211", f"allowed values are given for {tq}.{vl.column}, an unknown column", vl.span
                )
                continue
            known = self.values[tq].get(col)
            if known is not None and sorted(known) != sorted(vl.values):
                self.warn(
                    "SD212",
                    f"{tq}.{col}: two different value lists: {', '.join(known)} and {', '.join(vl.values)}",
                    vl.span,
                    "using the first; make them agree",
                )
                continue
            self.values[tq].setdefault(col, list(vl.values))
        for tq, cols in self.values.items():
            table = self.tables.get(tq)
            if table is None:
                continue
            checks = list(table.checks)
            for col_name, vals in cols.items():
                column = self.find_column(table, col_name)
                if column is None:
                    continue
                enum_type = self._enum_of(column.type)
                if enum_type is not None:
                    enum = enum_type
                    if set(vals) != set(enum.labels):
                        self.warn(
                            "SD212",
                            f"{tq}.{col_name} lists values {', '.join(vals)} but its type {enum.name} has "
                            f"{', '.join(enum.labels)}",
                            column.span,
                        )
                    continue
                covered = self._check_values(table, listed=False).get(col_name)
                if covered is not None:
                    if set(covered) != set(vals):
                        self.warn(
                            "SD212",
                            f"{tq}.{col_name}: the CHECK allows {', '.join(covered)} but the document also "
                            f"lists {', '.join(vals)}",
                            column.span,
                            "the CHECK is built as written",
                        )
                    continue
                literal = ", ".join("'" + v.replace("'", "''") + "'" for v in vals)
                expr = f"{quote_ident(col_name)} IN ({literal})"
                checks.append(Check(expr, None, (col_name,), column.span))
                self.note("SD213", f"{tq}.{col_name}: the listed values become CHECK ({expr})", column.span)
            if len(checks) != len(table.checks):
                self.tables[tq] = replace(table, checks=tuple(checks))

    def _enum_of(self, type_text: str) -> Enum | None:
        bare = type_text.strip('"').rstrip("[]").strip('"')
        for e in self.enums.values():
            if e.name == bare or _quoted_type(e.schema, e.name) == type_text.rstrip("[]"):
                return e
        return None

    # -- checks written in pseudo-SQL ----------------------------------------------------------------
    def fix_checks(self) -> None:
        for qname, table in list(self.tables.items()):
            fixed = []
            changed = False
            for chk in table.checks:
                expr = chk.expression.strip()
                xor = _XOR_CHECK.fullmatch(expr) if "xor" in expr.lower() else None
                if xor:
                    cols = [c.strip() for c in re.split(r"\s+XOR\s+", xor.group(1), flags=re.I)]
                    new = f"num_nonnulls({', '.join(quote_ident(c) for c in cols)}) = 1"
                    self.warn(
                        "SD214",
                        f"{qname}: CHECK {expr} is not SQL (there is no XOR); built as CHECK ({new}), "
                        "exactly one of them set, as the document describes",
                        chk.span,
                        f"write CHECK ({new})",
                    )
                    chk = replace(chk, expression=new, columns=tuple(cols))
                    changed = True
                    # the reader's own "pseudo-SQL" warning is superseded by this one
                    self.diags = [d for d in self.diags if not (d.code == "SD012" and d.span == chk.span)]
                fixed.append(chk)
            if changed:
                self.tables[qname] = replace(table, checks=tuple(fixed))

    # -- FK actions stated in prose ---------------------------------------------------------------------
    def apply_fk_prose(self) -> None:
        general = [fa for fa in self.facts.fk_actions if fa.table.text == "*"]
        for fa in self.facts.fk_actions:
            if fa.table.text != "*":
                self._set_action(fa.table, fa.parent, fa.on_delete, fa.on_update, fa.span, "prose")
        for rel in self.facts.relationships:
            if rel.on_delete is None:
                continue
            self._set_action(rel.child, rel.parent, rel.on_delete, None, rel.span, "relationship")
        for fa in general[:1]:
            for qname, table in list(self.tables.items()):
                new = []
                for fk in table.foreign_keys:
                    if (
                        (qname, fk.columns) not in self.explicit_delete
                        and fa.on_delete
                        and fk.on_delete != fa.on_delete
                    ):
                        self.note(
                            "SD223",
                            f"{qname}({', '.join(fk.columns)}) -> {fk.ref_table}: built ON DELETE {fa.on_delete}, "
                            "as the document says of all foreign keys",
                            fk.span,
                        )
                        fk = replace(fk, on_delete=fa.on_delete)
                    new.append(fk)
                self.tables[qname] = replace(table, foreign_keys=tuple(new))

    def _set_action(
        self, child: Name, parent: Name, on_delete: str | None, on_update: str | None, span: Span, what: str
    ) -> None:
        cq, pq = self.lookup(child), self.lookup(parent)
        if cq is None or pq is None or cq not in self.tables:
            self.warn("SD215", f"{what} names {child} and {parent}, not both defined tables", span)
            return
        table = self.tables[cq]
        hits = [fk for fk in table.foreign_keys if fk.ref_table == pq]
        if on_delete is not None:
            self.explicit_delete.update((cq, fk.columns) for fk in hits)
        if not hits:
            self.warn(
                "SD215",
                f"the document says {cq} rows go with {pq} ({on_delete or on_update}), "
                f"but {cq} has no foreign key to {pq}",
                span,
                "add the foreign key column",
            )
            return
        new = []
        for fk in table.foreign_keys:
            if fk.ref_table == pq:
                for attr, val in (("on_delete", on_delete), ("on_update", on_update)):
                    if val is None:
                        continue
                    cur = getattr(fk, attr)
                    if cur not in ("NO ACTION", val):
                        self.warn(
                            "SD203",
                            f"{cq}: the SQL gives the foreign key to {pq} {attr.replace('_', ' ').upper()} {cur}, "
                            f"the {what} says {val}; built {val}",
                            span,
                            "make the two agree",
                            fk.span,
                        )
                    fk = replace(fk, on_delete=val) if attr == "on_delete" else replace(fk, on_update=val)  # type: ignore[arg-type]
            new.append(fk)
        self.tables[cq] = replace(table, foreign_keys=tuple(new))

    def apply_key_defaults(self) -> None:
        """The document's word on how uuid primary keys get their values, for those it gives no default."""
        if not self.facts.key_defaults:
            return
        expr, span = self.facts.key_defaults[0]
        filled = []
        for qname, table in list(self.tables.items()):
            pk = table.primary_key
            if table.stub or pk is None or len(pk.columns) != 1:
                continue
            col = table.column(pk.columns[0])
            if col is None or col.type != "uuid" or col.default is not None:
                continue
            self.tables[qname] = table.with_column(replace(col, default=expr))
            filled.append(f"{qname}.{col.name}")
        if filled:
            self.note(
                "SD225",
                f"{len(filled)} uuid primary key(s) default to {expr}, as the document says: {', '.join(filled)}",
                span,
            )

    # -- mentions -------------------------------------------------------------------------------------
    def check_mentions(self) -> None:
        seen: set[str] = set()
        views = {_key(v.name) for v in self.facts.views}  # a generator's table list names views too
        for m in self.facts.mentions:
            key = _key(m.name)
            if key in self.by_key or key in seen or key in views:
                continue
            seen.add(key)
            self.warn(
                "SD111",
                f"table {m.name} is listed{' in ' + m.context if m.context else ''} but never defined",
                m.span,
                "add its columns, or remove it from the list",
            )

    # -- the whole ------------------------------------------------------------------------------------
    def run(self) -> Schema:
        for e in self.facts.enums:
            prev = self.enums.get(e.qname)
            if prev is not None and prev.labels != e.labels:
                self.warn("SD216", f"enum {e.name} is defined twice, differently", e.span, None, prev.span)
                continue
            self.enums.setdefault(e.qname, e)
        self.collect_entities()
        if not self.entities:
            return Schema()
        self.collect_comments()
        self.build_tables()
        self.apply_value_lists()
        self.fix_checks()
        self.build_foreign_keys()
        self.report_unbuilt_fk_marks()
        self.apply_fk_prose()
        self.resolve_types()
        self.apply_key_defaults()
        self.unify_fk_types()
        self.check_mentions()
        indexes = self.build_indexes()
        schema = Schema(
            tables=dict(sorted(self.tables.items())),
            indexes=dict(sorted(indexes.items())),
            enums=dict(sorted(self.enums.items())),
        )
        schema = resolve_objects.finish(self, schema)
        if self.auto_updated:
            schema, diags = build_refresh(schema, self.auto_updated)
            self.diags.extend(diags)
        return schema


_WORD = lazy_regex(r"[A-Za-z_][A-Za-z0-9_]*")
_XOR_CHECK = lazy_regex(r"\(?\s*(\w+(?:\s+XOR\s+\w+)+)\s*\)?", re.I)
_MAYBE_QUOTED_WORD = lazy_regex(r'"?[A-Za-z_][A-Za-z0-9_]*"?')
_QUOTED_KEY = lazy_regex(r'\s*("(?:[^"]|"")+")(?=\s|$)')
_WORD_LIST = lazy_regex(r"^\s*[A-Za-z_][\w-]*(?:\s*,\s*[A-Za-z_][\w-]*)+\s*$")


def _merged_identity_options(draft: _ColumnDraft) -> tuple[tuple[str, int | bool | None], ...] | None:
    """The identity options every block states of the column, a later ALTER TABLE's over an earlier one's."""
    stated = [cf.identity_options for _, cf in draft.facts if cf.identity_options]  # CREATE before ALTER
    return sequence_options.merged(*stated) if stated else None


def _comment_values(comment: str, default: str) -> list[str] | None:
    """``status text DEFAULT 'running' -- running, paused, completed, failed``: a bare word list in a
    column's comment is its value list when the column's default is one of the words."""
    if not _WORD_LIST.match(comment):
        return None
    words = [w.strip() for w in comment.split(",")]
    literal = re.fullmatch(r"'((?:[^']|'')*)'(?:::[\w ]+)?", default.strip())
    if literal is None or literal.group(1) not in words:
        return None
    return words


_UNQUALIFIED_NEXTVAL = lazy_regex(
    r"^(?P<head>\s*nextval\s*\(\s*')(?P<seq>[a-z_][a-z0-9_$]*)(?P<tail>'.*)$", re.S
)


def _norm_sql(text: str) -> str:
    return " ".join(text.lower().split()).strip("() ")


def _quoted_type(schema: str, name: str) -> str:
    q = quote_ident(name)
    return q if schema == DEFAULT_SCHEMA else f"{quote_ident(schema)}.{q}"


def _dedupe_uniques(uniques: list[Unique], pk: PrimaryKey | None) -> list[Unique]:
    out: list[Unique] = []
    for u in uniques:
        if pk is not None and u.columns == pk.columns:
            continue
        if any(o.columns == u.columns for o in out):
            continue
        out.append(u)
    return out


def _auto_index_name(table: str, keys: list[str]) -> str:
    cols = [re.sub(r"[^A-Za-z0-9_]", "", k.split()[0]) for k in keys]
    return f"{table}_{'_'.join(cols)}_idx"[:63]


def _did_you_mean(name: str, choices: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name.strip('"'), choices, n=1, cutoff=0.5)
    if found:
        return f"did you mean {found[0]!r}?"
    if not choices:
        return None
    shown = ", ".join(choices[:8]) + (", ..." if len(choices) > 8 else "")
    return f"its columns are: {shown}"


def resolve(
    facts: DocFacts, *, stub_missing: bool = False, trust: bool = False
) -> tuple[Schema, list[Diagnostic]]:
    """The document's facts as one Schema. ``trust``: keep what reaches outside the database
    (routines that do, roles with server-wide powers) instead of leaving it out."""
    resolver = Resolver(facts, stub_missing=stub_missing)
    schema, screened = screen_schema(resolver.run(), trust=trust)
    return schema, list(dict.fromkeys([*resolver.diags, *screened]))


__all__ = ["Resolver", "Role", "resolve"]
