"""Every kind of promise has exactly one probe, found through an explicit table."""

from __future__ import annotations

from typing import get_args

from schemadoc.verify import probes
from schemadoc.verify.promises import PromiseKind


def test_each_promise_kind_has_a_probe() -> None:
    assert set(probes._PROBES) == set(get_args(PromiseKind))
    assert all(callable(f) for f in probes._PROBES.values())
