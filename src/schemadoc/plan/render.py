"""A plan as text (for people), as a runnable SQL script, as JSON, and as a numbered migration file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from schemadoc.compare.changes import Change, Lock
from schemadoc.lazy_regex import lazy_regex
from schemadoc.plan.model import LeftOut, LeftOutReason, Plan, PlannedStep

NOTHING_TO_DO = "nothing to do: the database matches the document"


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _lock_text(plan: Plan, planned: PlannedStep) -> str:
    step = planned.step
    if step.lock is Lock.NONE:
        return "lock: none"
    text = f"lock: {step.lock.value}"
    if step.table is not None:
        text += f" on {step.table}"
        size = plan.size_of(step.table)
        if size is not None:
            text += f" ({size.text()})"
        elif step.table in plan.new_tables:
            text += " (created by this plan)"
    return text


def _left_out_line(item: LeftOut) -> str:
    text = item.change.message()
    if item.reason is LeftOutReason.DESTRUCTIVE:
        allowed = ", ".join(f"--allow {h.value}" for h in sorted(item.hazards))
        return f"  - {text} [destructive: {allowed}, or --allow-destructive]"
    if item.reason is LeftOutReason.RENAME:
        return f"  - {text} [one side of a probable rename]"
    return f"  - {text} [no statement repairs this; left to you]"


def render_text(plan: Plan) -> str:
    """Numbered steps with their SQL, lock, table size, hazards and pre-check; what was left out
    and why; the proof. One line when there is nothing to do."""
    if plan.wrong_database is not None:
        return f"not planned: {plan.wrong_database.text()}\n"
    if plan.empty:
        return NOTHING_TO_DO + "\n"
    lines: list[str] = []
    total = len(plan.steps)
    if total:
        lines.append(f"{total} step(s), each with lock_timeout {plan.lock_timeout_ms} ms:")
    previous: Change | None = None
    for planned in plan.steps:
        step = planned.step
        where = "" if step.transactional else ", outside a transaction"
        lines.append("")
        # the steps of one change: its message once, then "(continued)"
        same = previous is not None and planned.change is previous
        lines.append(f"{planned.number}/{total}  {'(continued)' if same else planned.change.message()}")
        previous = planned.change
        lines.append(f"    {_lock_text(plan, planned)}{where}")
        if step.hazards:
            lines.append(f"    hazards: {', '.join(sorted(h.value for h in step.hazards))}")
        result = plan.precheck_of(planned.number)
        if result is not None:
            lines.append(f"    pre-check: {_precheck_text(result)}")
        lines.append(_indent(step.sql.rstrip() + ";"))
    if plan.renames:
        lines.append("")
        lines.append(
            "probable renames (not planned as a drop and an add; rename them yourself, or pass "
            "--allow deletes-data to drop and add):"
        )
        lines.extend(f"  - {r.text()}" for r in plan.renames)
    if plan.left_out:
        lines.append("")
        lines.append("left out:")
        lines.extend(_left_out_line(x) for x in plan.left_out)
    lines.append("")
    lines.append(_verdict(plan))
    return "\n".join(lines) + "\n"


def _precheck_text(result: Any) -> str:
    if result.skipped:
        return f"{result.check.what}: nothing to check yet"
    if result.rows is None:
        return f"{result.check.what}: could not run ({result.error}); list them with: {result.check.list_sql}"
    if result.rows == 0:
        return f"{result.check.what}: none"
    return f"{result.check.what}: {result.rows} row(s); list them with: {result.check.list_sql}"


def _verdict(plan: Plan) -> str:
    if plan.proof_failure is not None:
        return "NOT PROVEN: the plan does not reach the document on a scratch copy (a schemadoc bug)"
    if plan.refused:
        return "not ready: allow or resolve what was left out above (exit 3)"
    if plan.blocked_by_data:
        return "not ready: existing rows would make a step fail (exit 1)"
    if not plan.steps:
        return "nothing to run"
    proof = "proven on a scratch copy of the live schema" if plan.proved else "not proven (--no-prove)"
    return f"ready: {len(plan.steps)} step(s), {proof}"


def render_sql(plan: Plan) -> str:
    """A psql script of the planned steps: every statement preceded by ``SET lock_timeout``; each
    transactional step in a transaction of its own, the others (CONCURRENTLY, ADD VALUE) outside
    one. Run it with ``psql -v ON_ERROR_STOP=1 -f``."""
    lines = [
        "-- schemadoc plan: run with psql -v ON_ERROR_STOP=1 -f FILE",
        "-- every step runs on its own; non-transactional steps run outside BEGIN/COMMIT",
    ]
    if not plan.ready:
        lines.append(
            f"-- NOT READY (exit {plan.exit_code}): {_verdict(plan)}; do not run this script as it is"
        )
    elif plan.empty:
        lines.append("-- " + NOTHING_TO_DO)
    elif not plan.steps:
        lines.append("-- no steps: what differs is left to you (see `schemadoc plan`)")
    timeout = f"SET lock_timeout = '{int(plan.lock_timeout_ms)}ms';"
    for planned in plan.steps:
        step = planned.step
        lines.append("")
        lines.append(f"-- step {planned.number}: {_comment(planned.change.message())}")
        if step.transactional:
            lines += ["BEGIN;", timeout, step.sql.rstrip() + ";", "COMMIT;"]
        else:
            lines += [timeout, step.sql.rstrip() + ";"]
    return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    return " ".join(text.split())


def _change_json(change: Change) -> dict[str, Any]:
    d = change.diagnostic()
    out: dict[str, Any] = {"code": d.code, "message": d.message, "kind": type(change).__name__}
    if d.span is not None:
        out.update(file=d.span.file, line=d.span.line)
    return out


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data (stable keys)."""
    steps: list[dict[str, Any]] = []
    for planned in plan.steps:
        step = planned.step
        size = plan.size_of(step.table)
        result = plan.precheck_of(planned.number)
        steps.append(
            {
                "number": planned.number,
                "sql": step.sql,
                "lock": step.lock.value,
                "table": str(step.table) if step.table is not None else None,
                "rows": size.rows if size else None,
                "bytes": size.bytes if size else None,
                "transactional": step.transactional,
                "hazards": sorted(h.value for h in step.hazards),
                "change": _change_json(planned.change),
                "precheck": None
                if result is None
                else {
                    "what": result.check.what,
                    "rows": result.rows,
                    "skipped": result.skipped,
                    "error": result.error,
                    "count_sql": result.check.count_sql,
                    "list_sql": result.check.list_sql,
                },
            }
        )
    failure = plan.proof_failure
    return {
        "steps": steps,
        "lock_timeout_ms": plan.lock_timeout_ms,
        "left_out": [
            {
                **_change_json(x.change),
                "reason": x.reason.value,
                "hazards": sorted(h.value for h in x.hazards),
            }
            for x in plan.left_out
        ],
        "renames": [
            {
                "old": str(r.old),
                "new": str(r.new),
                "column": list(r.column) if r.column else None,
                "text": r.text(),
            }
            for r in plan.renames
        ],
        "wrong_database": None
        if plan.wrong_database is None
        else {
            "document_tables": plan.wrong_database.document_tables,
            "shared_tables": plan.wrong_database.shared_tables,
            "own_tables": plan.wrong_database.own_tables,
            "text": plan.wrong_database.text(),
        },
        "proved": plan.proved,
        "proof_failure": None
        if failure is None
        else {
            "step": failure.number,
            "error": failure.error,
            "residue": [_change_json(c) for c in failure.residue],
        },
        "exit_code": plan.exit_code,
        "ok": plan.exit_code == 0,
    }


# -- migration files ----------------------------------------------------------------------------------

# Flyway's versioned migrations: V<version>__<description>.sql
_FLYWAY = lazy_regex(r"^V(\d+)__.*\.sql$")


def slug(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return words[:60].strip("_") or "schemadoc_plan"


def migration_path(directory: Path, name: str) -> Path:
    """The next Flyway-style file in ``directory``: ``V<n>__<slug>.sql`` with n one past the
    highest version already there (1 in an empty directory)."""
    versions = [int(m.group(1)) for p in directory.iterdir() if (m := _FLYWAY.match(p.name))]
    return directory / f"V{max(versions, default=0) + 1}__{slug(name)}.sql"


def write_migration(plan: Plan, directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = migration_path(directory, name)
    path.write_text(render_sql(plan), encoding="utf-8")
    return path
