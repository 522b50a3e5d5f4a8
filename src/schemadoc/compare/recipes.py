"""Online recipes shared by several kinds of change: each returns the steps that add a promise
to a live table without holding a lock that blocks writes while the table is scanned.

- a CHECK or foreign key: added NOT VALID (a short lock, no scan), then validated as a
  separate step under SHARE UPDATE EXCLUSIVE, which lets writes go on;
- NOT NULL: through a validated ``CHECK (col IS NOT NULL)``, which lets SET NOT NULL skip its
  scan, then the CHECK is dropped;
- UNIQUE and PRIMARY KEY: a unique index built concurrently, then attached with
  ``ADD CONSTRAINT ... USING INDEX``.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemadoc.compare.changes import Hazard, Lock, PreCheck, Step
from schemadoc.lazy_regex import lazy_regex
from schemadoc.model import Check, QName
from schemadoc.write import ddl_alter as alter
from schemadoc.write import prechecks
from schemadoc.write.ddl_tables import check_clause, index_statement


def precheck(what: str, queries: tuple[str, str]) -> PreCheck:
    count_sql, list_sql = queries
    return PreCheck(what, count_sql, list_sql)


def validate(table: QName, name: str, check: PreCheck | None) -> Step:
    """VALIDATE CONSTRAINT: scans the table under SHARE UPDATE EXCLUSIVE (writes go on)."""
    return Step(
        alter.alter_table(table, alter.validate_constraint(name)),
        Lock.SHARE_UPDATE_EXCLUSIVE,
        table,
        hazards=frozenset({Hazard.CAN_FAIL_ON_DATA}) if check else frozenset(),
        precheck=check,
    )


def not_null_name(table: QName, column: str) -> str:
    """The name of the CHECK that stands in for NOT NULL while it is validated."""
    return alter.fitted_name(f"{table.name}_{column}", "not_null_check")


_NOT_NULL_CHECK = lazy_regex(r'^\(*(?:"((?:[^"]|"")+)"|([a-z_][a-z0-9_$]*)) IS NOT NULL\)*$')


def is_not_null_leftover(table: QName, check: Check) -> bool:
    """Whether ``check`` is the stand-in CHECK of :func:`not_null_steps` that a stopped run left
    behind: its name and its ``col IS NOT NULL`` expression are the recipe's own."""
    match = _NOT_NULL_CHECK.match(check.expression.strip())
    if match is None or check.name is None:
        return False
    column = match.group(1).replace('""', '"') if match.group(1) is not None else match.group(2)
    return check.name == not_null_name(table, column)


def not_null_steps(table: QName, columns: Sequence[str]) -> tuple[Step, ...]:
    """SET NOT NULL on ``columns`` without a scan under ACCESS EXCLUSIVE: a CHECK (col IS NOT
    NULL) added NOT VALID and validated, SET NOT NULL (which uses the validated CHECK instead
    of scanning), then the CHECK dropped."""
    if not columns:
        return ()
    names = [not_null_name(table, c) for c in columns]
    checks = [Check(alter.not_null_check(c), name) for c, name in zip(columns, names, strict=True)]
    nulls = precheck(
        f"rows of {table} with a NULL in {', '.join(columns)}", prechecks.null_rows(table, columns)
    )
    # a run stopped after the first step left the stand-in CHECK behind: the next one replaces it
    replace_leftover = [alter.drop_constraint(n, if_exists=True) for n in names]
    steps = [
        Step(
            alter.alter_table(
                table,
                *replace_leftover,
                *(alter.add_constraint(check_clause(c), not_valid=True) for c in checks),
            ),
            Lock.ACCESS_EXCLUSIVE,
            table,
        )
    ]
    steps += [validate(table, name, nulls) for name in names]
    steps.append(
        Step(
            alter.alter_table(table, *(alter.alter_column(c, "SET NOT NULL") for c in columns)),
            Lock.ACCESS_EXCLUSIVE,
            table,
        )
    )
    steps.append(
        Step(
            alter.alter_table(table, *(alter.drop_constraint(n, if_exists=True) for n in names)),
            Lock.ACCESS_EXCLUSIVE,
            table,
        )
    )
    return tuple(steps)


def not_valid_then_validate(
    table: QName,
    name: str,
    clause: str,
    lock: Lock,
    check: PreCheck | None,
    *,
    drop_first: str | None = None,
) -> tuple[Step, ...]:
    """ADD ``clause`` NOT VALID (after dropping constraint ``drop_first`` in the same
    statement, when given), then VALIDATE it."""
    actions = [alter.drop_constraint(drop_first)] if drop_first else []
    actions.append(alter.add_constraint(clause, not_valid=True))
    return (Step(alter.alter_table(table, *actions), lock, table), validate(table, name, check))


def unique_index_steps(
    table: QName,
    name: str,
    kind: str,
    columns: tuple[str, ...],
    nulls_not_distinct: bool,
    *,
    drop_first: str | None = None,
) -> tuple[Step, ...]:
    """A UNIQUE or PRIMARY KEY (``kind``) constraint ``name`` on ``columns``: its index built
    concurrently, then attached. ``drop_first``: the constraint it replaces, dropped in the
    statement that attaches the new one (the index is then built under a temporary name)."""
    index_name = alter.fitted_name(name, "new") if drop_first else name
    index = alter.unique_index(table, index_name, columns, nulls_not_distinct)
    keys = list(index.keys)
    shared = precheck(
        f"rows of {table} that share ({', '.join(columns)}) with another row",
        prechecks.duplicates(table, keys, nulls_not_distinct=nulls_not_distinct or kind == "PRIMARY KEY"),
    )
    build = Step(
        index_statement(index, concurrently=True).sql,
        Lock.SHARE_UPDATE_EXCLUSIVE,
        table,
        transactional=False,
        hazards=frozenset({Hazard.CAN_FAIL_ON_DATA}),
        precheck=shared,
    )
    actions = [alter.drop_constraint(drop_first)] if drop_first else []
    actions.append(alter.add_constraint_using_index(name, kind, index_name))
    return (build, Step(alter.alter_table(table, *actions), Lock.ACCESS_EXCLUSIVE, table))
