"""The ``mailworker`` command: run, ingest, classify, stats, reprocess, db.

Exit statuses: 0 success; 1 the job could not be done (IMAP unreachable,
authentication failed, a path unreadable); 2 bad settings or usage; 3 the
mailbox is locked by another instance.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailworker import ledger
from mailworker.classify import run_classify
from mailworker.registry import RegistryError
from mailworker.config import ConfigError, Settings, load_settings
from mailworker.db.models import QUARANTINED
from mailworker.db.session import make_engine, session_factory, upgrade
from mailworker.locks import LockBusy, acquire_mailbox_lock
from mailworker.logs import setup_logging
from mailworker.pipeline import default_stages
from mailworker.processing import log_outcome, process_one
from mailworker.runner import MailboxRunner, StopFlag, engine_label, record_batch, run_mailbox
from mailworker.sources.imap import ImapError, PermanentImapError
from mailworker.sources.local import LocalSourceError, iter_local

log = logging.getLogger("mailworker")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


@dataclass(slots=True)
class App:
    """Settings, database engine and session factory, built once per command."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]


def open_app(settings: Settings) -> App:
    """Connect to the configured database and bring its schema up to date."""
    db = settings.database
    engine = make_engine(db.url, echo=db.echo, busy_timeout_ms=db.sqlite_busy_timeout_ms)
    upgrade(engine)
    return App(settings, engine, session_factory(engine))


def cmd_run(app: App, args: argparse.Namespace) -> int:
    """The daemon (or one pass with --once) over one mailbox."""
    mailbox = app.settings.mailbox(args.mailbox)
    password = mailbox.password()
    stop = StopFlag()
    stop.install()
    lock = acquire_mailbox_lock(app.engine, app.settings.runner.lock_dir, mailbox.name, wait=args.wait_lock)
    log.info("worker started: mailbox %s on %s (%s)", mailbox.name, engine_label(app.engine),
             "one pass" if args.once else "daemon")
    try:
        runner = MailboxRunner(mailbox, password, app.factory, default_stages(), stop)
        report = run_mailbox(runner, app.settings.runner.retry, once=args.once)
    finally:
        lock.release()
    log.info("pass done: fetched=%s duplicates=%s processed=%s review=%s quarantined=%s", report.fetched,
             report.duplicates, report.count("processed"), report.count("review"), report.count(QUARANTINED))
    return EXIT_OK


def cmd_ingest(app: App, args: argparse.Namespace) -> int:
    """Messages from .eml files, folders, Maildirs and mbox files through the same ledger and pipeline."""
    stop = StopFlag()
    stop.install()
    max_bytes = app.settings.mailboxes[0].max_message_bytes
    stages = default_stages()
    added = skipped = 0
    for path in args.paths:
        batch = []
        for fetched in iter_local(path, max_bytes):
            batch.append(fetched)
            if len(batch) >= 200:
                added, skipped = _ingest_batch(app, batch, stages, stop, added, skipped)
                batch = []
            if stop():
                break
        added, skipped = _ingest_batch(app, batch, stages, stop, added, skipped)
    log.info("ingest done: %s new, %s already known", added, skipped)
    with app.factory() as session:
        counts = ledger.counts_by_status(session)
    print(json.dumps(counts, sort_keys=True))
    return EXIT_OK


def _ingest_batch(app: App, batch: list, stages: Sequence, stop: StopFlag, added: int, skipped: int
                  ) -> tuple[int, int]:
    if not batch:
        return added, skipped
    new_ids, duplicates = record_batch(app.factory, batch)
    for ledger_id in new_ids:
        if stop():
            break
        outcome = process_one(app.factory, ledger_id, stages)
        if outcome is not None:
            log_outcome(outcome)
    return added + len(new_ids) + duplicates, skipped + len(batch) - len(new_ids) - duplicates


def cmd_stats(app: App, args: argparse.Namespace) -> int:
    """Counts by ledger status."""
    with app.factory() as session:
        counts = ledger.counts_by_status(session)
    if args.json:
        print(json.dumps(counts, sort_keys=True))
    else:
        for status, count in counts.items():
            print(f"{status:12} {count}")
    return EXIT_OK


def cmd_reprocess(app: App, args: argparse.Namespace) -> int:
    """Run the pipeline again over the given ledger rows (or every row in a status)."""
    with app.factory() as session:
        ids = list(args.ids) or ledger.ids_with_status(session, [args.status])
    for ledger_id in ids:
        outcome = process_one(app.factory, ledger_id, default_stages(),
                              statuses=("fetched", "processed", "review", "quarantined"))
        if outcome is None:
            print(f"{ledger_id}: no such message, or a duplicate", file=sys.stderr)
            continue
        log_outcome(outcome)
        print(f"{ledger_id}: {outcome.status}")
    return EXIT_OK


def cmd_db(app: App, args: argparse.Namespace) -> int:
    """Database maintenance: ``upgrade`` (already applied by open_app)."""
    print(f"database {engine_label(app.engine)} is at the newest schema")
    return EXIT_OK


def cmd_classify(args: argparse.Namespace) -> int:
    """The whole pipeline over files against a CSV registry, without the configured database."""
    files = [Path(p) for p in args.files]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        print(f"mailworker: no such file: {missing[0]}", file=sys.stderr)
        return EXIT_FAILED
    try:
        run_classify(files, Path(args.registry), Path(args.aliases) if args.aliases else None)
    except RegistryError as error:
        print(f"mailworker: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(prog="mailworker", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="settings file (default: $MAILWORKER_CONFIG or ./settings.yaml)")
    parser.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    parser.add_argument("--log-format", choices=("text", "json"))
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="poll the IMAP mailbox (daemon, or one pass with --once)")
    run.add_argument("--once", action="store_true", help="one pass, then exit (for cron)")
    run.add_argument("--mailbox", help="mailbox name from settings.yaml (default: the first)")
    run.add_argument("--wait-lock", action="store_true", help="wait for another instance instead of exiting")
    run.set_defaults(func=cmd_run)
    ingest = sub.add_parser("ingest", help="ingest .eml files, folders, Maildirs or mbox files")
    ingest.add_argument("paths", nargs="+")
    ingest.set_defaults(func=cmd_ingest)
    stats = sub.add_parser("stats", help="counts of messages by status")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_stats)
    reprocess = sub.add_parser("reprocess", help="run the pipeline again over stored messages")
    reprocess.add_argument("ids", nargs="*", type=int)
    reprocess.add_argument("--status", default=QUARANTINED, help="reprocess every message in this status")
    reprocess.set_defaults(func=cmd_reprocess)
    classify = sub.add_parser("classify", help="decide on .eml files against a registry CSV (no database)")
    classify.add_argument("--registry", required=True, help="registry.csv (format in the README)")
    classify.add_argument("--aliases", help="street_aliases.csv")
    classify.add_argument("--jsonl", action="store_true", help="one JSON object per line (the only format)")
    classify.add_argument("files", nargs="+")
    classify.set_defaults(func=None)
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=("upgrade",))
    db.set_defaults(func=cmd_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of worker.py."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        print(f"mailworker: configuration error: {error}", file=sys.stderr)
        return EXIT_USAGE
    setup_logging(args.log_level or settings.logging.level, args.log_format or settings.logging.format)
    if args.command == "classify":
        return cmd_classify(args)
    try:
        if args.command == "run":
            settings.mailbox(args.mailbox).password()  # fail on a missing secret before connecting
        return int(args.func(open_app(settings), args))
    except ConfigError as error:
        print(f"mailworker: configuration error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except LockBusy as error:
        print(f"mailworker: {error}", file=sys.stderr)
        return EXIT_LOCKED
    except PermanentImapError as error:
        print(f"mailworker: IMAP error (not retried): {error}", file=sys.stderr)
        return EXIT_FAILED
    except ImapError as error:
        print(f"mailworker: IMAP unreachable: {error}", file=sys.stderr)
        return EXIT_FAILED
    except LocalSourceError as error:
        print(f"mailworker: {error}", file=sys.stderr)
        return EXIT_FAILED
