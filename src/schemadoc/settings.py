"""Per-project settings: a ``schemadoc.toml`` in the current directory, or the ``[tool.schemadoc]``
table of its ``pyproject.toml``. Command-line flags win over both.

Keys: ``documents`` (list of paths, used when a command names none), ``stub-missing`` (bool),
``ignore`` (list of diagnostic codes hidden from text and JSON output), ``strict`` (bool).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from schemadoc.diagnostics import fail
from schemadoc.records import record

SETTINGS_FILE = "schemadoc.toml"
PYPROJECT = "pyproject.toml"


@record
class Settings:
    documents: tuple[str, ...] = ()
    stub_missing: bool = False
    ignore: tuple[str, ...] = ()
    strict: bool = False
    source: str | None = None  # the file the settings came from, None for the defaults


_KEYS = {"documents": "list", "stub-missing": "bool", "ignore": "list", "strict": "bool"}


def load_settings(directory: Path | None = None) -> Settings:
    """The settings of the project in ``directory`` (default: the current one). ``schemadoc.toml``
    is read when present, else ``pyproject.toml``'s ``[tool.schemadoc]``; neither gives defaults.
    A file that is not TOML, an unknown key or a value of the wrong type fails (exit 2)."""
    here = directory or Path.cwd()
    own = here / SETTINGS_FILE
    if own.is_file():
        return _settings(_load(own), str(own))
    project = here / PYPROJECT
    if project.is_file():
        tool = _load(project).get("tool", {})
        table = tool.get("schemadoc") if isinstance(tool, dict) else None
        if table is None:
            return Settings()
        if not isinstance(table, dict):
            raise _bad(str(project), "[tool.schemadoc] must be a table")
        return _settings(table, f"{project} [tool.schemadoc]")
    return Settings()


def _load(path: Path) -> dict[str, Any]:
    # imported here: most runs find no settings file to parse
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(str(path), f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise _bad(str(path), f"cannot be read: {exc.strerror}") from None


def _settings(table: dict[str, Any], source: str) -> Settings:
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise _bad(source, f"unknown setting(s): {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    for key, kind in _KEYS.items():
        if key not in table:
            continue
        value = table[key]
        ok = (
            isinstance(value, bool)
            if kind == "bool"
            else isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
        if not ok:
            wanted = "true or false" if kind == "bool" else "a list of strings"
            raise _bad(source, f"{key} must be {wanted}")
    return Settings(
        documents=tuple(table.get("documents", ())),
        stub_missing=bool(table.get("stub-missing", False)),
        ignore=tuple(code.upper() for code in table.get("ignore", ())),
        strict=bool(table.get("strict", False)),
        source=source,
    )


def _bad(source: str, why: str) -> Exception:
    return fail("SD605", f"settings in {source}: {why}", hint="see the README's settings section")
