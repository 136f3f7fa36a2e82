"""Named crash points for fault-injection tests.

``MAILWORKER_CRASH_AT=<point>`` makes the process kill itself with SIGKILL the
first time it reaches that point, exactly as a power cut or the OOM killer
would.  Unset (always, in production) it costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "MAILWORKER_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here with SIGKILL when the environment names this point."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


MARKED_MESSAGE = "marked_message"
MARK = b"X-Mailworker-Test-Crash:"


def crash_on_marked(raw: bytes) -> None:
    """Die with SIGKILL on a message whose headers carry ``MARK`` when the environment names
    ``marked_message``: a message that kills the worker every time it is processed."""
    if os.environ.get(ENV) == MARKED_MESSAGE and MARK in raw[:8192]:
        os.kill(os.getpid(), signal.SIGKILL)
