"""The garbage-collector settings of the worker processes."""

from __future__ import annotations

import gc

from mailworker import heap


def test_settle_freezes_startup_objects_and_raises_young_threshold() -> None:
    """After settle() the objects built so far are frozen and young collections run 20,000 allocations apart."""
    before = gc.get_threshold()
    try:
        heap.settle()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
    finally:
        gc.set_threshold(*before)
