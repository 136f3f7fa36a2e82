#!/usr/bin/env python3
"""Entry point from a checkout: ``python worker.py COMMAND ...`` (same as the ``mailworker`` command)."""

import sys

from mailworker.cli import main

if __name__ == "__main__":
    sys.exit(main())
