"""The ``mailworker`` command: run, ingest, classify, registry, export, stats, reprocess, db.

Exit statuses: 0 success; 1 the job could not be done (IMAP unreachable,
authentication failed, a path unreadable); 2 bad settings or usage; 3 the
mailbox is locked by another instance.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailworker import heap, ledger
from mailworker.backfill import Backfill
from mailworker.classify import run_classify
from mailworker.config import ConfigError, MailboxSettings, Settings, load_settings
from mailworker.db.models import QUARANTINED
from mailworker.db.session import make_engine, session_factory, upgrade
from mailworker.export import export_readings
from mailworker.locks import LockBusy, MailboxLock, acquire_mailbox_lock
from mailworker.logs import setup_logging
from mailworker.metrics import poll_ages, serve_metrics
from mailworker.notify import Acknowledger
from mailworker.parallel import PoolKeeper
from mailworker.pipeline import Stage
from mailworker.posting import write_results
from mailworker.processing import log_outcome, process_one
from mailworker.registry import RegistryError, load_aliases_csv, load_registry_csv
from mailworker.registry_store import DbRegistry, import_registry
from mailworker.review.cli import register as register_review_commands
from mailworker.runner import (
    LockLost,
    MailboxRunner,
    PassReport,
    StopFlag,
    engine_label,
    run_mailbox,
)
from mailworker.sources.imap import ImapError, PermanentImapError
from mailworker.sources.local import LocalSourceError
from mailworker.stages import build_stages

log = logging.getLogger("mailworker")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3


@dataclass(slots=True)
class App:
    """Settings, database engine and session factory, built once per command."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    registry: DbRegistry

    def stages(self) -> tuple[Stage, ...]:
        """The pipeline with the registry as it is in the database now."""
        self.registry.refresh()
        return build_stages(self.registry, self.settings.decision)


def open_app(settings: Settings) -> App:
    """Connect to the configured database and bring its schema up to date."""
    db = settings.database
    engine = make_engine(db.url, echo=db.echo, busy_timeout_ms=db.sqlite_busy_timeout_ms)
    upgrade(engine)
    factory = session_factory(engine)
    app = App(settings, engine, factory, DbRegistry(factory, settings.decision.fuzzy_threshold))
    heap.settle()
    return app


def cmd_run(app: App, args: argparse.Namespace) -> int:
    """The daemon (or one pass with --once) over one mailbox."""
    mailbox = app.settings.mailbox(args.mailbox)
    password = mailbox.password()
    stop = StopFlag()
    stop.install()
    runner_settings = app.settings.runner
    if runner_settings.metrics_port:
        serve_metrics(runner_settings.metrics_port, runner_settings.metrics_host)
    try:
        lock = acquire_mailbox_lock(app.engine, runner_settings.lock_dir, mailbox.name, wait=args.wait_lock,
                                    should_stop=stop)
    except LockBusy:
        if stop():
            log.info("stopped while waiting for mailbox %s", mailbox.name)
            return EXIT_OK
        raise
    log.info("worker started: mailbox %s on %s (%s)", mailbox.name, engine_label(app.engine),
             "one pass" if args.once else "daemon")
    report = _run_holding(app, args, mailbox, password, stop, lock)
    log.info("pass done: fetched=%s duplicates=%s processed=%s review=%s quarantined=%s", report.fetched,
             report.duplicates, report.count("processed"), report.count("review"), report.count(QUARANTINED))
    return EXIT_OK


def make_acknowledger(settings: Settings, own_address: str = "") -> Acknowledger | None:
    """The SMTP acknowledger when `notify.enabled`, else None (the default)."""
    if not settings.notify.enabled:
        return None
    password = os.environ.get(settings.notify.password_env) if settings.notify.username else None
    return Acknowledger(settings.notify, password, own_addresses=[a for a in (own_address,) if a])


def _run_holding(app: App, args: argparse.Namespace, mailbox: MailboxSettings, password: str, stop: StopFlag,
                 lock: MailboxLock) -> PassReport:
    """Run the mailbox while holding ``lock``; a lost lock is waited for again (fail-over)."""
    runner_settings = app.settings.runner
    report = PassReport()
    keeper = PoolKeeper(app.registry, app.factory, args.workers or runner_settings.workers, app.settings.decision)
    try:
        while not stop():
            try:
                runner = MailboxRunner(mailbox, password, app.factory, app.stages(), stop, write_results, lock,
                                       make_acknowledger(app.settings, mailbox.username), keeper=keeper)
                report = run_mailbox(runner, runner_settings.retry, once=args.once)
                break
            except LockLost as error:
                log.warning("%s: waiting to take it again", error)
                lock.release()
                lock = acquire_mailbox_lock(app.engine, runner_settings.lock_dir, mailbox.name, wait=True,
                                            should_stop=stop)
    except LockBusy:
        log.info("stopped while waiting for mailbox %s", mailbox.name)
    finally:
        keeper.close()
        lock.release()
    return report


def cmd_ingest(app: App, args: argparse.Namespace) -> int:
    """Messages from .eml files, folders, Maildirs and mbox files through the same ledger and pipeline."""
    stop = StopFlag()
    stop.install()
    backfill = Backfill(app.factory, app.settings, app.stages(), stop, make_acknowledger(app.settings),
                        workers=args.workers or app.settings.runner.workers)
    backfill.run(args.paths)
    log.info("ingest done: %s new, %s already known", backfill.added, backfill.known)
    with app.factory() as session:
        totals = ledger.counts_by_status(session)
    print(json.dumps(totals, sort_keys=True))
    return EXIT_OK


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
    stages = app.stages()
    for ledger_id in ids:
        outcome = process_one(app.factory, ledger_id, stages, write_results,
                              statuses=("fetched", "review", "quarantined"))
        if outcome is None:
            print(f"{ledger_id}: no such message, or already posted (duplicate/processed)", file=sys.stderr)
            continue
        log_outcome(outcome)
        print(f"{ledger_id}: {outcome.status}")
    return EXIT_OK


def cmd_registry(app: App, args: argparse.Namespace) -> int:
    """Import the customer registry (and street aliases) from CSV: all-or-nothing, idempotent."""
    records = load_registry_csv(Path(args.registry))
    aliases = load_aliases_csv(Path(args.aliases)) if args.aliases else None
    with app.factory.begin() as session:
        result = import_registry(session, records, aliases)
    alias_text = f", {result.aliases} aliases" if result.aliases is not None else ""
    print(f"registry: {result.inserted} inserted, {result.updated} updated, {result.unchanged} unchanged{alias_text}")
    return EXIT_OK


def cmd_export(app: App, args: argparse.Namespace) -> int:
    """Write posted readings for billing (CSV or JSON) to a file or stdout, and record the export."""
    since = date.fromisoformat(args.since) if args.since else None
    destination = args.out or "-"
    with app.factory.begin() as session:
        result = export_readings(session, since=since, only_new=args.new, fmt=args.format,
                                 destination=destination)
        if args.out:
            Path(args.out).write_text(result.text, encoding="utf-8")
        else:
            sys.stdout.write(result.text)
    log.info("exported %s readings to %s", result.count, destination)
    return EXIT_OK


def cmd_health(app: App, args: argparse.Namespace) -> int:
    """Exit 0 when the database answers and every mailbox had a successful pass recently, else 1."""
    limit = args.max_age or app.settings.runner.health_max_age
    with app.factory() as session:
        ages = poll_ages(session)
        counts = ledger.counts_by_status(session)
    problems = []
    for mailbox in app.settings.mailboxes:
        age = ages.get(mailbox.name)
        if age is None:
            problems.append(f"mailbox {mailbox.name}: no successful pass recorded")
        elif age > limit:
            problems.append(f"mailbox {mailbox.name}: last successful pass {age:.0f} s ago (limit {limit:.0f} s)")
    report = {"database": "ok", "last_poll_age_seconds": ages, "counts": counts, "problems": problems}
    print(json.dumps(report, sort_keys=True))
    return EXIT_FAILED if problems else EXIT_OK


def cmd_db(app: App, args: argparse.Namespace) -> int:
    """Database maintenance: ``upgrade`` (already applied by open_app)."""
    print(f"database {engine_label(app.engine)} is at the newest schema")
    return EXIT_OK


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    """The whole pipeline over files against a CSV registry, without the configured database."""
    files = [Path(p) for p in args.files]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        print(f"mailworker: no such file: {missing[0]}", file=sys.stderr)
        return EXIT_FAILED
    run_classify(files, Path(args.registry), Path(args.aliases) if args.aliases else None, settings.decision)
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
    run.add_argument("--workers", type=int, default=0,
                     help="processes for decode+extract (default: runner.workers from settings.yaml)")
    run.set_defaults(func=cmd_run)
    ingest = sub.add_parser("ingest", help="ingest .eml files, folders, Maildirs or mbox files")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--workers", type=int, default=0,
                        help="processes for decode+extract (default: runner.workers from settings.yaml)")
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
    registry = sub.add_parser("registry", help="customer registry")
    registry_sub = registry.add_subparsers(dest="registry_command", required=True)
    registry_import = registry_sub.add_parser("import", help="import REGISTRY.csv (and --aliases)")
    registry_import.add_argument("registry")
    registry_import.add_argument("--aliases")
    registry_import.set_defaults(func=cmd_registry)
    export = sub.add_parser("export", help="posted readings for billing")
    export.add_argument("--since", help="fixation dates from this ISO date on")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--out", help="file to write (default: stdout)")
    export.add_argument("--new", action="store_true", help="only readings not exported before")
    export.set_defaults(func=cmd_export)
    register_review_commands(sub, open_app)
    health = sub.add_parser("health", help="exit 0 when the database answers and polls are recent")
    health.add_argument("--max-age", type=float, help="seconds since the last pass (default runner.health_max_age)")
    health.set_defaults(func=cmd_health)
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
    try:
        if args.command == "classify":
            return cmd_classify(args, settings)
        if args.command == "run":
            settings.mailbox(args.mailbox).password()  # fail on a missing secret before connecting
        return int(args.func(open_app(settings), args))
    except KNOWN_ERRORS as error:
        prefix, status = next((p, s) for kind, p, s in ERRORS if isinstance(error, kind))
        print(f"mailworker: {prefix}{error}", file=sys.stderr)
        return status


# Expected failures: what to say before the message, and the exit status (first match wins).
ERRORS: tuple[tuple[type[Exception], str, int], ...] = (
    (ConfigError, "configuration error: ", EXIT_USAGE),
    (LockBusy, "", EXIT_LOCKED),
    (PermanentImapError, "IMAP error (not retried): ", EXIT_FAILED),
    (ImapError, "IMAP unreachable: ", EXIT_FAILED),
    (RegistryError, "", EXIT_FAILED),
    (LocalSourceError, "", EXIT_FAILED),
)
KNOWN_ERRORS = tuple(kind for kind, _, _ in ERRORS)
