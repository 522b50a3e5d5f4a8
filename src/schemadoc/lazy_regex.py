"""Regular expressions compiled when first used, not when their module is imported.

The readers keep a few hundred patterns at module level: table cell roles, prose phrases, style
markers of the corpus's document kinds. Compiling all of them was a sixth of a one-table
``schemadoc check``'s whole run, while a given document needs a fraction of them. A pattern made
by :func:`lazy_regex` compiles on its first use, and from then on its methods are the compiled
pattern's own bound methods, held in slots: a call costs what it costs on a compiled pattern.

It stands in for a compiled pattern wherever one is used through its methods or attributes
(``match``, ``search``, ``sub``, ``pattern``, ...); the ``re`` module's own functions
(``re.sub(pattern, ...)``) refuse it, so module-level patterns are used through their methods.
"""

from __future__ import annotations

import re
from typing import Any, AnyStr, cast

_BOUND = (
    "match",
    "fullmatch",
    "search",
    "sub",
    "subn",
    "split",
    "findall",
    "finditer",
    "scanner",
    "flags",
    "groups",
    "groupindex",
)


class _Later:
    __slots__ = ("_flags", "pattern", *_BOUND)

    def __init__(self, source: str | bytes, flags: int) -> None:
        self.pattern = source
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        # Called only for a slot not yet filled: compile, fill them all, and answer.
        if name not in _BOUND:
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self._flags)
        for attr in _BOUND:
            setattr(self, attr, getattr(compiled, attr))
        return getattr(self, name)

    def __repr__(self) -> str:
        return f"lazy_regex({self.pattern!r}, {self._flags!r})"


def lazy_regex(source: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(source, flags)``, done on first use. A pattern that does not compile raises
    ``re.error`` at that use."""
    return cast("re.Pattern[AnyStr]", _Later(source, flags))
