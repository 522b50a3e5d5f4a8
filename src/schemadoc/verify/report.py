"""What probing the promises found: one result per promise, rendered as text, JSON or diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from schemadoc.diagnostics import Diagnostic
from schemadoc.verify.promises import Promise

Outcome = Literal["kept", "broken", "untestable"]
OUTCOMES: tuple[Outcome, ...] = ("kept", "broken", "untestable")

BROKEN_CODE = "SD701"
UNTESTABLE_CODE = "SD702"


@dataclass(frozen=True, slots=True)
class PromiseResult:
    promise: Promise
    outcome: Outcome
    sql: str = ""  # the statement(s) tried, as text for people
    expected_sqlstate: str | None = None
    actual_sqlstate: str | None = None
    reason: str = ""

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
        if p.span is not None:
            out.update(file=p.span.file, line=p.span.line, col=p.span.col)
        return out


@dataclass
class VerifyReport:
    results: list[PromiseResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        for r in self.results:
            out[r.outcome] += 1
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
        ]
        for r in self.results:
            if r.outcome == "kept":
                continue
            where = f"{r.promise.span}: " if r.promise.span else ""
            lines.append(f"  {r.outcome.upper()} {where}{r.promise.description}")
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
            elif r.outcome == "untestable":
                message = f"could not test: {p.description}"
                if r.reason:
                    message += f" ({r.reason})"
                out.append(Diagnostic(UNTESTABLE_CODE, "warning", message, p.span))
        return out
