"""Pairing the objects of one kind on the two sides of a comparison."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


def match_by_key(
    expected: Sequence[T], actual: Sequence[T], key: Callable[[T], Hashable]
) -> tuple[list[tuple[T, T]], list[T], list[T]]:
    """Pair objects with equal keys (as a multiset, in order). Returns the pairs, the
    expected objects left over (missing) and the actual ones left over (extra)."""
    pool: dict[Hashable, list[T]] = {}
    for a in actual:
        pool.setdefault(key(a), []).append(a)
    pairs: list[tuple[T, T]] = []
    missing: list[T] = []
    for e in expected:
        bucket = pool.get(key(e))
        if bucket:
            pairs.append((e, bucket.pop(0)))
        else:
            missing.append(e)
    taken = {id(a) for _, a in pairs}
    extra = [a for a in actual if id(a) not in taken]
    return pairs, missing, extra
