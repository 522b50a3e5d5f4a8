"""The ``schemadoc`` command line. Thin: parse arguments, call the library, render, exit.

Exit codes: 0 all good; 1 the check found problems (document errors, drift, broken promises);
2 bad usage or unreadable input (including unreachable servers); 3 reserved for plans that need a
destructive step that was not allowed; 70 an internal error (a schemadoc bug).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from schemadoc import __version__
from schemadoc.diagnostics import Diagnostic, SchemadocError, has_errors, sorted_diagnostics, strict
from schemadoc.model import Schema

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE: a schemadoc bug

# Read errors that mean "this input cannot be read as written": exit 2, like a missing file.
_INPUT_ERRORS = {"SD001", "SD104", "SD106", "SD107", "SD110"}


class _Out:
    """Where results go: stdout for results, stderr for diagnostics and progress."""

    def __init__(self, fmt: str, stream: TextIO | None = None, err: TextIO | None = None) -> None:
        self.fmt = fmt
        self.stream = stream or sys.stdout
        self.err = err or sys.stderr
        self.color = fmt == "text" and self.err.isatty() and not os.environ.get("NO_COLOR")

    def json(self, payload: dict[str, Any]) -> None:
        self.stream.write(json.dumps(payload, indent=2, sort_keys=True) + "\n")

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")

    def diagnostics(self, diags: Sequence[Diagnostic], *, show_notes: bool = False) -> None:
        colors = {"error": "\033[31m", "warning": "\033[33m", "note": "\033[36m"}
        for d in diags:
            if d.level == "note" and not show_notes:
                continue
            text = d.render()
            if self.color:
                text = text.replace(f" {d.level} ", f" {colors[d.level]}{d.level}\033[0m ", 1)
            self.err.write(text + "\n")

    def progress(self, label: str) -> Callable[[int, int], None] | None:
        if self.fmt != "text" or not self.err.isatty():
            return None

        def show(done: int, total: int) -> None:
            end = "\n" if done >= total else ""
            self.err.write(f"\r{label} {done}/{total}{end}")
            self.err.flush()

        return show


def _exit_for(diags: Sequence[Diagnostic]) -> int:
    if any(d.level == "error" and d.code in _INPUT_ERRORS for d in diags):
        return EXIT_USAGE
    return EXIT_PROBLEMS if has_errors(diags) else EXIT_OK


def _read(args: argparse.Namespace) -> tuple[Schema, list[Diagnostic]]:
    from schemadoc.read import read_documents

    trust = getattr(args, "trust_document", None)  # None: a command that builds nothing
    schema, diags = read_documents(args.documents, stub_missing=args.stub_missing, trust=bool(trust))
    if trust is False:
        from schemadoc.read.trust import refusal

        diags = diags + refusal(diags)
    return schema, sorted_diagnostics(strict(diags) if args.strict else diags)


def _read_or_report(args: argparse.Namespace, out: _Out) -> tuple[Schema, list[Diagnostic], int]:
    """Read the documents; when they cannot be built, report why (text or JSON) with the exit code."""
    schema, diags = _read(args)
    code = _exit_for(diags)
    if code != EXIT_OK:
        if out.fmt == "json":
            out.json({"ok": False, "diagnostics": [d.to_json() for d in diags]})
        else:
            out.diagnostics(diags)
    return schema, diags, code


def _summary(schema: Schema) -> str:
    counts = schema.counts()
    return ", ".join(f"{v} {k}" for k, v in counts.items())


# -- commands -----------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace, out: _Out) -> int:
    schema, diags = _read(args)
    code = _exit_for(diags)
    if out.fmt == "json":
        out.json(
            {
                "documents": list(args.documents),
                "summary": schema.counts(),
                "stand_ins": sorted(str(q) for q, t in schema.tables.items() if t.stub),
                "diagnostics": [d.to_json() for d in diags],
                "ok": code == EXIT_OK,
            }
        )
        return code
    out.diagnostics(diags, show_notes=args.verbose)
    errors = sum(d.level == "error" for d in diags)
    warnings = sum(d.level == "warning" for d in diags)
    out.line(f"{', '.join(args.documents)}: {_summary(schema)}")
    out.line(f"{errors} error(s), {warnings} warning(s)")
    return code


def cmd_sql(args: argparse.Namespace, out: _Out) -> int:
    from schemadoc.write.ddl import ddl_text, render_ddl

    schema, diags, code = _read_or_report(args, out)
    if code != EXIT_OK:
        return code
    statements, ddl_diags = render_ddl(schema, server_version=args.server_version)
    diags = sorted_diagnostics(diags + ddl_diags)
    if out.fmt == "json":
        out.json(
            {
                "statements": [
                    {"kind": s.kind, "sql": s.sql, "line": s.span.line if s.span else None}
                    for s in statements
                ],
                "diagnostics": [d.to_json() for d in diags],
            }
        )
        return EXIT_OK
    out.diagnostics(diags)
    out.stream.write(ddl_text(statements))
    return EXIT_OK


def _target_args(args: argparse.Namespace, default_db: str) -> Any:
    from schemadoc.servers import server

    return server(args.database_url, args.data_dir, database=args.database, default_database=default_db)


def cmd_up(args: argparse.Namespace, out: _Out) -> int:
    from schemadoc.actions import build, verify_behaviour
    from schemadoc.pg.connect import redact, with_database
    from schemadoc.servers import database_name_for

    schema, diags, code = _read_or_report(args, out)
    if code != EXIT_OK:
        return code
    with _target_args(args, database_name_for(args.documents[0])) as target:
        result = build(target.url, schema, maintenance_url=with_database(target.url, "postgres"))
        report = None
        if not args.structure:
            report = verify_behaviour(target.url, schema, out.progress("verifying promises"))
        shown_url = redact(target.url)
    all_diags = sorted_diagnostics(diags + result.diagnostics + (report.diagnostics() if report else []))
    code = _exit_for(all_diags)
    if out.fmt == "json":
        out.json(
            {
                "database": result.database,
                "url": shown_url,
                "created_database": result.created_database,
                "roles_created": result.roles_created,
                "applied": result.applied,
                "statements": result.statements,
                "summary": schema.counts(),
                "promises": report.to_json() if report else None,
                "diagnostics": [d.to_json() for d in all_diags],
                "ok": code == EXIT_OK,
            }
        )
        return code
    out.diagnostics(all_diags)
    if result.applied:
        out.line(f"built {result.database} ({shown_url}): {result.statements} statements; {_summary(schema)}")
    else:
        out.line(f"{result.database} ({shown_url}) already matches the document; nothing to do")
    if result.roles_created:
        out.line(f"created roles (server-wide; DROP ROLE removes them): {', '.join(result.roles_created)}")
    if report is not None:
        out.line(report.render_text())
    return code


def cmd_verify(args: argparse.Namespace, out: _Out) -> int:
    from schemadoc.actions import structure_drift, verify_behaviour
    from schemadoc.pg.connect import redact
    from schemadoc.servers import shadow_server

    schema, diags, code = _read_or_report(args, out)
    if code != EXIT_OK:
        return code
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        out.err.write("schemadoc: verify needs --database-url URL (or DATABASE_URL)\n")
        return EXIT_USAGE
    with shadow_server(args.shadow_url, args.data_dir, target_url=url) as shadow:
        drift = structure_drift(url, shadow.url, schema, comments=args.comments)
        if shadow.note is not None:
            drift.append(shadow.note)
        shadow_place = "target" if shadow.on_target else ("given" if args.shadow_url else "embedded")
    report = None
    if not args.structure:
        report = verify_behaviour(url, schema, out.progress("verifying promises"))
    all_diags = sorted_diagnostics(diags + drift + (report.diagnostics() if report else []))
    code = _exit_for(all_diags)
    if out.fmt == "json":
        out.json(
            {
                "database": redact(url),
                "shadow": shadow_place,
                "drift": [d.to_json() for d in drift if d.level == "error"],
                "promises": report.to_json() if report else None,
                "diagnostics": [d.to_json() for d in all_diags],
                "ok": code == EXIT_OK,
            }
        )
        return code
    # notes of the comparison itself are shown; the reader's notes only by `check -v`
    out.diagnostics([d for d in all_diags if d.level != "note" or d in drift], show_notes=True)
    n_drift = sum(d.level == "error" for d in drift)
    out.line(f"structure: {'no drift' if n_drift == 0 else f'{n_drift} difference(s)'} ({redact(url)})")
    if report is not None:
        out.line(report.render_text())
    return code


def cmd_server(args: argparse.Namespace, out: _Out) -> int:

    from schemadoc.pg.server import EmbeddedServer
    from schemadoc.servers import data_dir_path

    srv = EmbeddedServer(data_dir_path(args.data_dir), port=args.port)
    if args.action == "start":
        srv.start()
    elif args.action == "stop":
        srv.stop()
    state = srv.status()
    running = srv.running()
    if out.fmt == "json":
        out.json({"status": state, "running": running, "url": srv.url("postgres") if running else None})
    elif args.action == "url":
        if not running:
            out.err.write(
                "schemadoc: the embedded server is not running (start it: schemadoc server start)\n"
            )
            return EXIT_PROBLEMS
        out.line(srv.url("postgres"))
    else:
        out.line(state)
    return EXIT_OK


# -- parser ---------------------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def _docs(p: argparse.ArgumentParser, many: bool = True) -> None:
    p.add_argument("documents", nargs="+" if many else 1, metavar="DOC", help="schema document(s) (markdown)")
    p.add_argument(
        "--stub-missing",
        action="store_true",
        help="build a stand-in table for each table the document references but never defines",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="make every 'recognised but not built' warning an error (exit 1), for CI",
    )


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", help="PostgreSQL URL (default: $DATABASE_URL, else the embedded server)")
    p.add_argument("--data-dir", help="data directory of the embedded server (default: .schemadoc)")
    p.add_argument(
        "--trust-document",
        action="store_true",
        help="build what reaches outside the database (routines running programs or reading files, "
        "roles with server-wide powers) as written; without it such a document is refused",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schemadoc",
        description="Make a PostgreSQL schema document executable: read it, build it, prove it, check drift.",
    )
    parser.add_argument("--version", action="version", version=f"schemadoc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("check", help="read documents and report what they define and every problem")
    _docs(p)
    _common(p)
    p.add_argument("-v", "--verbose", action="store_true", help="also show notes")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("sql", help="print the DDL that builds the documented schema in a fresh database")
    _docs(p)
    _common(p)
    p.add_argument(
        "--server-version",
        type=int,
        default=None,
        help="target server_version_num, e.g. 150000 (default: any)",
    )
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("up", help="build the documented database, then verify it")
    _docs(p)
    _common(p)
    _db(p)
    p.add_argument("--database", help="database name (default: from the URL, or the document's file name)")
    p.add_argument("--structure", action="store_true", help="verify structure only, not behaviour")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("verify", help="check a live database against the document (structure and promises)")
    _docs(p)
    _common(p)
    _db(p)
    p.add_argument("--structure", action="store_true", help="only compare structure; do not probe promises")
    p.add_argument(
        "--shadow-url",
        help="server for the scratch database the document is built in "
        "(default: the target's own server; the embedded one when the role cannot create databases)",
    )
    p.add_argument(
        "--comments",
        action="store_true",
        help="list every description that differs from its comment (default: one line per table)",
    )
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("server", help="manage the embedded PostgreSQL server")
    p.add_argument("action", choices=("start", "stop", "status", "url"))
    p.add_argument("--data-dir", help="data directory (default: .schemadoc)")
    p.add_argument("--port", type=int, default=None, help="also listen on this TCP port on 127.0.0.1")
    _common(p)
    p.set_defaults(func=cmd_server)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    out = _Out(args.format)
    try:
        code: int = args.func(args, out)
        return code
    except SchemadocError as exc:
        if args.format == "json":
            out.json({"ok": False, "diagnostics": [exc.diagnostic.to_json()]})
        else:
            out.diagnostics([exc.diagnostic])
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("schemadoc: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug in schemadoc: one clear line, not a traceback
        if os.environ.get("SCHEMADOC_DEBUG"):
            raise
        bug = Diagnostic(
            "SD900",
            "error",
            f"internal error: {type(exc).__name__}: {exc}",
            None,
            "this is a schemadoc bug; run again with SCHEMADOC_DEBUG=1 to see the traceback, and report it",
        )
        if args.format == "json":
            out.json({"ok": False, "diagnostics": [bug.to_json()]})
        else:
            out.diagnostics([bug])
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
