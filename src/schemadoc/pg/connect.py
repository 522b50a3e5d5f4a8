"""Connections to PostgreSQL: session settings, readable failures, passwords never shown.

Every connection schemadoc opens goes through :func:`connect`. It names the
application, sets a lock timeout and a statement timeout (unless the URL's
``options`` already set them), collects server notices (see :func:`notices`)
and turns a failed connection into one line with a hint instead of a
traceback. Anything that prints a connection string prints :func:`redact` of it.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import quote, unquote

import psycopg
from psycopg import errors, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schemadoc.diagnostics import SchemadocError, fail
from schemadoc.lazy_regex import lazy_regex

__all__ = [
    "MIN_SERVER_VERSION",
    "SESSION_DEFAULTS",
    "connect",
    "create_database",
    "notices",
    "redact",
    "server_version",
    "with_database",
]

MIN_SERVER_VERSION = 130000
SESSION_DEFAULTS: dict[str, str] = {
    "lock_timeout": "10s",  # never queue for long behind a lock on a live database
    "statement_timeout": "5min",
    "idle_in_transaction_session_timeout": "10min",
    # fragments of a document are checked by a parser that reads '\' in a string as a plain
    # character; the server must read them the same way
    "standard_conforming_strings": "on",
}
_MASK = "***"
# Shorter strings are left alone in messages (they would garble paths and names, and libpq never
# echoes a password outside the connection-string parse errors, whose fragments are hidden whole).
_MIN_SCRUBBED = 4
_URL_RE = lazy_regex(r"^(postgres(?:ql)?://)(.*)$", re.IGNORECASE | re.DOTALL)
# Anything written like a URL, whatever its scheme (a mistyped one too), as far as hiding passwords goes.
_ANY_URL_RE = lazy_regex(r"^([a-z][a-z0-9+.\-]*:/+)(.*)$", re.IGNORECASE | re.DOTALL)
_ANY_URL_IN_TEXT_RE = lazy_regex(r"\b[a-z][a-z0-9+.\-]*:/+[^\s\"']+", re.IGNORECASE)
_QUERY_PASSWORD_RE = lazy_regex(r"([?&]password=)([^&#]*)", re.IGNORECASE)
_CONNINFO_PASSWORD_RE = lazy_regex(r"(?<![\w.])(password\s*=\s*)('(?:\\.|[^\\'])*'?|(?:\\.|[^\s\\])+)")


class _NoticeConnection(psycopg.Connection[Any]):
    """A connection that keeps the server's notices (NOTICE, WARNING...) in ``notices``."""

    notices: list[str]


def _split_userinfo(rest: str) -> tuple[str, str] | None:
    """(userinfo, after) of the part of a URL after ``scheme://``; None without a user."""
    query_at = rest.find("?")
    at = rest.rfind("@", 0, query_at) if query_at >= 0 else -1
    if at < 0:
        at = rest.rfind("@")
    if at < 0:
        return None
    return rest[:at], rest[at:]


def _url_parts(url: str) -> tuple[str, str] | None:
    """(scheme with its slashes, the rest) of ``url`` when it is written like a URL: with any
    scheme (``postgresq://`` too), or none at all but a ``user:password@host`` and no ``=``."""
    text = url.strip()
    m = _ANY_URL_RE.match(text)
    if m is not None:
        return m.group(1), m.group(2)
    if "@" in text and "=" not in text:
        return "", text
    return None


def redact(url: str) -> str:
    """``url`` (URL or key=value form) with any password replaced by ``***``."""
    parts_of_url = _url_parts(url)
    if parts_of_url is None:
        return _CONNINFO_PASSWORD_RE.sub(lambda p: p.group(1) + _MASK, url)
    scheme, rest = parts_of_url
    parts = _split_userinfo(rest)
    if parts is not None:
        userinfo, after = parts
        if ":" in userinfo:
            rest = userinfo.split(":", 1)[0] + ":" + _MASK + after
    return scheme + _QUERY_PASSWORD_RE.sub(lambda p: p.group(1) + _MASK, rest)


def _passwords(url: str) -> list[str]:
    """Every spelling of a password in ``url`` (raw, decoded, pieces), longest first."""
    found: list[str] = []
    parts_of_url = _url_parts(url)
    if parts_of_url is not None:
        parts = _split_userinfo(parts_of_url[1])
        if parts is not None and ":" in parts[0]:
            found.append(parts[0].split(":", 1)[1])
        found.extend(p.group(2) for p in _QUERY_PASSWORD_RE.finditer(parts_of_url[1]))
    else:
        for p in _CONNINFO_PASSWORD_RE.finditer(url):
            found.append(p.group(2))
            found.append(p.group(2).strip("'").replace("\\'", "'").replace("\\\\", "\\"))
    for raw in list(found):
        found.append(unquote(raw))
        found.extend(raw.split())
    return sorted({p for p in found if p}, key=len, reverse=True)


def _scrub(message: str, url: str) -> str:
    """``message`` without any spelling of the password in ``url`` (and connection strings redacted)."""
    for secret in _passwords(url):
        if len(secret) >= _MIN_SCRUBBED:
            message = message.replace(secret, _MASK)
    message = _CONNINFO_PASSWORD_RE.sub(lambda p: p.group(1) + _MASK, message)
    return _ANY_URL_IN_TEXT_RE.sub(lambda u: redact(u.group(0)), message)


def _shown(url: str) -> str:
    return redact(url) if url.strip() else "(default connection settings)"


def _parse(url: str) -> dict[str, Any]:
    try:
        return conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        detail = _first_line(str(exc))
        m = _ANY_URL_RE.match(url.strip())
        if m is not None and _URL_RE.match(url.strip()) is None:
            # only the scheme is quoted: everything after it may hold the password
            detail = f"{m.group(1)!r} is not a PostgreSQL URL scheme (postgresql:// or postgres://)"
        elif _passwords(url):
            detail = re.sub(r'"([^"]*)"', lambda q: q.group(0) if q.group(1) == "=" else '"..."', detail)
        raise fail(
            "SD515",
            f"the connection string is not valid: {_scrub(detail, url)}",
            hint="use postgresql://user@host:port/dbname or key=value pairs "
            "(percent-encode special characters in a URL)",
        ) from None


def with_database(url: str, dbname: str) -> str:
    """The same server and settings as ``url``, for the database ``dbname`` (same form as ``url``)."""
    m = _URL_RE.match(url.strip())
    if m is None:
        params = _parse(url)
        params["dbname"] = dbname
        return make_conninfo("", **params)
    scheme, rest = m.group(1), m.group(2)
    rest, hash_mark, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    parts = _split_userinfo(rest)
    userinfo, hosts = (parts[0] + "@", parts[1][1:]) if parts is not None else ("", rest)
    authority = hosts.split("/", 1)[0]
    kept = [p for p in query.split("&") if p and not p.lower().startswith("dbname=")]
    out = f"{scheme}{userinfo}{authority}/{quote(dbname, safe='')}"
    if kept:
        out += "?" + "&".join(kept)
    return out + (hash_mark + fragment if hash_mark else "")


def _session_options(params: dict[str, Any]) -> str:
    existing = str(params.get("options") or os.environ.get("PGOPTIONS", "")).strip()
    added = [
        f"-c {name}={value}"
        for name, value in SESSION_DEFAULTS.items()
        if not re.search(rf"\b{name}\b", existing)
    ]
    return " ".join([existing, *added]).strip()


def connect(
    url: str,
    *,
    autocommit: bool = False,
    application_name: str = "schemadoc",
    connect_timeout: int = 5,
) -> psycopg.Connection[Any]:
    """Open a connection; a failure raises ``fail()`` with one line and a hint (never the password)."""
    params = _parse(url)
    try:
        conn = _NoticeConnection.connect(
            url,
            autocommit=autocommit,
            application_name=application_name,
            connect_timeout=connect_timeout,
            options=_session_options(params),
        )
    except psycopg.OperationalError as exc:
        raise _connect_failure(url, params, exc) from None
    except psycopg.Error as exc:
        raise fail(
            "SD516",
            f"cannot connect to {_shown(url)}: {_scrub(_first_line(str(exc)), url)}",
            hint="check the connection URL",
        ) from None
    collected: list[str] = []
    conn.notices = collected
    conn.add_notice_handler(lambda diag: collected.append(f"{diag.severity}: {diag.message_primary}"))
    version = conn.info.server_version
    if version < MIN_SERVER_VERSION:
        conn.close()
        raise fail(
            "SD514",
            f"{_shown(url)} runs PostgreSQL {_version_text(version)}; schemadoc needs PostgreSQL 13 or newer",
            hint="upgrade the server, or leave out the database URL to use the embedded server",
        )
    return conn


def notices(conn: psycopg.Connection[Any]) -> list[str]:
    """The notices the server sent on ``conn`` so far, as ``SEVERITY: message`` (oldest first)."""
    return conn.notices if isinstance(conn, _NoticeConnection) else []


def server_version(conn: psycopg.Connection[Any]) -> int:
    """server_version_num of the server behind ``conn`` (e.g. 180001)."""
    return conn.info.server_version


def create_database(url: str, name: str) -> bool:
    """Create database ``name`` on the server of ``url``; False when it already existed."""
    with connect(url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except (errors.DuplicateDatabase, errors.UniqueViolation):
            return False  # created meanwhile by another session (pg_database's unique index)
        except errors.InsufficientPrivilege:
            user = conn.info.user
            raise fail(
                "SD513",
                f"the role {user!r} may not create databases on {_shown(url)}",
                hint=f"create the database {name!r} yourself and pass its URL, "
                "or grant the role CREATEDB (ALTER ROLE ... CREATEDB)",
            ) from None
    return True


def _version_text(num: int) -> str:
    major = num // 10000
    return f"{num // 10000}.{num // 100 % 100}" if major < 10 else f"{major}.{num % 10000}"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _detail(text: str) -> str:
    """The informative part of a libpq connection error, on one line."""
    line = _first_line(text)
    for prefix in ("connection failed:", "connection is bad:"):
        if line.lower().startswith(prefix):
            line = line[len(prefix) :].strip()
    return re.sub(r"\b(FATAL|ERROR):\s+", "", line)


_UNREACHABLE = (
    "connection refused",
    "no such file or directory",
    "could not translate host name",
    "failed to resolve host",
    "name or service not known",
    "temporary failure in name resolution",
    "timeout expired",
    "network is unreachable",
    "no route to host",
    "server closed the connection unexpectedly",
    "the database system is starting up",
    "the database system is shutting down",
)
_AUTH = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "no pg_hba.conf entry",
    "does not exist",  # role "x" does not exist (the database case is matched first)
)


def _connect_failure(url: str, params: dict[str, Any], exc: psycopg.OperationalError) -> SchemadocError:
    raw = str(exc)
    low = raw.lower()
    detail = _scrub(_detail(raw), url)
    where = _shown(url)
    if re.search(r'database "[^"]*" does not exist', raw):
        dbname = params.get("dbname") or "(default)"
        return fail(
            "SD512",
            f"cannot connect to {where}: the database {dbname!r} does not exist",
            hint="check the database name in the URL, or create it first (CREATE DATABASE)",
        )
    if "permission denied for database" in low or "insufficient privilege" in low:
        return fail(
            "SD513",
            f"cannot connect to {where}: {detail}",
            hint="ask for CONNECT privilege on the database, or use another role",
        )
    if any(marker in low for marker in _UNREACHABLE):
        return fail(
            "SD510",
            f"cannot reach the server {where}: {detail}",
            hint="check that PostgreSQL is running and the host, port or socket directory in the URL; "
            "without a database URL schemadoc uses its embedded server",
        )
    if any(marker in low for marker in _AUTH):
        return fail(
            "SD511",
            f"cannot log in to {where}: {detail}",
            hint="check the user name and password (a password can also come from PGPASSWORD or ~/.pgpass)",
        )
    return fail(
        "SD516",
        f"cannot connect to {where}: {detail}",
        hint="check the connection URL and that the server accepts connections from here",
    )
