"""What the machine did during a measurement: this process's CPU time, and the share of the
machine's CPU time that its host took for others (steal, from /proc/stat on Linux).

A virtual machine whose host is busy loses time to steal: wall-clock figures then vary from
run to run by more than the code's own changes, while the process's CPU time varies less.
Benchmarks print both next to their times.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path
from types import TracebackType

_STAT = Path("/proc/stat")


def _cpu_ticks() -> list[int] | None:
    try:
        first = _STAT.read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    return [int(v) for v in first[1:]] if first and first[0] == "cpu" else None


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Measured:
    """``with Measured() as m:`` ... then ``m.wall``, ``m.cpu`` (this process) and ``m.steal``
    (share of all CPU time stolen, 0-1; None where /proc/stat is not there)."""

    def __enter__(self) -> Measured:
        self._ticks = _cpu_ticks()
        self._cpu = _own_cpu()
        self._start = time.perf_counter()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.wall = time.perf_counter() - self._start
        self.cpu = _own_cpu() - self._cpu
        after = _cpu_ticks()
        self.steal: float | None = None
        if self._ticks is not None and after is not None and len(after) > 7:
            spent = [b - a for a, b in zip(self._ticks, after, strict=False)]
            total = sum(spent[:8])
            self.steal = spent[7] / total if total else 0.0

    def describe(self) -> str:
        steal = "" if self.steal is None else f", CPU stolen by the host {self.steal:.0%}"
        return f"schemadoc's own CPU {self.cpu:.1f} s{steal}"
