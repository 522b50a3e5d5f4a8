"""A kept reading of an unchanged document.

Reading a document of thousands of tables takes longer than introspecting the database it
describes. ``verify`` and ``up`` run again and again on a document that has not changed, so
what :func:`schemadoc.read.read_documents` returned is kept in a local file and loaded instead
of reading the document again, while nothing that decides the reading has changed.

The key covers every input of a read: each document's bytes and the path it was named by (the
spans carry it), the working directory, the reading options, and schemadoc itself (its version,
and the size and modification time of each of its source files, so that an edited checkout
never loads a reading made by other code), pglast's and Python's versions. A file is written
whole under a temporary name and then renamed, so a reader never sees half of one. Any file
that does not load is a miss. Standard input is never kept.

The files live in ``$SCHEMADOC_CACHE_DIR``, or ``schemadoc/read`` under ``$XDG_CACHE_HOME`` (by
default ``~/.cache``), in a directory only the user can open; at most :data:`KEEP` are kept.
``--no-cache`` neither loads nor writes one, and ``schemadoc server clean`` removes them all.

Beside a reading, the DDL rendered from it for a given server (its version and the extensions it
offers) is kept too: what the kept scratch database's name is made from, without rendering it.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

from schemadoc.diagnostics import Diagnostic
from schemadoc.model import Schema

FORMAT = 1  # bumped when what is kept changes shape
KEEP = 8  # readings kept; the least recently used go first
_SUFFIX = ".reading"
_DDL_SUFFIX = ".ddl"

Reading = tuple[Schema, list[Diagnostic]]
# The schema each reading of this process gave, by its key: the DDL rendered from that very
# object can be kept beside the reading (see :func:`kept_ddl`).
_KEYS: list[tuple[Schema, str]] = []


def cache_dir() -> Path:
    """Where kept readings live (not created here)."""
    given = os.environ.get("SCHEMADOC_CACHE_DIR")
    if given:
        return Path(given) / "read"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "schemadoc" / "read"


@cache
def _code_fingerprint() -> bytes:
    """schemadoc's version and the size and modification time of each of its source files."""
    import pglast

    from schemadoc import __version__

    package = Path(__file__).resolve().parent
    h = hashlib.sha256(f"{__version__}|{pglast.__version__}|{sys.version}".encode())
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        h.update(f"{path.relative_to(package)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.digest()


def reading_key(paths: Sequence[str | Path], options: dict[str, object]) -> str | None:
    """The key of reading ``paths`` with ``options``, or None when the reading cannot be kept
    (standard input, a file that cannot be read: the read itself then reports it)."""
    h = hashlib.sha256(_code_fingerprint())
    h.update(f"{FORMAT}|{os.getcwd()}|{sorted(options.items())!r}".encode())
    h.update(os.environ.get("SCHEMADOC_RAISE_READER_ERRORS", "").encode())
    for p in paths:
        if str(p) == "-":
            return None
        try:
            data = Path(p).read_bytes()
        except OSError:
            return None
        name = str(p).encode()
        h.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def _private_dir(create: bool) -> Path | None:
    """The cache directory when only this user can write to it (made so when ``create``)."""
    directory = cache_dir()
    if create:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return None
    try:
        st = directory.stat()
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
        return None  # someone else could put a file there: never load from it
    return directory


def _load_kept(path: Path) -> tuple[Any, Any] | None:
    """The two values :func:`_write_kept` wrote to ``path``; None when the file is missing,
    damaged, foreign or of another format."""
    collecting = gc.isenabled()
    gc.disable()  # tens of thousands of objects, none of them garbage
    try:
        with path.open("rb") as f:
            kept = pickle.load(f)
    except Exception:
        return None
    finally:
        if collecting:
            gc.enable()
    if not (isinstance(kept, tuple) and len(kept) == 3 and kept[0] == FORMAT):
        return None
    return kept[1], kept[2]


def _write_kept(path: Path, first: Any, second: Any) -> bool:
    """Write two values to ``path`` whole (under a temporary name, then renamed); False when
    the directory cannot be written."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump((FORMAT, first, second), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:
        with suppress(OSError):
            os.unlink(tmp)
        return False
    return True


def load(key: str) -> Reading | None:
    """The reading kept under ``key``, or None."""
    directory = _private_dir(create=False)
    if directory is None:
        return None
    path = directory / (key + _SUFFIX)
    kept = _load_kept(path)
    if kept is None:
        return None
    with suppress(OSError):
        os.utime(path)  # most recently used
    return kept


def store(key: str, reading: Reading) -> None:
    """Keep ``reading`` under ``key``; silently nothing when the directory cannot be written."""
    directory = _private_dir(create=True)
    if directory is not None and _write_kept(directory / (key + _SUFFIX), reading[0], reading[1]):
        _trim(directory)


def _trim(directory: Path) -> None:
    kept = []
    for path in directory.glob("*" + _SUFFIX):
        with suppress(OSError):
            kept.append((path.stat().st_mtime_ns, path))
    kept.sort(reverse=True)
    for _, path in kept[KEEP:]:
        with suppress(OSError):
            path.unlink()
        for ddl in directory.glob(path.name.removesuffix(_SUFFIX) + "-*" + _DDL_SUFFIX):
            with suppress(OSError):
                ddl.unlink()


def clear() -> int:
    """Remove every kept reading; how many were removed."""
    directory = cache_dir()
    removed = 0
    found = [directory.glob(f"*{suffix}") for suffix in (_SUFFIX, _DDL_SUFFIX, ".tmp")]
    for path in [p for paths in found for p in paths]:
        with suppress(OSError):
            path.unlink()
            removed += path.suffix == _SUFFIX
    return removed


def cached_read(
    paths: Sequence[str | Path], options: dict[str, Any], read: Callable[[], Reading]
) -> tuple[Reading, bool]:
    """``read()``, or the kept result of an earlier call with the same documents and options;
    and whether it was the kept one."""
    key = reading_key(paths, options)
    if key is not None:
        kept = load(key)
        if kept is not None:
            _remember(kept[0], key)
            return kept, True
    reading = read()
    if key is not None:
        store(key, reading)
        _remember(reading[0], key)
    return reading, False


def _remember(schema: Schema, key: str) -> None:
    _KEYS.append((schema, key))
    del _KEYS[:-4]  # a long-lived process (a test run) does not keep every schema it read


def _ddl_path(schema: Schema, inputs: object) -> Path | None:
    """Where the DDL rendered from ``schema`` with ``inputs`` is kept: beside the reading that
    gave this very object, or None for a schema that no kept reading gave."""
    key = next((k for s, k in _KEYS if s is schema), None)
    if key is None:
        return None
    directory = _private_dir(create=False)
    if directory is None:
        return None
    digest = hashlib.sha256(repr(inputs).encode()).hexdigest()[:16]
    return directory / f"{key}-{digest}{_DDL_SUFFIX}"


def kept_ddl(schema: Schema, inputs: object) -> Any | None:
    """What :func:`keep_ddl` kept for ``schema`` (which a kept or keepable reading gave) and
    ``inputs`` (everything else the rendering took: the server's version, its extensions)."""
    path = _ddl_path(schema, inputs)
    kept = _load_kept(path) if path is not None else None
    if kept is None or kept[0] != repr(inputs):
        return None
    return kept[1]


def keep_ddl(schema: Schema, inputs: object, rendered: Any) -> None:
    """Keep ``rendered``, the DDL of ``schema`` rendered with ``inputs``, beside its reading."""
    path = _ddl_path(schema, inputs)
    if path is not None:
        _write_kept(path, repr(inputs), rendered)
