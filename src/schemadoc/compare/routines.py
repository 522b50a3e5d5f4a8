"""Typed changes of views, functions and triggers, and the comparison that finds them."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pglast import ast, parse_sql
from pglast.parser import ParseError

from schemadoc.compare.access import GrantsOn, column_grant_steps, regrant_steps
from schemadoc.compare.changes import Change, Hazard, Lock, Step
from schemadoc.compare.codes import (
    FUNCTION_BODY,
    FUNCTION_CHANGED,
    FUNCTION_EXTRA,
    FUNCTION_MISSING,
    TRIGGER_CHANGED,
    TRIGGER_EXTRA,
    TRIGGER_MISSING,
    VIEW_CHANGED,
    VIEW_EXTRA,
    VIEW_MISSING,
)
from schemadoc.compare.spans import DocSpans
from schemadoc.compare.text import cols, normalize_sql
from schemadoc.model import ColumnGrant, Function, Grant, Index, QName, Schema, Span, Trigger, View
from schemadoc.records import record, replace
from schemadoc.sqlnames import quote_ident, quote_qualified
from schemadoc.write.ddl_comments import CommentTarget, comment_on_statement, comment_statements
from schemadoc.write.ddl_routines import (
    drop_function_statement,
    drop_trigger_statement,
    drop_view_statement,
    early_functions,
    function_statement,
    trigger_statement,
    view_statement,
)
from schemadoc.write.ddl_tables import index_statement

# --- views -------------------------------------------------------------------------------------


def _view_kind(view: View) -> str:
    return "materialized view" if view.materialized else "view"


@record
class OnView:
    """What the document puts on a view besides its grants, made with it: the indexes of a
    materialized view, its triggers (INSTEAD OF...) and its column grants."""

    indexes: tuple[Index, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    column_grants: tuple[ColumnGrant, ...] = ()

    @staticmethod
    def of(schema: Schema, qname: QName, *, held_by: Schema | None = None) -> OnView:
        """What ``schema`` puts on view ``qname``; with ``held_by``, only what that schema holds
        as it is (a view dropped and made again makes those again; the others are changes of
        their own)."""
        indexes = schema.indexes_on(qname)
        triggers = schema.triggers_on(qname)
        grants = [g for g in schema.column_grants if g.table == qname]
        if held_by is not None:
            # an index's comment is a change of its own, made after the view
            indexes = [i for i in indexes if _same_index(held_by.indexes.get(i.qname), i)]
            triggers = [t for t in triggers if held_by.triggers.get(t.key) == t]
            grants = [g for g in grants if g in held_by.column_grants]
        return OnView(tuple(indexes), tuple(triggers), tuple(grants))


def _same_index(held: Index | None, index: Index) -> bool:
    return held is not None and replace(held, comment=index.comment) == index


def _made(view: View, grants: tuple[Grant, ...], on: OnView) -> tuple[Step, ...]:
    """CREATE (MATERIALIZED) VIEW, its comment, its indexes and triggers, and its grants: what a
    view made anew needs."""
    # a materialized view is filled as it is made: it reads its tables
    lock = Lock.ACCESS_SHARE if view.materialized else Lock.NONE
    out = [Step(view_statement(view).sql, lock, None)]
    if view.comment is not None:
        target = CommentTarget("MATERIALIZED VIEW" if view.materialized else "VIEW", view.qname)
        out.append(Step(comment_on_statement(target, view.comment).sql, Lock.NONE))
    # the view is new: its indexes are built plainly
    out += [Step(index_statement(i).sql, Lock.SHARE, view.qname) for i in on.indexes]
    described = Schema(indexes={i.qname: i for i in on.indexes})
    out += [Step(s.sql, Lock.NONE, view.qname) for s in comment_statements(described)]
    out += [step for t in on.triggers for step in AddTrigger(trigger=t).steps()]
    return (*out, *regrant_steps(grants), *column_grant_steps(on.column_grants))


@record
class CreateView(Change):
    """A view the database lacks; ``grants``: the privileges the document gives on it; ``on``:
    its indexes, triggers and column grants (reported with the view, not one by one)."""

    code: ClassVar[str] = VIEW_MISSING
    view: View
    grants: tuple[Grant, ...] = ()
    on: OnView = OnView()

    def message(self) -> str:
        return f"{_view_kind(self.view)} {self.view.qname} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        return _made(self.view, self.grants, self.on)

    def inverse(self) -> Change:
        return DropView(view=self.view, grants=self.grants)


@record
class DropView(Change):
    code: ClassVar[str] = VIEW_EXTRA
    view: View
    grants: tuple[Grant, ...] = ()  # the database's grants on it, given again by the inverse

    def message(self) -> str:
        return f"{_view_kind(self.view)} {self.view.qname} is in the database but not in the document"

    def steps(self) -> tuple[Step, ...]:
        return (Step(drop_view_statement(self.view).sql, Lock.ACCESS_EXCLUSIVE, self.view.qname),)

    def inverse(self) -> Change:
        return CreateView(view=self.view, grants=self.grants)


ViewAspect = Literal["kind", "definition", "columns"]


@record
class ReplaceView(Change):
    """A view both sides have, defined otherwise. ``aspect`` is what the report says differs
    (a view can differ in its kind and its query at once: one change each). Only the change
    with ``repairs`` set carries the steps, so a view is replaced once.

    A plain view whose new output columns start with the old ones (same names, same places)
    is replaced in place (CREATE OR REPLACE VIEW); otherwise, and for a materialized view, it
    is dropped and made again with its comment and grants; the drop fails while other objects
    depend on the view (hazard DROPS_DEPENDENTS: they must be dropped and made again around it)."""

    code: ClassVar[str] = VIEW_CHANGED
    view: View  # the document's
    current: View  # the database's
    aspect: ViewAspect
    repairs: bool = True
    grants: tuple[Grant, ...] = ()  # the document's grants on it, given again after a drop
    current_grants: tuple[Grant, ...] = ()  # the database's (for the inverse)
    on: OnView = OnView()  # the document's indexes, triggers and column grants on it, made again after a drop
    current_on: OnView = OnView()  # the database's (for the inverse)

    def message(self) -> str:
        e, a, q = self.view, self.current, self.view.qname
        if self.aspect == "kind":
            return (
                f"{q} is {'a materialized view' if a.materialized else 'a view'} in the database, "
                f"the document says {'a materialized view' if e.materialized else 'a view'}"
            )
        if self.aspect == "definition":
            return (
                f"view {q} has another definition in the database: {normalize_sql(a.definition)}; "
                f"the document says: {normalize_sql(e.definition)}"
            )
        return (
            f"view {q} has columns ({cols(a.columns)}) in the database, the document says ({cols(e.columns)})"
        )

    @property
    def in_place(self) -> bool:
        """Whether CREATE OR REPLACE VIEW can make the change."""
        e, a = self.view, self.current
        return not e.materialized and not a.materialized and e.columns[: len(a.columns)] == a.columns

    def steps(self) -> tuple[Step, ...]:
        if not self.repairs:
            return ()
        q = self.view.qname
        if self.in_place:
            return (Step(view_statement(self.view, or_replace=True).sql, Lock.ACCESS_EXCLUSIVE, q),)
        drop = Step(
            drop_view_statement(self.current).sql,
            Lock.ACCESS_EXCLUSIVE,
            q,
            hazards=frozenset({Hazard.DROPS_DEPENDENTS}),
        )
        return (drop, *_made(self.view, self.grants, self.on))

    def inverse(self) -> Change:
        return ReplaceView(
            view=self.current,
            current=self.view,
            aspect=self.aspect,
            repairs=self.repairs,
            grants=self.current_grants,
            current_grants=self.grants,
            on=self.current_on,
            current_on=self.on,
        )


def same_view_definition(expected: str, actual: str) -> bool:
    """Whether two printed view definitions are the same query. PostgreSQL 15 prints
    every column of a view qualified (``orders.id``), 16 and later only when the query
    reads more than one relation; a single-relation query is compared unqualified."""
    if normalize_sql(expected) == normalize_sql(actual):
        return True
    plain = _unqualified(expected)
    return plain is not None and plain == _unqualified(actual)


def _unqualified(definition: str) -> str | None:
    try:
        stmts = parse_sql(definition)
    except ParseError:
        return None
    stmt = stmts[0].stmt if len(stmts) == 1 else None
    if not isinstance(stmt, ast.SelectStmt) or not stmt.fromClause or len(stmt.fromClause) != 1:
        return None
    rel = stmt.fromClause[0]
    if not isinstance(rel, ast.RangeVar) or not rel.relname:
        return None
    name = str(rel.alias.aliasname if rel.alias else rel.relname)
    text = normalize_sql(definition) or ""
    return re.sub(rf'(?<![\w."$]){re.escape(quote_ident(name))}\.(?=[\w"])', "", text)


def diff_views(expected: Schema, actual: Schema, spans: DocSpans) -> list[Change]:
    out: list[Change] = []
    on, was = GrantsOn(expected), GrantsOn(actual)
    for qname in sorted(set(expected.views) | set(actual.views)):
        e, a = expected.views.get(qname), actual.views.get(qname)
        if a is None:
            assert e is not None
            made = CreateView(view=e, grants=on("TABLE", qname), on=OnView.of(expected, qname))
            out.append(replace(made, span=spans.view(qname)))
        elif e is None:
            out.append(DropView(view=a, grants=was("TABLE", qname)))
        else:
            found = diff_view(e, a, spans.view(qname))
            if found:  # what to make again should it be dropped and made again
                out += [
                    replace(
                        c,
                        grants=on("TABLE", qname),
                        current_grants=was("TABLE", qname),
                        on=OnView.of(expected, qname, held_by=actual),
                        current_on=OnView.of(actual, qname, held_by=expected),
                    )
                    for c in found
                ]
    return out


def diff_view(expected: View, actual: View, span: Span | None) -> list[ReplaceView]:
    aspects: list[ViewAspect] = []
    if expected.materialized != actual.materialized:
        aspects.append("kind")
    if not same_view_definition(expected.definition, actual.definition):
        aspects.append("definition")
    elif expected.columns != actual.columns:
        aspects.append("columns")
    if not aspects:
        return []
    hint = f"CREATE OR REPLACE VIEW {quote_qualified(expected.qname)} AS ..."
    return [
        ReplaceView(
            view=expected,
            current=actual,
            aspect=aspect,
            repairs=number == 0,
            span=span,
            hint_text=hint if aspect == "definition" else None,
        )
        for number, aspect in enumerate(aspects)
    ]


# --- functions ---------------------------------------------------------------------------------


def _created(fn: Function, grants: tuple[Grant, ...]) -> tuple[Step, ...]:
    """CREATE OR REPLACE FUNCTION (or PROCEDURE), its comment and its grants."""
    out = [Step(function_statement(fn).sql, Lock.NONE)]
    if fn.comment is not None:
        target = CommentTarget(
            "PROCEDURE" if fn.kind == "procedure" else "FUNCTION", fn.qname, arguments=fn.arguments
        )
        out.append(Step(comment_on_statement(target, fn.comment).sql, Lock.NONE))
    return (*out, *regrant_steps(grants, procedure=fn.kind == "procedure"))


@record
class CreateFunction(Change):
    """A routine the database lacks; ``grants``: the privileges the document gives on it."""

    code: ClassVar[str] = FUNCTION_MISSING
    function: Function
    grants: tuple[Grant, ...] = ()
    before_tables: bool = False  # a table, domain or index calls it: it is made before them

    def message(self) -> str:
        return f"{self.function.kind} {self.function.signature} is missing from the database"

    def steps(self) -> tuple[Step, ...]:
        return _created(self.function, self.grants)

    def inverse(self) -> Change:
        return DropFunction(function=self.function, grants=self.grants)


@record
class DropFunction(Change):
    code: ClassVar[str] = FUNCTION_EXTRA
    function: Function
    grants: tuple[Grant, ...] = ()  # the database's grants on it, given again by the inverse

    def message(self) -> str:
        return f"{self.function.kind} {self.function.signature} is in the database but not in the document"

    def steps(self) -> tuple[Step, ...]:
        return (Step(drop_function_statement(self.function).sql, Lock.NONE),)

    def inverse(self) -> Change:
        return CreateFunction(function=self.function, grants=self.grants)


@record
class ReplaceFunction(Change):
    """A routine both sides have with another attribute: ``aspect`` names it as the report does
    ("result type", "language", "volatility", "SECURITY DEFINER", "kind"), or it is "body"
    (:class:`ReplaceFunctionBody`). Only the change with ``repairs`` set carries the steps.

    CREATE OR REPLACE makes the change; another result type or kind cannot be made so: the
    routine is dropped and made again (hazard DROPS_DEPENDENTS: what calls it by its type, a
    trigger, a default, goes with it or blocks the drop)."""

    code: ClassVar[str] = FUNCTION_CHANGED
    function: Function  # the document's
    current: Function  # the database's
    aspect: str
    repairs: bool = True
    grants: tuple[Grant, ...] = ()  # the document's grants on it, given again after a drop
    current_grants: tuple[Grant, ...] = ()  # the database's (for the inverse)
    before_tables: bool = False  # a table, domain or index calls it: it is made before them

    def message(self) -> str:
        e, a = self.function, self.current
        ev, av = _attribute(e, self.aspect), _attribute(a, self.aspect)
        return f"{e.kind} {e.signature}: {self.aspect} is {av} in the database, the document says {ev}"

    def steps(self) -> tuple[Step, ...]:
        if not self.repairs:
            return ()
        e, a = self.function, self.current
        create = Step(function_statement(e).sql, Lock.NONE)
        if e.returns == a.returns and e.kind == a.kind:
            return (create,)
        drop = Step(drop_function_statement(a).sql, Lock.NONE, hazards=frozenset({Hazard.DROPS_DEPENDENTS}))
        return (drop, *_created(e, self.grants))

    def inverse(self) -> Change:
        return type(self)(
            function=self.current,
            current=self.function,
            aspect=self.aspect,
            repairs=self.repairs,
            grants=self.current_grants,
            current_grants=self.grants,
        )


@record
class ReplaceFunctionBody(ReplaceFunction):
    """The routine's body differs (aspect "body")."""

    code: ClassVar[str] = FUNCTION_BODY

    def message(self) -> str:
        return f"{self.function.kind} {self.function.signature} has another body in the database"


_ATTRIBUTES = (
    "kind",
    "result type",
    "language",
    "volatility",
    "SECURITY DEFINER",
    "STRICT",
    "PARALLEL",
    "SET",
)


def _attributes(fn: Function) -> tuple[object, ...]:
    return (
        fn.kind,
        fn.returns,
        fn.language,
        fn.volatility,
        fn.security_definer,
        fn.strict,
        fn.parallel,
        fn.config,
    )


def _attribute(fn: Function, label: str) -> str:
    return {
        "kind": fn.kind,
        "result type": fn.returns,
        "language": fn.language,
        "volatility": fn.volatility,
        "SECURITY DEFINER": str(fn.security_definer),
        "STRICT": str(fn.strict),
        "PARALLEL": fn.parallel,
        "SET": "; ".join(fn.config) or "nothing",
    }.get(label, "")


def diff_functions(expected: Schema, actual: Schema, spans: DocSpans) -> list[Change]:
    out: list[Change] = []
    on, was = GrantsOn(expected), GrantsOn(actual)
    early: set[str] | None = None

    def before_tables(sig: str) -> bool:
        """Whether a table, domain or index of the document calls the routine (directly or
        through another): found once, when a routine is to be made."""
        nonlocal early
        if early is None:
            early = early_functions(expected)
        return sig in early

    for sig in sorted(set(expected.functions) | set(actual.functions)):
        e, a = expected.functions.get(sig), actual.functions.get(sig)
        if a is None:
            assert e is not None
            grants = on("FUNCTION", sig)
            made = CreateFunction(function=e, grants=grants, before_tables=before_tables(sig))
            out.append(replace(made, span=spans.function(e)))
        elif e is None:
            out.append(DropFunction(function=a, grants=was("FUNCTION", sig)))
        else:
            found = diff_function(e, a, spans.function(e))
            if found:  # the grants to give again should it be dropped and made again
                grants, current = on("FUNCTION", sig), was("FUNCTION", sig)
                first = before_tables(sig)
                out += [replace(c, grants=grants, current_grants=current, before_tables=first) for c in found]
    return out


def diff_function(expected: Function, actual: Function, span: Span | None) -> list[ReplaceFunction]:
    out: list[ReplaceFunction] = []
    if normalize_sql(expected.body) != normalize_sql(actual.body):
        out.append(
            ReplaceFunctionBody(
                function=expected,
                current=actual,
                aspect="body",
                span=span,
                hint_text="CREATE OR REPLACE it from the document",
            )
        )
    if _attributes(expected) == _attributes(actual):
        return out
    for label in _ATTRIBUTES:
        if _attribute(expected, label) != _attribute(actual, label):
            out.append(
                ReplaceFunction(
                    function=expected,
                    current=actual,
                    aspect=label,
                    repairs=not out,
                    span=span,
                )
            )
    return out


# --- triggers ----------------------------------------------------------------------------------


def trigger_text(t: Trigger) -> str:
    """A trigger's definition in one line (without its name)."""
    text = (
        f"{t.timing} {' OR '.join(t.events)} ON {t.table} FOR EACH {'ROW' if t.for_each_row else 'STATEMENT'}"
    )
    if t.when:
        text += f" WHEN ({t.when})"
    args = ", ".join(repr(a) for a in t.function_args)
    return text + f" EXECUTE FUNCTION {t.function}({args})"


@record
class AddTrigger(Change):
    code: ClassVar[str] = TRIGGER_MISSING
    trigger: Trigger

    def message(self) -> str:
        t = self.trigger
        return f"trigger {t.name} on {t.table} is missing from the database: {trigger_text(t)}"

    def steps(self) -> tuple[Step, ...]:
        t = self.trigger
        return (Step(trigger_statement(t).sql, Lock.SHARE_ROW_EXCLUSIVE, t.table),)

    def inverse(self) -> Change:
        return DropTrigger(trigger=self.trigger)


@record
class DropTrigger(Change):
    code: ClassVar[str] = TRIGGER_EXTRA
    trigger: Trigger

    def message(self) -> str:
        t = self.trigger
        return f"trigger {t.name} on {t.table} is in the database but not in the document: {trigger_text(t)}"

    def steps(self) -> tuple[Step, ...]:
        t = self.trigger
        return (Step(drop_trigger_statement(t).sql, Lock.ACCESS_EXCLUSIVE, t.table),)

    def inverse(self) -> Change:
        return AddTrigger(trigger=self.trigger)


@record
class ReplaceTrigger(Change):
    """CREATE OR REPLACE TRIGGER (PostgreSQL 14 and later): one statement, no moment without it."""

    code: ClassVar[str] = TRIGGER_CHANGED
    trigger: Trigger  # the document's
    current: Trigger  # the database's

    def message(self) -> str:
        e, a = self.trigger, self.current
        return (
            f"trigger {e.name} on {e.table} differs: database has {trigger_text(a)}; "
            f"document says {trigger_text(e)}"
        )

    def steps(self) -> tuple[Step, ...]:
        t = self.trigger
        return (Step(trigger_statement(t, or_replace=True).sql, Lock.SHARE_ROW_EXCLUSIVE, t.table),)

    def inverse(self) -> Change:
        return ReplaceTrigger(trigger=self.current, current=self.trigger)


def diff_triggers(expected: Schema, actual: Schema, spans: DocSpans, skip: set[QName]) -> list[Change]:
    out: list[Change] = []
    for key in sorted(set(expected.triggers) | set(actual.triggers)):
        e, a = expected.triggers.get(key), actual.triggers.get(key)
        some = e or a
        if some is None or some.table in skip:
            continue
        if a is None:
            assert e is not None
            out.append(AddTrigger(trigger=e, span=spans.trigger(e)))
        elif e is None:
            out.append(DropTrigger(trigger=a, span=spans.table(a.table)))
        elif e != a:
            out.append(ReplaceTrigger(trigger=e, current=a, span=spans.trigger(e)))
    return out


# --- views around a column type change ---------------------------------------------------------


@record
class DropDependentView(DropView):
    """A view of the database that reads a table whose column changes type (PostgreSQL refuses
    to alter a column a view uses): dropped before the change, made again after it by
    :class:`RemakeDependentView`."""

    table: QName | None = None

    def message(self) -> str:
        return f"view {self.view.qname} reads {self.table}, whose column type changes: dropped before it"


@record
class RemakeDependentView(CreateView):
    """The view :class:`DropDependentView` dropped, made again as the document has it."""

    table: QName | None = None

    def message(self) -> str:
        return f"view {self.view.qname} reads {self.table}, whose column type changes: made again after it"


def around_type_changes(changes: list[Change], expected: Schema, actual: Schema) -> list[Change]:
    """``changes`` with the views that read a table whose column changes type (and the views
    that read those) dropped before the change and made again after it. A view another change
    drops is left to it; one the document replaces is made as the document has it instead."""
    from schemadoc.compare.columns import AlterColumnType, ChangeCollation
    from schemadoc.write.order import query_references, topo_sort

    tables = {c.table for c in changes if isinstance(c, AlterColumnType | ChangeCollation)}
    if not tables or not actual.views:
        return changes
    reads = {q: query_references(v.definition)[0] for q, v in actual.views.items()}
    found: dict[QName, QName] = {}  # view -> the changed table it reads (through other views)
    frontier = {t: t for t in tables}
    while frontier:
        step = {q: t for q, refs in reads.items() if q not in found for r, t in frontier.items() if r in refs}
        found.update(step)
        frontier = step
    dropped = {c.view.qname for c in changes if isinstance(c, DropView)}
    # made again in dependency order, dropped in the reverse one
    views = topo_sort(
        sorted(q for q in found if q in expected.views and q not in dropped),
        lambda q: query_references(expected.views[q].definition)[0],
    )
    if not views:
        return changes
    on, was = GrantsOn(expected), GrantsOn(actual)
    out = [c for c in changes if not (isinstance(c, ReplaceView) and c.view.qname in views)]
    out += [
        DropDependentView(view=actual.views[q], grants=was("TABLE", q), table=found[q])
        for q in reversed(views)
    ]
    out += [RemakeDependentView(view=expected.views[q], grants=on("TABLE", q), table=found[q]) for q in views]
    return out
