"""What probing the promises found: one result per promise, rendered as text, JSON or diagnostics."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Literal

from schemadoc.diagnostics import PROBE_FAILED, Diagnostic
from schemadoc.records import record
from schemadoc.verify.promises import Promise

Outcome = Literal["kept", "broken", "untestable"]
OUTCOMES: tuple[Outcome, ...] = ("kept", "broken", "untestable")
# Why a promise is untestable: by design (nothing can try it: a stand-in table, a cycle of
# NOT NULL foreign keys) or because something failed while trying (a lock or statement
# timeout, a lost connection, an unexpected error). Only the second makes the run fail.
Cause = Literal["design", "failure"]

BROKEN_CODE = "SD701"
UNTESTABLE_CODE = "SD702"
FAILED_CODE = PROBE_FAILED.code

# SQLSTATEs that say the attempt failed, not the promise: timeouts, lock and serialization
# conflicts, connection trouble, a server short of resources or in trouble.
_FAILURE_STATES = frozenset({"55P03", "57014", "40P01", "40001", "55006"})
_FAILURE_CLASSES = ("08", "53", "57", "58", "XX")


def failure_state(sqlstate: str | None) -> bool:
    """Whether an error with ``sqlstate`` means the probe failed to run rather than the promise."""
    if not sqlstate:
        return False
    return sqlstate in _FAILURE_STATES or sqlstate.startswith(_FAILURE_CLASSES)


@record
class PromiseResult:
    promise: Promise
    outcome: Outcome
    sql: str = ""  # the statement(s) tried, as text for people
    expected_sqlstate: str | None = None
    actual_sqlstate: str | None = None
    reason: str = ""
    cause: Cause | None = None  # untestable results only

    @property
    def failed(self) -> bool:
        """Untestable because something failed while probing."""
        return self.outcome == "untestable" and self.cause == "failure"

    def to_json(self) -> dict[str, Any]:
        p = self.promise
        out: dict[str, Any] = {
            "kind": p.kind,
            "subject": p.subject,
            "description": p.description,
            "outcome": self.outcome,
            "reason": self.reason,
            "sql": self.sql,
            "expected_sqlstate": self.expected_sqlstate,
            "actual_sqlstate": self.actual_sqlstate,
        }
        if self.outcome == "untestable":
            out["cause"] = self.cause or "design"
        if p.span is not None:
            out.update(file=p.span.file, line=p.span.line, col=p.span.col)
        return out


@record(frozen=False)
class VerifyReport:
    results: list[PromiseResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        for r in self.results:
            out[r.outcome] += 1
        out["untestable_failure"] = sum(r.failed for r in self.results)
        out["untestable_design"] = out["untestable"] - out["untestable_failure"]
        out["total"] = len(self.results)
        return out

    def by_outcome(self, outcome: Outcome) -> list[PromiseResult]:
        return [r for r in self.results if r.outcome == outcome]

    def to_json(self) -> dict[str, Any]:
        return {"counts": self.counts(), "results": [r.to_json() for r in self.results]}

    def render_text(self) -> str:
        c = self.counts()
        lines = [
            f"promises: {c['total']} checked, {c['kept']} kept, {c['broken']} broken, "
            f"{c['untestable']} untestable"
            + (
                f" ({c['untestable_design']} by design, {c['untestable_failure']} because something failed)"
                if c["untestable_failure"]
                else ""
            )
        ]
        for r in self.results:
            if r.outcome == "kept":
                continue
            where = f"{r.promise.span}: " if r.promise.span else ""
            label = "UNTESTED (FAILED)" if r.failed else r.outcome.upper()
            lines.append(f"  {label} {where}{r.promise.description}")
            if r.reason:
                lines.append(f"    {r.reason}")
            if r.sql and r.outcome == "broken":
                lines.append(f"    tried: {r.sql}")
        return "\n".join(lines)

    def diagnostics(self) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        for r in self.results:
            p = r.promise
            if r.outcome == "broken":
                hint = f"tried: {r.sql}" if r.sql else None
                message = f"broken promise: {p.description}"
                if r.reason:
                    message += f" ({r.reason})"
                out.append(Diagnostic(BROKEN_CODE, "error", message, p.span, hint))
            elif r.failed:
                message = f"could not test, something failed: {p.description} ({r.reason})"
                hint = "the promise was not tried to the end; fix what failed (a held lock, a timeout, the connection) and run again"
                out.append(Diagnostic(FAILED_CODE, "error", message, p.span, hint))
            elif r.outcome == "untestable":
                message = f"could not test: {p.description}"
                if r.reason:
                    message += f" ({r.reason})"
                out.append(Diagnostic(UNTESTABLE_CODE, "warning", message, p.span))
        return out
