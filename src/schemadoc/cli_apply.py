"""``schemadoc apply``: its options, its conversation with the user, and how its result is shown
(cli.py wires it in).

apply = drop what an interrupted build left INVALID, plan, show the plan, ask, run the steps
online (:mod:`schemadoc.plan.run`), plan again (which must find nothing), then probe the
promises of the tables the steps touched.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from schemadoc.diagnostics import (
    APPLY_BLOCKED_DATA,
    APPLY_BLOCKED_LOCK,
    APPLY_INVALID_INDEX,
    APPLY_NOT_CONFIRMED,
    APPLY_RESIDUE,
    APPLY_STEP_FAILED,
    Diagnostic,
    SchemadocError,
    fail,
)
from schemadoc.lazy_regex import lazy_regex
from schemadoc.records import record

if TYPE_CHECKING:  # the parser is built for every command: what applying needs loads when it applies
    from schemadoc.cli_output import Output
    from schemadoc.model import QName, Schema
    from schemadoc.plan.model import Plan
    from schemadoc.plan.run import Progress, RunResult, StepFailure

EXIT_DONE, EXIT_BLOCKED, EXIT_REFUSED, EXIT_BUG = 0, 1, 3, 70


def apply_arguments(p: argparse.ArgumentParser) -> None:
    from schemadoc.cli_plan import destructive_hazard

    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("-y", "--yes", action="store_true", help="apply without asking (for scripts and CI)")
    p.add_argument(
        "--allow-destructive",
        action="store_true",
        help="apply destructive changes too (dropping tables, columns or constraints, narrowing types, "
        "dropping enum values)",
    )
    p.add_argument(
        "--allow",
        action="append",
        metavar="HAZARD",
        type=destructive_hazard,
        default=[],
        help="apply the changes with this destructive hazard (repeatable): deletes-data, "
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
        "--retries",
        metavar="N",
        type=int,
        default=5,
        help="how often a step whose lock timed out is tried again, with growing pauses (default: 5)",
    )
    p.add_argument(
        "--statement-timeout",
        metavar="MS",
        type=int,
        default=None,
        help="statement_timeout of the steps that take a strong lock for a catalog change (default: none; "
        "never for VALIDATE or CONCURRENTLY builds)",
    )


@record(frozen=False)
class _Outcome:
    """What one apply did, for the text and JSON views."""

    dropped_invalid: list[QName]
    plan: Plan
    run: RunResult | None = None
    seconds: float = 0.0
    residue: list[str] | None = None  # None: the re-plan did not run
    report: Any = None  # the promises probed afterwards (a VerifyReport)


def run_apply(args: argparse.Namespace, out: Output, doc: Schema, url: str, maintenance_url: str) -> int:
    """The whole of ``schemadoc apply`` after the document was read; the exit code."""
    from schemadoc.cli_plan import allowed, plan_diagnostics
    from schemadoc.plan.build import make_plan

    if args.lock_timeout <= 0 or args.retries < 0 or (args.statement_timeout or 1) <= 0:
        raise fail("SD606", "--lock-timeout and --statement-timeout must be positive, --retries not negative")
    dropped = _drop_invalid_indexes(args, out, url, doc)

    def plan_now(prove: bool) -> Plan:
        return make_plan(
            url,
            doc,
            maintenance_url=maintenance_url,
            allow=allowed(args),
            lock_timeout_ms=args.lock_timeout,
            prove=prove,
        )

    plan = plan_now(True)
    outcome = _Outcome(dropped, plan)
    diags = _dropped_notes(dropped) + plan_diagnostics(plan)
    if not plan.ready or not plan.steps:
        return _finish(out, outcome, diags, plan.exit_code)
    if out.fmt == "text":
        from schemadoc.plan.render import render_text

        out.stream.write(render_text(plan))
        out.stream.flush()
    _confirm(args, out, f"apply {len(plan.steps)} step(s) to the database {_dbname(url)}")

    started = time.monotonic()
    outcome.run = _run_all(args, out, url, plan)
    outcome.seconds = time.monotonic() - started
    if outcome.run.failure is not None:
        return _finish(out, outcome, [*diags, _failure_diagnostic(outcome.run.failure, outcome.run.total)], 1)

    again = plan_now(False)
    outcome.residue = _residue(plan, again)
    if outcome.residue:
        residue = Diagnostic(
            APPLY_RESIDUE.code,
            "error",
            "after applying the plan, planning again still finds: " + "; ".join(outcome.residue),
            None,
            "this is a schemadoc bug; report it with the document and `schemadoc plan --format json`",
        )
        return _finish(out, outcome, [*diags, residue], EXIT_BUG)

    from schemadoc.actions import verify_behaviour

    touched = {p.step.table for p in plan.steps if p.step.table is not None}
    outcome.report = verify_behaviour(
        url, doc, out.progress("verifying promises"), tables=touched, jobs=args.jobs
    )
    report_diags = outcome.report.diagnostics()
    code = EXIT_BLOCKED if any(d.level == "error" for d in report_diags) else EXIT_DONE
    return _finish(out, outcome, [*diags, *report_diags], code)


def _run_all(args: argparse.Namespace, out: Output, url: str, plan: Plan) -> RunResult:
    from schemadoc.plan.run import run_steps

    return run_steps(
        url,
        [p.step for p in plan.steps],
        lock_timeout_ms=args.lock_timeout,
        retries=args.retries,
        statement_timeout_ms=args.statement_timeout,
        progress=_progress(out),
    )


# -- before planning: what an interrupted run left ------------------------------------------------


def _drop_invalid_indexes(args: argparse.Namespace, out: Output, url: str, doc: Schema) -> list[QName]:
    """Drop the INVALID indexes on the document's tables (after asking), so that the plan builds
    them again; the indexes dropped."""
    from schemadoc.pg.connect import connect
    from schemadoc.plan.resume import drop_index_steps, invalid_indexes
    from schemadoc.plan.run import run_steps

    with connect(url) as conn:
        found = invalid_indexes(conn, set(doc.tables))
    if not found:
        return []
    names = ", ".join(str(q) for q in found)
    _confirm(args, out, f"drop {len(found)} INVALID index(es) left by an interrupted build ({names})")
    result = run_steps(url, drop_index_steps(found), lock_timeout_ms=args.lock_timeout, retries=args.retries)
    if result.failure is not None:
        raise SchemadocError(_failure_diagnostic(result.failure, len(found)))
    return found


def _dropped_notes(dropped: Sequence[QName]) -> list[Diagnostic]:
    return [
        Diagnostic(
            APPLY_INVALID_INDEX.code,
            "note",
            f"dropped the INVALID index {index}, left by an interrupted build; the plan builds it again",
            None,
            None,
        )
        for index in dropped
    ]


# -- confirmation -------------------------------------------------------------------------------------


def _confirm(args: argparse.Namespace, out: Output, what: str) -> None:
    """Go on only when the user confirmed ``what``: ``--yes``, or "y" on a terminal."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise SchemadocError(
            Diagnostic(
                APPLY_NOT_CONFIRMED.code,
                "error",
                f"{what}: needs confirmation, and there is no terminal to ask on; nothing was changed",
                None,
                "pass --yes to confirm in a script",
            )
        )
    out.err.write(f"{what}? [y/N] ")
    out.err.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise SchemadocError(
            Diagnostic(
                APPLY_NOT_CONFIRMED.code, "error", f"{what}: not confirmed; nothing was changed", None, None
            )
        )


def _dbname(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url).get("dbname") or "postgres")


# -- while it runs ------------------------------------------------------------------------------------

_PERCENT = lazy_regex(r"\d+%")


def _progress(out: Output) -> Progress | None:
    """Progress on stderr: redrawn in place on a terminal; otherwise one line per new kind of
    message (a build's percentage does not add a line each time it moves; a retry does)."""
    if out.fmt != "text" or out.quiet:
        return None
    last = [""]

    def show(number: int, total: int, text: str) -> None:
        line = f"step {number} of {total}: {text}"
        if out.tty:
            out.err.write("\r\033[K" + line)
        else:
            shape = f"{number}:{_PERCENT.sub('%', text)}"
            if shape == last[0]:
                return
            last[0] = shape
            out.err.write(line + "\n")
        out.err.flush()

    return show


def _failure_diagnostic(failure: StepFailure, total: int) -> Diagnostic:
    from schemadoc.compare.changes import Lock
    from schemadoc.plan.run import Reason, describe

    step = failure.step
    where = f"step {failure.number} of {total} ({describe(step)})"
    before = (
        f"steps 1-{failure.number - 1} are applied, nothing of step {failure.number}"
        if failure.number > 1
        else "nothing was applied"
    )
    left = (
        f"; the INVALID index {failure.left_invalid} it left could not be dropped (the next apply drops it)"
        if failure.left_invalid is not None
        else ""
    )
    if failure.reason is Reason.LOCK:
        lock = step.lock.value if step.lock is not Lock.NONE else "its"
        on = f" on {step.table}" if step.table is not None else ""
        message = (
            f"{where}: blocked: could not get the {lock} lock{on} in {failure.attempts} attempt(s); "
            f"{before}{left}"
        )
        hint = "another session holds the lock; run apply again later (it plans again from the database)"
        return Diagnostic(APPLY_BLOCKED_LOCK.code, "error", message, None, hint)
    if failure.reason is Reason.DATA:
        message = f"{where}: blocked by existing rows: {failure.message} [SQLSTATE {failure.sqlstate}]; {before}{left}"
        check = step.precheck
        hint = f"list them: {check.list_sql}" if check is not None else "fix the rows, then run apply again"
        return Diagnostic(APPLY_BLOCKED_DATA.code, "error", message, None, hint)
    message = (
        f"{where}: {failure.reason.value}: {failure.message} [SQLSTATE {failure.sqlstate or '?????'}]; "
        f"{before}{left}"
    )
    return Diagnostic(
        APPLY_STEP_FAILED.code, "error", message, None, "run apply again; it plans again from the database"
    )


def _residue(first: Plan, again: Plan) -> list[str]:
    """What planning again still finds, beyond what the first plan left out on purpose."""
    known = {x.change for x in first.left_out}
    found = [p.change.message() for p in again.steps]
    found += [x.change.message() for x in again.left_out if x.change not in known]
    if again.wrong_database is not None:
        found.append(again.wrong_database.text())
    return list(dict.fromkeys(found))


# -- the result -----------------------------------------------------------------------------------------


def _finish(out: Output, outcome: _Outcome, diags: list[Diagnostic], code: int) -> int:
    if out.fmt == "json":
        out.json(_json(out, outcome, diags, code))
        return code
    if out.tty and outcome.run is not None:
        out.err.write("\n")
    plan = outcome.plan
    if outcome.run is None:
        from schemadoc.plan.render import render_text

        out.diagnostics(diags, show_notes=True)
        out.stream.write(render_text(plan))
        return code
    out.diagnostics(diags, show_notes=True)
    run = outcome.run
    lines = [
        f"applied {run.done} of {run.total} step(s) in {outcome.seconds:.1f} s"
        + (f" ({run.retries} lock timeout(s) retried)" if run.retries else "")
    ]
    if outcome.residue is not None and not outcome.residue:
        lines.append("planned again: nothing to do, the database matches the document")
    if outcome.report is not None:
        text = outcome.report.render_text()
        lines.append(text.splitlines()[0] if out.quiet else text)
    for line in lines[:-1]:
        out.line(line)
    out.final(lines[-1])
    return code


def _json(out: Output, outcome: _Outcome, diags: list[Diagnostic], code: int) -> dict[str, Any]:
    from schemadoc.plan.render import plan_json

    run = outcome.run
    failure = run.failure if run is not None else None
    return {
        "plan": plan_json(outcome.plan),
        "dropped_invalid_indexes": [str(q) for q in outcome.dropped_invalid],
        "run": None
        if run is None
        else {
            "total": run.total,
            "done": run.done,
            "retries": run.retries,
            "seconds": round(outcome.seconds, 3),
            "failure": None
            if failure is None
            else {
                "step": failure.number,
                "reason": failure.reason.value,
                "sqlstate": failure.sqlstate,
                "message": failure.message,
                "attempts": failure.attempts,
                "left_invalid": str(failure.left_invalid) if failure.left_invalid else None,
            },
        },
        "residue": outcome.residue,
        "promises": outcome.report.to_json() if outcome.report is not None else None,
        "diagnostics": out.json_diagnostics(diags),
        "ok": code == EXIT_DONE,
    }
