"""Concurrency bounds shared by every step (thread, event loop) of this process.

A run worker runs several steps at once in threads (graph_factory/thread_executor.py), each
with its own event loop. A for-each's `max_concurrency` and a tenant's AI
`max_concurrent_requests` bound what all of them do together, so their gates are aiologic
semaphores (usable from any thread and loop, first come first served), one per key while
someone holds it.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable

import aiologic

_LOCK = threading.Lock()
_GATES: weakref.WeakValueDictionary[Hashable, aiologic.Semaphore] = weakref.WeakValueDictionary()


def shared_gate(key: Hashable, size: int) -> aiologic.Semaphore:
    """The process's gate for `key` (created with `size` places on first use); keep a
    reference while using it: a gate no one holds is forgotten."""
    with _LOCK:
        gate = _GATES.get((key, size))
        if gate is None:
            gate = _GATES[(key, size)] = aiologic.Semaphore(size)
        return gate
