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
