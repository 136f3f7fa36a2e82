"""Ingestion benchmark: a private Dovecot with N realistic messages, bare fetch vs `mailworker run --once`.

Usage (from the repository root, after `pip install -e '.[test]'`):

    python bench/ingest.py [--count 10000] [--database sqlite|postgresql] [--batch 200]

Prints msg/s for (a) a bare imapclient batched fetch of the whole mailbox and
(b) the worker's full pass (fetch, ledger, raw bytes, decode and the other
configured stages, one transaction per message), their ratio, and the
worker's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mails import mails  # noqa: E402
from tests.dovecot import DovecotServer  # noqa: E402


def bare_fetch(server: DovecotServer, batch: int) -> tuple[int, float]:
    """Fetch every message with BODY.PEEK[] in batches; returns (count, seconds)."""
    started = time.perf_counter()
    count = 0
    with server.session() as client:
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        for start in range(0, len(uids), batch):
            chunk = uids[start:start + batch]
            count += len(client.fetch(chunk, [b"BODY.PEEK[]", b"RFC822.SIZE", b"INTERNALDATE"]))
    return count, time.perf_counter() - started


def database_url(kind: str, workdir: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", None
    import psycopg

    name = f"mw_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name


def drop_database(name: str | None) -> None:
    if name is None:
        return
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def worker_pass(server: DovecotServer, url: str, workdir: Path, batch: int) -> tuple[float, int, str]:
    """Run `worker.py run --once`; returns (seconds, peak RSS in KiB, last stderr line)."""
    config = workdir / "settings.yaml"
    config.write_text(
        f"database: {{url: '{url}'}}\nrunner: {{lock_dir: '{workdir / 'locks'}'}}\nlogging: {{level: WARNING}}\n"
        f"mailboxes:\n  - {{name: bench, host: {server.host}, port: {server.port}, security: plain,\n"
        f"     username: {server.user}, batch_size: {batch}}}\n")
    env = {**os.environ, "MAILWORKER_IMAP_PASSWORD": server.password, "MAILWORKER_CONFIG": str(config)}
    # Apply migrations first so the timed pass measures ingestion only.
    subprocess.run([sys.executable, str(ROOT / "worker.py"), "db", "upgrade"], env=env, check=True,
                   capture_output=True)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "run", "--once"], env=env,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    err = proc.stderr.read() if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"worker failed ({status}): {err[-2000:]}")
    return elapsed, usage.ru_maxrss, (err.strip().splitlines() or [""])[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mwbench-") as tmp, DovecotServer() as server:
        workdir = Path(tmp)
        started = time.perf_counter()
        server.append_many(mails(args.count))
        fill = time.perf_counter() - started
        count, bare_seconds = bare_fetch(server, args.batch)
        url, dbname = database_url(args.database, workdir)
        try:
            seconds, rss_kib, _ = worker_pass(server, url, workdir, args.batch)
        finally:
            drop_database(dbname)
    size = sum(len(m) for m in mails(args.count))
    bare_rate, worker_rate = count / bare_seconds, args.count / seconds
    print(f"mailbox: {args.count} messages, {size / 1e6:.1f} MB, filled in {fill:.1f} s")
    print(f"bare imapclient fetch: {bare_rate:,.0f} msg/s ({bare_seconds:.2f} s)")
    print(f"mailworker run --once ({args.database}): {worker_rate:,.0f} msg/s ({seconds:.2f} s)")
    print(f"ratio worker/bare: {worker_rate / bare_rate:.2f}")
    print(f"worker peak RSS: {rss_kib / 1024:.0f} MB")
    print(f"bench host: {os.cpu_count()} cores, python {sys.version.split()[0]}, "
          f"self RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
