"""The ``schemadoc`` command line. Thin: parse arguments, call the library, render, exit.

Exit codes: 0 all good; 1 the check found problems (document errors, drift, broken promises);
2 bad usage or unreadable input (including unreachable servers); 3 a destructive step (dropping a
database) that was not allowed or not confirmed; 70 an internal error (a schemadoc bug).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, NoReturn

from schemadoc import __version__
from schemadoc.cli_output import Output
from schemadoc.collector import collector_paused
from schemadoc.diagnostics import Diagnostic, SchemadocError, has_errors, sorted_diagnostics, strict

if TYPE_CHECKING:  # each command imports what it uses, when it runs
    import threading

    from schemadoc.model import Schema

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE: a schemadoc bug

# Read errors that mean "this input cannot be read as written": exit 2, like a missing file.
_INPUT_ERRORS = {"SD001", "SD104", "SD106", "SD107", "SD110"}


# Refusals to drop something: exit 3, "a destructive step that was not allowed".
_REFUSALS = {"SD575", "SD602", "SD603"}
USAGE_CODE = "SD606"
# Documents at least this big get a "reading ..." line on a terminal.
_BIG_DOCUMENT = 512 * 1024

_Out = Output  # the name the commands below were written against


class UsageError(Exception):
    """Bad command-line usage (exit 2), shown as JSON too when JSON was asked for."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _usage(message: str, hint: str | None = None) -> SchemadocError:
    return SchemadocError(Diagnostic(USAGE_CODE, "error", message, None, hint))


def _exit_for(diags: Sequence[Diagnostic]) -> int:
    if any(d.level == "error" and d.code in _INPUT_ERRORS for d in diags):
        return EXIT_USAGE
    return EXIT_PROBLEMS if has_errors(diags) else EXIT_OK


def _read(args: argparse.Namespace, out: Output | None = None) -> tuple[Schema, list[Diagnostic]]:
    with collector_paused():  # the readers' modules, then what they read, live to the end
        return _read_with_collector_paused(args, out)


def _read_with_collector_paused(
    args: argparse.Namespace, out: Output | None
) -> tuple[Schema, list[Diagnostic]]:
    from schemadoc.read import read_documents

    trust = getattr(args, "trust_document", None)  # None: a command that builds nothing
    clear = _reading_status(args.documents, out) if out is not None else None
    try:
        if getattr(args, "cache", False) is False:  # a command without --cache, or --no-cache
            schema, diags = read_documents(args.documents, stub_missing=args.stub_missing, trust=bool(trust))
        else:
            from schemadoc.read_cache import cached_read

            options = {"stub_missing": bool(args.stub_missing), "trust": bool(trust)}
            (schema, diags), _kept = cached_read(
                args.documents,
                options,
                lambda: read_documents(args.documents, stub_missing=args.stub_missing, trust=bool(trust)),
            )
    finally:
        if clear is not None:
            clear()
    if trust is False:
        from schemadoc.read.trust import refusal

        diags = diags + refusal(diags)
    return schema, sorted_diagnostics(strict(diags) if args.strict else diags)


def _reading_status(documents: Sequence[str], out: Output) -> Any:
    """A "reading ..." line on the terminal while big documents are read."""
    size = 0
    for doc in documents:
        with suppress(OSError):
            size += os.stat(doc).st_size if doc != "-" else 0
    if size < _BIG_DOCUMENT:
        return None
    return out.status(f"reading {', '.join(documents)} ({size / 1e6:.1f} MB) ...")


def _read_or_report(args: argparse.Namespace, out: _Out) -> tuple[Schema, list[Diagnostic], int]:
    """Read the documents; when they cannot be built, report why (text or JSON) with the exit code."""
    schema, diags = _read(args, out)
    code = _exit_for(diags)
    if code != EXIT_OK:
        if out.fmt == "json":
            out.json({"ok": False, "diagnostics": out.json_diagnostics(diags)})
        else:
            out.diagnostics(diags)
    return schema, diags, code


def _summary(schema: Schema) -> str:
    counts = schema.counts()
    return ", ".join(f"{v} {k}" for k, v in counts.items())


def _finish(out: Output, lines: Sequence[str]) -> None:
    """The result lines of a command; the last one is kept in quiet mode."""
    for text in lines[:-1]:
        out.line(text)
    if lines:
        out.final(lines[-1])


# -- settings -------------------------------------------------------------------------------------------


def _apply_settings(args: argparse.Namespace) -> None:
    """Fill what the command line left open from the project's settings file."""
    from schemadoc.settings import load_settings

    if not hasattr(args, "documents"):  # `server` reads no document and needs no settings
        return
    settings = load_settings()
    if not args.documents:
        if not settings.documents:
            raise _usage(
                "no document given",
                hint="name the document(s), or list them as `documents` in schemadoc.toml "
                "or [tool.schemadoc] of pyproject.toml",
            )
        args.documents = list(settings.documents)
    for flag, value in (("strict", settings.strict), ("stub_missing", settings.stub_missing)):
        if getattr(args, flag, False) is None:
            setattr(args, flag, value)
    if getattr(args, "ignore", None) is None:
        args.ignore = list(settings.ignore)
    if getattr(args, "documents", None) and args.documents.count("-") > 1:
        raise _usage("standard input (-) can be named only once")


# -- commands -----------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace, out: _Out) -> int:
    from schemadoc.read import document_name

    schema, diags = _read(args, out)
    code = _exit_for(diags)
    if out.fmt == "json":
        out.json(
            {
                "documents": [document_name(d) for d in args.documents],
                "summary": schema.counts(),
                "stand_ins": schema.stand_ins(),
                "diagnostics": out.json_diagnostics(diags),
                "ok": code == EXIT_OK,
            }
        )
        return code
    out.diagnostics(diags)
    errors = sum(d.level == "error" for d in diags)
    warnings = sum(d.level == "warning" for d in out.kept(diags))
    ignored = len(diags) - len(out.kept(diags))
    names = ", ".join(document_name(d) for d in args.documents)
    counts = f"{errors} error(s), {warnings} warning(s)" + (f", {ignored} ignored" if ignored else "")
    _finish(out, [f"{names}: {_summary(schema)}", counts])
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
                "diagnostics": out.json_diagnostics(diags),
            }
        )
        return EXIT_OK
    out.diagnostics(diags)
    out.stream.write(ddl_text(statements))
    return EXIT_OK


@contextmanager
def _target(args: argparse.Namespace, *, keep: bool) -> Iterator[Any]:
    """The server and database of the document(s): ``--database-url`` / ``DATABASE_URL``, else the
    embedded server (``keep``: left running afterwards, so that the printed URL works)."""
    from schemadoc.servers import database_name_for, server

    default_db = database_name_for(args.documents[0]) if args.documents[0] != "-" else "stdin"
    with server(
        args.database_url, args.data_dir, database=args.database, default_database=default_db, keep=keep
    ) as target:
        yield target


def _database_of(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url).get("dbname") or "postgres")


def _confirm(args: argparse.Namespace, out: Output, what: str) -> None:
    """Go on only when the user confirmed ``what``: ``--yes``, or "y" on a terminal."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise SchemadocError(
            Diagnostic(
                "SD603",
                "error",
                f"{what}: needs confirmation, and there is no terminal to ask on; nothing was dropped",
                None,
                "pass --yes to confirm in a script",
            )
        )
    out.err.write(f"{what}? [y/N] ")
    out.err.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise SchemadocError(
            Diagnostic("SD603", "error", f"{what}: not confirmed; nothing was dropped", None, None)
        )


def _drop_ours(args: argparse.Namespace, out: Output, maintenance_url: str, dbname: str) -> Any:
    """Drop ``dbname`` when schemadoc built it from these documents and the user confirms;
    None when there is no such database."""
    from schemadoc.built_databases import check_ours, database_comment, drop_database
    from schemadoc.pg.connect import connect

    with connect(maintenance_url, autocommit=True) as admin:
        exists, _ = database_comment(admin, dbname)
        if not exists:
            return None
        check_ours(admin, dbname, args.documents)
        _confirm(args, out, f"drop database {dbname} and everything in it")
        return drop_database(admin, dbname)


def _dropped_json(dropped: Any) -> dict[str, Any] | None:
    if dropped is None:
        return None
    return {"database": dropped.database, "roles": dropped.roles, "kept_roles": dropped.kept_roles}


def _dropped_text(dropped: Any) -> list[str]:
    lines = [f"dropped database {dropped.database}"]
    if dropped.roles:
        lines[0] += f" and role(s) {', '.join(dropped.roles)}"
    if dropped.kept_roles:
        lines.append(f"kept role(s) {', '.join(dropped.kept_roles)}: still used in other databases")
    return lines


def cmd_up(args: argparse.Namespace, out: _Out) -> int:
    from schemadoc.actions import build, verify_behaviour
    from schemadoc.pg.connect import redact, with_database

    schema, diags, code = _read_or_report(args, out)
    if code != EXIT_OK:
        return code
    with _target(args, keep=True) as target:
        maintenance = with_database(target.url, "postgres")
        dropped = None
        if args.recreate:
            dropped = _drop_ours(args, out, maintenance, _database_of(target.url))
        result = build(
            target.url,
            schema,
            maintenance_url=maintenance,
            documents=args.documents,
            progress=out.progress("building"),
            keep_scratch=_keep_scratch(args, embedded=target.embedded),
        )
        report = None
        if not args.structure:
            report = verify_behaviour(target.url, schema, out.progress("verifying promises"), jobs=args.jobs)
        shown_url = redact(target.url)
    all_diags = sorted_diagnostics(diags + result.diagnostics + (report.diagnostics() if report else []))
    code = _exit_for(all_diags)
    if out.fmt == "json":
        out.json(
            {
                "database": result.database,
                "url": shown_url,
                "embedded": target.embedded,
                "created_database": result.created_database,
                "dropped": _dropped_json(dropped),
                "roles_created": result.roles_created,
                "applied": result.applied,
                "statements": result.statements,
                "summary": schema.counts(),
                "promises": report.to_json() if report else None,
                "diagnostics": out.json_diagnostics(all_diags),
                "ok": code == EXIT_OK,
            }
        )
        return code
    out.diagnostics(all_diags)
    lines = _dropped_text(dropped) if dropped is not None else []
    if result.applied:
        lines.append(
            f"built {result.database} ({shown_url}): {result.statements} statements; {_summary(schema)}"
        )
    else:
        lines.append(f"{result.database} ({shown_url}) already matches the document; nothing to do")
    if target.embedded:
        lines.append("the embedded server keeps running (`schemadoc server stop` stops it)")
    if result.roles_created:
        lines.append(
            f"created roles (server-wide; DROP ROLE removes them): {', '.join(result.roles_created)}"
        )
    if report is not None:
        # quiet: the count line only (broken promises are errors above)
        report_lines = report.render_text().splitlines()
        lines += report_lines[:1] if out.quiet else report_lines
    _finish(out, lines)
    return code


def cmd_down(args: argparse.Namespace, out: _Out) -> int:
    from schemadoc.pg.connect import with_database

    with _target(args, keep=False) as target:
        dbname = _database_of(target.url)
        dropped = _drop_ours(args, out, with_database(target.url, "postgres"), dbname)
    if out.fmt == "json":
        out.json({"database": dbname, "dropped": _dropped_json(dropped), "ok": True})
        return EXIT_OK
    _finish(
        out, _dropped_text(dropped) if dropped is not None else [f"nothing to drop: no database {dbname}"]
    )
    return EXIT_OK


def cmd_verify(args: argparse.Namespace, out: _Out) -> int:
    from schemadoc.actions import compare_structure, verify_behaviour
    from schemadoc.built_databases import require_database
    from schemadoc.pg.connect import connect, redact, with_database
    from schemadoc.servers import shadow_server

    schema, diags, code = _read_or_report(args, out)
    if code != EXIT_OK:
        return code
    with _target(args, keep=True) as target:
        url = target.url
        if target.embedded:
            with connect(with_database(url, "postgres"), autocommit=True) as admin:
                require_database(admin, _database_of(url), args.documents)
        with shadow_server(
            args.shadow_url, args.data_dir, target_url=url, target_embedded=target.embedded
        ) as shadow:
            keep = args.documents if _keep_scratch(args, embedded=shadow.embedded) else None
            structure = compare_structure(url, shadow.url, schema, comments=args.comments, keep_for=keep)
            drift = structure.diagnostics
            if shadow.note is not None:
                drift.append(shadow.note)
            shadow_place = "target" if shadow.on_target else ("given" if args.shadow_url else "embedded")
        report = None
        if not args.structure:
            report = verify_behaviour(url, schema, out.progress("verifying promises"), jobs=args.jobs)
    all_diags = sorted_diagnostics(diags + drift + (report.diagnostics() if report else []))
    code = _exit_for(all_diags)
    if out.fmt == "json":
        out.json(
            {
                "database": redact(url),
                "shadow": shadow_place,
                "scratch": structure.scratch,
                "drift": [d.to_json() for d in drift if d.level == "error"],
                "promises": report.to_json() if report else None,
                "diagnostics": out.json_diagnostics(all_diags),
                "ok": code == EXIT_OK,
            }
        )
        return code
    # notes of the comparison itself are shown; the reader's notes only by `check -v`
    out.diagnostics([d for d in all_diags if d.level != "note" or d in drift], show_notes=True)
    n_drift = sum(d.level == "error" for d in drift)
    lines = [f"structure: {'no drift' if n_drift == 0 else f'{n_drift} difference(s)'} ({redact(url)})"]
    if structure.scratch == "cached":
        lines.append(f"not built again: read the cached scratch database {structure.scratch_database}")
    if report is not None:
        lines.append(report.render_text().splitlines()[0] if out.quiet else report.render_text())
    _finish(out, lines)
    return code


def _keep_scratch(args: argparse.Namespace, *, embedded: bool) -> bool:
    """Whether the scratch database is kept for the next run: by default only on schemadoc's own
    embedded server; on any other server only with --cache."""
    if args.cache is not None:
        return bool(args.cache)
    return embedded


def cmd_plan(args: argparse.Namespace, out: _Out) -> int:
    from schemadoc.cli_plan import run_plan
    from schemadoc.servers import shadow_server

    schema, _diags, code = _read_or_report(args, out)
    if code != EXIT_OK:
        return code
    with (
        _target(args, keep=True) as target,
        shadow_server(None, args.data_dir, target_url=target.url) as shadow,
    ):
        return run_plan(args, out, schema, target.url, shadow.url)


def cmd_apply(args: argparse.Namespace, out: _Out) -> int:
    from schemadoc.cli_apply import run_apply
    from schemadoc.servers import shadow_server

    schema, _diags, code = _read_or_report(args, out)
    if code != EXIT_OK:
        return code
    with (
        _target(args, keep=True) as target,
        shadow_server(None, args.data_dir, target_url=target.url) as shadow,
    ):
        return run_apply(args, out, schema, target.url, shadow.url)


def _load_in_background(*modules: str) -> threading.Thread:
    """Import ``modules`` in a thread of their own while this one waits on the server (the
    catalog queries of a big database): loading them then costs no time of its own. A module
    that fails to load is imported again where it is used, and fails there."""
    import importlib
    import threading

    def load() -> None:
        with suppress(Exception):
            for name in modules:
                importlib.import_module(name)

    thread = threading.Thread(target=load, name="schemadoc-imports", daemon=True)
    thread.start()
    return thread


def cmd_docs(args: argparse.Namespace, out: _Out) -> int:
    import gc

    from schemadoc.diagnostics import DOCS_NO_DATABASE, DOCS_STALE, fail
    from schemadoc.pg.connect import connect, redact
    from schemadoc.pg.introspect import introspect

    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        raise fail(
            DOCS_NO_DATABASE.code,
            "no database to document",
            hint="pass --database-url postgresql://... or set DATABASE_URL",
        )
    if args.split and not (args.output or args.check or args.update):
        raise _usage("--split writes a folder", hint="name it with -o DIR (or --update DIR, --check DIR)")
    if sum(bool(x) for x in (args.output, args.check, args.update)) > 1:
        raise _usage("give one of -o, --check and --update")
    if args.diagram_tables < 2:
        raise _usage("--diagram-tables must be 2 or more")
    target = args.check or args.update or args.output
    # the catalog of a big database is many small objects and no cycles: collecting while they are
    # made only walks them again and again (a third of the time for 2,000 tables)
    gc_was_on = gc.isenabled()
    gc.disable()
    writer = _load_in_background("schemadoc.write.markdown_files", "schemadoc.write.markdown_clusters")
    try:
        with connect(url) as conn:
            schema = introspect(conn)
        writer.join()
        from schemadoc.write.markdown_files import docs_files, write_docs_files

        files, diags = docs_files(
            schema,
            target,
            split=args.split,
            keep_prose=bool(args.check or args.update),
            must_exist=bool(args.update) and not args.split,
            diagram_tables=args.diagram_tables,
        )
    finally:
        writer.join()  # also when reading failed: no import is left running at exit
        if gc_was_on:
            gc.enable()
    if args.check:
        stale = [name for name, f in files.items() if not f.same]
        if out.fmt == "json":
            ok = not stale
            out.json({"database": redact(url), "path": target, "up_to_date": ok, "stale": stale, "ok": ok})
        elif stale:
            how = "--update" if any(f.marked for f in files.values()) else "-o"
            fix = f"run `schemadoc docs{' --split' if args.split else ''} {how} {target}` to write it again"
            out.diagnostics(
                [
                    Diagnostic(DOCS_STALE.code, "error", f"{n} is not what the database gives", None, fix)
                    for n in stale
                ]
            )
        return EXIT_PROBLEMS if stale else EXIT_OK
    if target:
        written = write_docs_files(files)
        if out.fmt == "json":
            out.json(
                {
                    "database": redact(url),
                    "path": target,
                    "written": written,
                    "diagnostics": out.json_diagnostics(diags),
                    "ok": True,
                }
            )
        else:
            out.diagnostics(diags)
            _finish(out, [f"{len(written)} of {len(files)} file(s) written ({target})"])
        return EXIT_OK
    text = files[""].text
    if out.fmt == "json":
        out.json({"database": redact(url), "path": None, "document": text, "ok": True})
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_server(args: argparse.Namespace, out: _Out) -> int:
    from schemadoc.pg.connect import redact
    from schemadoc.pg.server import EmbeddedServer
    from schemadoc.servers import data_dir_path, database_name_for

    if args.action == "clean":
        return _server_clean(args, out)
    srv = EmbeddedServer(data_dir_path(args.data_dir), port=args.port)
    if args.action == "start":
        srv.start()
    elif args.action == "stop":
        srv.stop()
    state = srv.status()
    running = srv.running()
    dbname = args.database or (database_name_for(args.document) if args.document else "postgres")
    # `server url` is the one place that shows the password of a TCP server
    url = (srv.url(dbname) if args.action == "url" else redact(srv.url(dbname))) if running else None
    missing = args.action == "url" and not running
    code = EXIT_PROBLEMS if missing else EXIT_OK
    not_running = Diagnostic(
        "SD607",
        "error",
        "the embedded server is not running",
        None,
        "start it: schemadoc server start (or schemadoc up DOC)",
    )
    if out.fmt == "json":
        payload: dict[str, Any] = {"status": state, "running": running, "url": url, "ok": not missing}
        if missing:
            payload["diagnostics"] = [not_running.to_json()]
        out.json(payload)
    elif missing:
        out.diagnostics([not_running])
    elif args.action == "url":
        out.final(str(url))
    else:
        out.final(state)
    return code


def _server_clean(args: argparse.Namespace, out: _Out) -> int:
    """Drop the scratch databases verify kept: on the embedded server, or on --database-url; and
    the kept readings of documents (this machine's)."""
    from schemadoc.pg.connect import redact, with_database
    from schemadoc.scratch_cache import clean_templates
    from schemadoc.servers import data_dir_path

    if args.database_url:
        where = redact(args.database_url)
        cleaned = clean_templates(with_database(args.database_url, "postgres"))
    elif not (data_dir_path(args.data_dir) / "pgdata" / "PG_VERSION").is_file():
        where, cleaned = "the embedded server", None  # never initialised: nothing was kept
    else:
        from schemadoc.pg.server import embedded

        where = "the embedded server"
        with embedded(data_dir_path(args.data_dir)) as srv:
            cleaned = clean_templates(srv.url("postgres"))
    dropped = cleaned.dropped if cleaned else []
    in_use = cleaned.in_use if cleaned else []
    from schemadoc.read_cache import clear

    readings = clear()
    if out.fmt == "json":
        out.json(
            {
                "server": where,
                "dropped": dropped,
                "in_use": in_use,
                "kept_readings_removed": readings,
                "ok": True,
            }
        )
        return EXIT_OK
    lines = [f"dropped {len(dropped)} kept scratch database(s) on {where}"]
    lines += [f"kept {name}: another command is reading it" for name in in_use]
    if readings:
        lines.insert(0, f"removed {readings} kept reading(s) of documents")
    _finish(out, lines)
    return EXIT_OK


# -- parser ---------------------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def _output(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-v", "--verbose", action="store_true", help="list every diagnostic (no grouping), notes included"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="show only errors and the final line")
    p.add_argument(
        "--ignore",
        action="append",
        metavar="CODE",
        default=None,
        help="hide warnings and notes with this code (repeatable; errors are always shown)",
    )


def _docs(p: argparse.ArgumentParser, many: bool = True) -> None:
    p.add_argument(
        "documents",
        nargs="*",
        metavar="DOC",
        help="schema document(s) (markdown; - reads standard input; default: `documents` of the settings)",
    )
    p.add_argument(
        "--stub-missing",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="build a marked stand-in for each table, function or type the document uses but never defines",
    )
    p.add_argument(
        "--strict",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="make every 'recognised but not built' warning an error (exit 1), for CI",
    )
    _output(p)


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", help="PostgreSQL URL (default: $DATABASE_URL, else the embedded server)")
    p.add_argument("--data-dir", help="data directory of the embedded server (default: .schemadoc)")
    p.add_argument("--database", help="database name (default: from the URL, or the document's file name)")


def _yes(p: argparse.ArgumentParser) -> None:
    p.add_argument("-y", "--yes", action="store_true", help="drop without asking (for scripts)")


def _trust(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trust-document",
        action="store_true",
        help="build what reaches outside the database (routines running programs or reading files, "
        "roles with server-wide powers) as written; without it such a document is refused",
    )


def _jobs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        default=None,
        metavar="N",
        help="probe promises on up to N connections at once (default: 2; 1 keeps to one connection)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _cache(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--cache",
        dest="cache",
        action="store_true",
        default=None,
        help="keep the scratch database on its server and reuse it while the document, the server and "
        "schemadoc are unchanged (default: only on the embedded server); the reading of an unchanged "
        "document is reused unless --no-cache",
    )
    g.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="build a scratch database and drop it afterwards, and read the document afresh",
    )


def _check_arguments(p: argparse.ArgumentParser) -> None:
    _docs(p)
    _common(p)
    p.set_defaults(func=cmd_check)


def _sql_arguments(p: argparse.ArgumentParser) -> None:
    _docs(p)
    _common(p)
    p.add_argument(
        "--server-version",
        type=int,
        default=None,
        help="target server_version_num, e.g. 150000 (default: any)",
    )
    p.set_defaults(func=cmd_sql)


def _up_arguments(p: argparse.ArgumentParser) -> None:
    _docs(p)
    _common(p)
    _db(p)
    _trust(p)
    p.add_argument("--structure", action="store_true", help="verify structure only, not behaviour")
    _jobs(p)
    p.add_argument(
        "--recreate",
        action="store_true",
        help="drop the database first when schemadoc built it from these documents, then build it again",
    )
    _cache(p)
    _yes(p)
    p.set_defaults(func=cmd_up)


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    _docs(p)
    _common(p)
    _db(p)
    _trust(p)
    p.add_argument("--structure", action="store_true", help="only compare structure; do not probe promises")
    _jobs(p)
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
    _cache(p)
    p.set_defaults(func=cmd_verify)


def _plan_arguments(p: argparse.ArgumentParser) -> None:
    from schemadoc.cli_plan import plan_arguments

    _docs(p)
    _db(p)
    _trust(p)
    plan_arguments(p)
    p.set_defaults(func=cmd_plan)


def _apply_arguments(p: argparse.ArgumentParser) -> None:
    from schemadoc.cli_apply import apply_arguments

    _docs(p)
    _db(p)
    _trust(p)
    apply_arguments(p)
    _jobs(p)
    p.set_defaults(func=cmd_apply)


def _down_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "documents", nargs="*", metavar="DOC", help="schema document(s) the database was built from"
    )
    _common(p)
    _output(p)
    _db(p)
    _yes(p)
    p.set_defaults(func=cmd_down)


def _docs_arguments(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--database-url", help="PostgreSQL URL of the database (default: $DATABASE_URL)")
    p.add_argument("-o", "--output", metavar="PATH", help="write the document here (default: stdout)")
    p.add_argument(
        "--check", metavar="PATH", help="write nothing; exit 1 when PATH differs from what the database gives"
    )
    p.add_argument(
        "--update",
        metavar="PATH",
        help="rewrite only the generated parts of PATH (between schemadoc:begin/end markers), keep the rest",
    )
    p.add_argument(
        "--split", action="store_true", help="one file per table plus README.md, in the folder PATH"
    )
    p.add_argument(
        "--diagram-tables",
        type=int,
        default=40,
        metavar="N",
        help="a schema of more than N tables gets one diagram per cluster of related tables (default 40)",
    )
    p.set_defaults(func=cmd_docs)


def _server_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("start", "stop", "status", "url", "clean"))
    p.add_argument(
        "document", nargs="?", metavar="DOC", help="for `url`: the URL of this document's database"
    )
    p.add_argument("--data-dir", help="data directory (default: .schemadoc)")
    p.add_argument("--database", help="for `url`: the URL of this database (default: postgres)")
    p.add_argument("--port", type=int, default=None, help="also listen on this TCP port on 127.0.0.1")
    p.add_argument(
        "--database-url",
        help="for `clean`: drop the scratch databases verify kept on this server instead of the embedded one",
    )
    _common(p)
    p.set_defaults(func=cmd_server)


# Each command: its one-line help, a longer description for its own --help, and what adds its arguments.
_COMMANDS: dict[str, tuple[str, str | None, Callable[[argparse.ArgumentParser], None]]] = {
    "check": ("read documents and report what they define and every problem", None, _check_arguments),
    "sql": ("print the DDL that builds the documented schema in a fresh database", None, _sql_arguments),
    "up": ("build the documented database, then verify it", None, _up_arguments),
    "verify": (
        "check a live database against the document (structure and promises)",
        None,
        _verify_arguments,
    ),
    "plan": (
        "print the ordered online steps that bring a live database to the document (proven first)",
        None,
        _plan_arguments,
    ),
    "apply": (
        "bring a live database to the document online: plan, ask, run each step with a short lock "
        "timeout and retries, plan again (must be empty), probe the promises touched",
        None,
        _apply_arguments,
    ),
    "down": (
        "drop the database `up` built for the document, and the roles it created",
        None,
        _down_arguments,
    ),
    "docs": ("write the reference document of a live database (markdown)", None, _docs_arguments),
    "server": (
        "manage the embedded PostgreSQL server",
        "start, stop, status and url manage the embedded server; clean drops the scratch databases "
        "verify and up kept (on the embedded server, or on --database-url) and removes the readings of "
        "documents kept on this machine",
        _server_arguments,
    ),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. With ``only``, just that command's parser gets its arguments
    (the others are listed, with their help, but parse nothing): what ``main`` builds when the
    command is known from its first word, which spares a hundred arguments it will not use."""
    parser = _Parser(
        prog="schemadoc",
        description="Make a PostgreSQL schema document executable: read it, build it, prove it, check drift.",
    )
    parser.add_argument("--version", action="version", version=f"schemadoc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, description, add_arguments) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=description)
        if only is None or only == name:
            add_arguments(p)
    return parser


def _json_wanted(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON (looked at before parsing, for usage errors)."""
    items = list(argv)
    for i, item in enumerate(items):
        if item == "--format=json" or (item == "--format" and items[i + 1 : i + 2] == ["json"]):
            return True
    return False


def _report_error(fmt: str, out: Output | None, diag: Diagnostic) -> None:
    if fmt == "json":
        (out or Output("json")).json({"ok": False, "diagnostics": [diag.to_json()]})
    else:
        (out or Output("text")).diagnostics([diag])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    fmt = "json" if _json_wanted(argv) else "text"
    try:
        with collector_paused():  # the parser's objects and the modules it loads live to the end
            parser = build_parser(argv[0] if argv and argv[0] in _COMMANDS else None)
            args = parser.parse_args(argv)
    except UsageError as exc:
        if fmt == "text":
            parser.print_usage(sys.stderr)
        _report_error(fmt, None, Diagnostic(USAGE_CODE, "error", str(exc), None, "see schemadoc --help"))
        return EXIT_USAGE
    if not getattr(args, "command", None):
        if fmt == "json":
            _report_error(fmt, None, Diagnostic(USAGE_CODE, "error", "no command given", None, None))
        else:
            parser.print_help(sys.stderr)
        return EXIT_USAGE
    out: Output | None = None
    try:
        _apply_settings(args)
        out = Output(
            args.format,
            verbose=getattr(args, "verbose", False),
            quiet=getattr(args, "quiet", False),
            ignore=getattr(args, "ignore", None) or (),
        )
        code: int = args.func(args, out)
        return code
    except SchemadocError as exc:
        _report_error(args.format, out, exc.diagnostic)
        return EXIT_REFUSED if exc.diagnostic.code in _REFUSALS else EXIT_USAGE
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
        _report_error(args.format, out, bug)
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
