"""One pass of the daemon's runner with the decode stage only: ingest + decode + store, before extraction.

Started by ``bench/ingest.py --stages decode`` with the same settings file as
``mailworker run --once``; it measures what the ingestion core costs without
the extraction, matching and decision stages (always in one process).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailworker.cli import open_app  # noqa: E402
from mailworker.config import load_settings  # noqa: E402
from mailworker.pipeline import DecodeStage  # noqa: E402
from mailworker.processing import write_decoded  # noqa: E402
from mailworker.runner import MailboxRunner, StopFlag, run_mailbox  # noqa: E402


def main() -> None:
    settings = load_settings()
    app = open_app(settings)
    mailbox = settings.mailboxes[0]
    runner = MailboxRunner(mailbox, mailbox.password(), app.factory, (DecodeStage(),), StopFlag(), write_decoded)
    report = run_mailbox(runner, settings.runner.retry, once=True)
    print(f"decode-only pass: {report.fetched} fetched, {dict(report.statuses)}", file=sys.stderr)


if __name__ == "__main__":
    main()
