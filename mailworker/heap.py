"""Garbage-collector settings for the long-running processes (the worker and its pool).

A pass allocates many short-lived containers (parsed IMAP responses, decoded
messages, ORM rows) that reference counting frees at once; the cyclic
collector would still walk every long-lived object (modules, the registry
index, SQLAlchemy's caches) each time its thresholds trip.  Freezing what
start-up built and raising the youngest generation's threshold keeps those
walks rare; cycles are still collected.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # allocations between collections of the youngest generation (CPython's default: 700)


def settle() -> None:
    """Move everything allocated so far out of the collector's reach and collect young objects less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
