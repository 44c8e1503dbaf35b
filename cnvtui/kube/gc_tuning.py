"""Cyclic-GC thresholds for a process that holds thousands of watched objects.

Every decoded watch event is a tree of a hundred or so dicts and lists, and the store keeps
the newest one per object, so the heap holds millions of tracked containers. With the
default thresholds (700, 10, 10) the collector runs every few hundred events and often
traverses that whole heap, though JSON never forms a cycle: profiling the VMI ingest
benchmark put more than half of its CPU time there. Collecting young objects a hundred
times less often keeps the collector's share small; garbage is still freed at once by
reference counting, so memory does not grow.
"""

from __future__ import annotations

import gc

STREAM_THRESHOLDS = (50_000, 20, 20)


def tune_for_streams() -> None:
    """Raise the GC thresholds to `STREAM_THRESHOLDS` (never lowers ones already higher)."""
    current = gc.get_threshold()
    if current[0] < STREAM_THRESHOLDS[0]:
        gc.set_threshold(*STREAM_THRESHOLDS)
