#!/usr/bin/env python3
"""Entry point from a checkout: ``python worker.py COMMAND ...`` (same as the ``mailworker`` command)."""

import sys

if __name__ == "__main__":
    # Imported here, not at the top: the worker pool's processes run this file again, and need none of it.
    from mailworker.entry import main

    sys.exit(main())
