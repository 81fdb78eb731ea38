"""Keep Python's cyclic garbage collector off the objects a step already holds while it runs
many items.

A run worker holds Dagster, Django, the code location and the step's chunk: hundreds of
thousands of long-lived objects. Every full collection scans them all (about 0.1 s here), and
the allocations of 10,000 items trigger dozens of full collections: about 2 s of a 10,000-item
batch went to them. `gc.freeze()` moves what exists now out of the collector's reach until
`gc.unfreeze()` (the standard library's tool for this, also used before fork in pre-fork
servers); objects the items create are collected as usual. Young garbage is collected before
freezing, so that what is frozen is what is alive. Steps run at once in threads
(thread_executor.py): the last one to leave unfreezes, and while they overlap a full
collection every FULL_COLLECTION_EVERY entries frees the garbage that freezing kept.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_inside = 0  # steps within long_lived_frozen now
_entries = 0  # steps entered since the last full collection, while others ran
# With steps overlapping for a whole run, the last one never leaves before its end, and each
# entry freezes the cyclic garbage then waiting for a full collection (about 700 objects a
# for-each step here). Every this many entries, one full collection clears it (counting
# frozen objects instead would walk all of them: some milliseconds each time).
FULL_COLLECTION_EVERY = 200


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Objects alive on entry are not scanned by the collector until the last step exits."""
    global _inside, _entries
    with _LOCK:
        _entries = _entries + 1 if _inside else 0
        if _entries >= FULL_COLLECTION_EVERY:
            gc.unfreeze()
            gc.collect()
            _entries = 0
        else:
            # Young garbage first: frozen, it would wait for a full collection after
            # unfreeze (rare, as the oldest generation is large).
            gc.collect(1)
        gc.freeze()
        _inside += 1
    try:
        yield
    finally:
        with _LOCK:
            _inside -= 1
            if _inside == 0:
                gc.unfreeze()
