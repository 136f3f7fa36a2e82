"""The ``mailworker`` console command: imports the command-line module only when it runs.

Worker processes of the decode/extract pool are started with ``spawn``, which
runs the parent's main script again in each of them (as ``__mp_main__``); a
script that imported ``mailworker.cli`` at its top would make every worker
import the database layer, Alembic, the review console and the rest (about
0.8 s of CPU each) for nothing.  Importing here, inside :func:`main`, leaves the
workers with what their stages need.
"""

from __future__ import annotations


def main() -> int:
    """Run the command line (see ``mailworker.cli``)."""
    from mailworker.cli import main as run_command_line

    return run_command_line()
