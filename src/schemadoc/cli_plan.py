"""``schemadoc plan``: its options, and how its result is shown (cli.py wires it in)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from schemadoc.diagnostics import Diagnostic, fail

if TYPE_CHECKING:  # the parser is built for every command: what planning needs loads when it plans
    from schemadoc.cli_output import Output
    from schemadoc.compare.changes import Hazard
    from schemadoc.model import Schema
    from schemadoc.plan.model import Plan

MIGRATION_NAMING = "Flyway's versioned naming, V<n>__<slug>.sql, n one past the highest V<n> in DIR"


def plan_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("text", "json", "sql"),
        default="text",
        help="text (default), json, or sql: a psql script (psql -v ON_ERROR_STOP=1 -f)",
    )
    p.add_argument(
        "--output",
        metavar="DIR",
        help=f"also write the SQL script, when nothing blocks the plan, as a numbered migration file in DIR ({MIGRATION_NAMING}; "
        "the script runs its own transactions: run it with executeInTransaction=false, or with psql)",
    )
    p.add_argument(
        "--allow-destructive",
        action="store_true",
        help="plan destructive changes too (dropping tables, columns or constraints, narrowing types, "
        "dropping enum values)",
    )
    p.add_argument(
        "--allow",
        action="append",
        metavar="HAZARD",
        type=destructive_hazard,
        default=[],
        help="plan the changes with this destructive hazard (repeatable): deletes-data, "
        "drops-constraint, drops-enum-value, narrows-type",
    )
    p.add_argument(
        "--lock-timeout",
        metavar="MS",
        type=int,
        default=1000,
        help="lock_timeout of every statement, in milliseconds (default: 1000)",
    )
    p.add_argument(
        "--no-prove",
        action="store_true",
        help="do not apply the plan to a scratch copy of the live schema first",
    )


def destructive_hazard(value: str) -> Hazard:
    """``value`` as a destructive :class:`Hazard` (argparse reports anything else)."""
    from schemadoc.compare.changes import DESTRUCTIVE

    names = {h.value: h for h in DESTRUCTIVE}
    if value not in names:
        raise argparse.ArgumentTypeError(
            f"invalid choice: {value!r} (choose from {', '.join(sorted(names))})"
        )
    return names[value]


def allowed(args: argparse.Namespace) -> frozenset[Hazard]:
    from schemadoc.compare.changes import DESTRUCTIVE

    if args.allow_destructive:
        return DESTRUCTIVE
    return frozenset(args.allow)


def run_plan(args: argparse.Namespace, out: Output, doc: Schema, url: str, maintenance_url: str) -> int:
    """Plan, show the plan in the asked format, write the migration file; the exit code."""
    from schemadoc.diagnostics import PLAN_OUTPUT
    from schemadoc.plan.build import make_plan
    from schemadoc.plan.render import plan_json, render_sql, render_text, write_migration

    if args.lock_timeout <= 0:
        raise fail("SD606", "--lock-timeout must be a positive number of milliseconds")
    plan = make_plan(
        url,
        doc,
        maintenance_url=maintenance_url,
        allow=allowed(args),
        lock_timeout_ms=args.lock_timeout,
        prove=not args.no_prove,
    )
    written = None
    if args.output and plan.steps and plan.ready:  # a plan something blocks is never written
        try:
            written = write_migration(plan, Path(args.output), _name(args))
        except OSError as exc:
            raise fail(PLAN_OUTPUT.code, f"cannot write a migration into {args.output}: {exc}") from None
    diags = plan_diagnostics(plan)
    if args.format == "json":
        payload = plan_json(plan)
        payload["migration_file"] = str(written) if written else None
        payload["diagnostics"] = out.json_diagnostics(diags)
        out.json(payload)
        return plan.exit_code
    out.diagnostics(diags)
    out.stream.write(render_sql(plan) if args.format == "sql" else render_text(plan))
    if written is not None:
        out.message(f"wrote {written}")
    return plan.exit_code


def _name(args: argparse.Namespace) -> str:
    first = args.documents[0] if args.documents else "plan"
    return Path(first).stem if first != "-" else "plan"


def plan_diagnostics(plan: Plan) -> list[Diagnostic]:
    """One diagnostic per thing that keeps the plan from being ready (and per unplanned difference)."""
    from schemadoc.diagnostics import (
        PLAN_DESTRUCTIVE,
        PLAN_PRECHECK_FAILED,
        PLAN_PRECHECK_ROWS,
        PLAN_RENAME,
        PLAN_RESIDUE,
        PLAN_UNPLANNED,
        PLAN_WRONG_DATABASE,
    )
    from schemadoc.plan.model import LeftOutReason

    out: list[Diagnostic] = []
    if plan.wrong_database is not None:
        out.append(
            Diagnostic(
                PLAN_WRONG_DATABASE.code,
                "error",
                plan.wrong_database.text(),
                None,
                "check --database-url: is this the database the document describes?",
            )
        )
    for rename in plan.renames:
        out.append(
            Diagnostic(
                PLAN_RENAME.code,
                "error",
                f"probable rename: {rename.text()}; not planned as a drop and an add",
                None,
                "rename it yourself (ALTER TABLE ... RENAME), or pass --allow deletes-data to drop and add",
            )
        )
    for item in plan.left_out:
        d = item.change.diagnostic()
        if item.reason is LeftOutReason.DESTRUCTIVE:
            kinds = ", ".join(sorted(h.value for h in item.hazards))
            out.append(
                Diagnostic(
                    PLAN_DESTRUCTIVE.code,
                    "error",
                    f"left out ({kinds}): {d.message}",
                    d.span,
                    f"--allow {sorted(h.value for h in item.hazards)[0]} or --allow-destructive plans it",
                )
            )
        elif item.reason is LeftOutReason.UNPLANNABLE:
            out.append(Diagnostic(PLAN_UNPLANNED.code, "warning", f"not planned: {d.message}", d.span))
    for result in plan.prechecks:
        if not result.blocks:
            continue
        number = result.number
        if result.rows is None:
            out.append(
                Diagnostic(
                    PLAN_PRECHECK_FAILED.code,
                    "error",
                    f"step {number}: the pre-check ({result.check.what}) could not run: {result.error}",
                    None,
                    f"count them yourself: {result.check.count_sql}",
                )
            )
        else:
            out.append(
                Diagnostic(
                    PLAN_PRECHECK_ROWS.code,
                    "error",
                    f"step {number}: {result.rows} existing row(s) would make it fail: {result.check.what}",
                    None,
                    f"list them: {result.check.list_sql}",
                )
            )
    failure = plan.proof_failure
    if failure is not None:
        if failure.number is not None:
            text = f"step {failure.number} failed on a scratch copy of the live schema: {failure.error}"
        else:
            residue = "; ".join(c.message() for c in failure.residue)
            text = f"after the plan, a scratch copy of the live schema still differs: {residue}"
        out.append(
            Diagnostic(
                PLAN_RESIDUE.code,
                "error",
                text,
                None,
                "this is a schemadoc bug; report it with the document and `schemadoc plan --format json`",
            )
        )
    return out
