"""Progress of a long backfill: a live line with rate and ETA on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts processed messages and reports count, rate and ETA to ``stream`` (stderr by default)."""

    def __init__(self, total: int | None, stream: TextIO | None = None, every_seconds: float = 5.0) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = 0.2 if self.tty else every_seconds
        self.done = 0
        self.started = time.monotonic()
        self._last = 0.0

    def advance(self, count: int = 1) -> None:
        """Record ``count`` more messages; report when enough time has passed."""
        self.done += count
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._write(self.line(now))

    def line(self, now: float | None = None) -> str:
        """``1200/5000 (24%) 310 msg/s ETA 12s`` (without total: ``1200 310 msg/s``)."""
        elapsed = max(1e-6, (now or time.monotonic()) - self.started)
        rate = self.done / elapsed
        if not self.total:
            return f"{self.done} messages, {rate:.0f} msg/s"
        left = max(0, self.total - self.done)
        eta = left / rate if rate > 0 else 0.0
        return f"{self.done}/{self.total} ({self.done * 100 // self.total}%), {rate:.0f} msg/s, ETA {eta:.0f}s"

    def _write(self, text: str) -> None:
        if self.tty:
            self.stream.write(f"\r\033[K{text}")
        else:
            self.stream.write(f"progress: {text}\n")
        self.stream.flush()

    def finish(self) -> None:
        """Write the final line (and end the live line on a terminal)."""
        self._write(self.line())
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
