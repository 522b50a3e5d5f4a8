"""Pausing Python's cyclic garbage collector while many long-lived objects are made.

Importing the readers and reading a document make objects that all live until the command
ends: class and function objects, then the document's facts and the schema built from them.
The collector would trace them again and again as they pile up, to free nothing; reference
counting still frees whatever is dropped. A one-table ``check`` spends about 8 ms in it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Turn the collector off for the block and back on after it; inside a block that already
    paused it, do nothing."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            # Hand what the block made straight to the oldest generation: otherwise the first
            # collection after re-enabling traces all of it as young objects.
            gc.freeze()
            gc.unfreeze()
        gc.enable()
