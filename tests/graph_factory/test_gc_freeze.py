"""Steps keep the collector off the heap they hold (gc_freeze.py), yet garbage does not stay
frozen for a whole run when steps overlap all along: a full collection now and then frees
it; after the last step nothing is frozen."""

from __future__ import annotations

import gc
import weakref

from automation.graph_factory.gc_freeze import FULL_COLLECTION_EVERY, long_lived_frozen


class Node:
    """A cyclic object, as step contexts and tracebacks are."""

    def __init__(self) -> None:
        self.me = self


def _old_cyclic_garbage(count: int) -> weakref.ref:
    """`count` cycles that reached the oldest generation alive, then became garbage (what a
    young collection before freezing does not free)."""
    nodes = [Node() for _ in range(count)]
    gc.collect(1)  # survivors move to the oldest generation
    first = weakref.ref(nodes[0])
    del nodes
    return first


def test_overlapping_steps_do_not_keep_garbage_frozen_until_the_run_ends() -> None:
    with long_lived_frozen():  # a step that runs the whole time
        base = gc.get_freeze_count()
        assert base > 0  # the heap is frozen while a step runs
        garbage = []
        for _ in range(FULL_COLLECTION_EVERY):  # other steps start and end meanwhile
            garbage.append(_old_cyclic_garbage(100))
            with long_lived_frozen():
                pass
        # freed by a full collection while the first step ran, and none piled up since
        assert garbage[0]() is None
        assert gc.get_freeze_count() < base + 100 * FULL_COLLECTION_EVERY
    assert gc.get_freeze_count() == 0


def test_a_step_alone_freezes_what_it_holds_and_unfreezes_at_its_end() -> None:
    held = [Node() for _ in range(1000)]
    with long_lived_frozen():
        frozen = gc.get_freeze_count()
        assert frozen >= len(held)
        with long_lived_frozen():  # a second step at once: the first one's objects stay frozen
            assert gc.get_freeze_count() >= frozen
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
