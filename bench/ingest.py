"""Ingestion benchmark: a private Dovecot with N realistic messages, bare fetch vs `mailworker run --once`.

Usage (from the repository root, after `pip install -e '.[test]'`):

    python bench/ingest.py [--count 10000] [--database sqlite|postgresql] [--batch 200] [--workers 2]
                           [--stages all|decode]

The mailbox holds e-mails from the customers of a generated registry
(``bench/customers.py``), which is imported before the timed pass, so most
readings are matched, checked and posted and the rest become review items.
Prints msg/s for (a) a bare imapclient batched fetch of the whole mailbox and
(b) the worker's pass (fetch, ledger, raw bytes and the pipeline), their
ratio, the worker's peak RSS (its worker processes' too) and where the
messages ended.  ``--stages decode`` runs the same pass with the decode stage
only (ingest + decode + store, before extraction: ``bench/decode_only.py``).
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

from bench.customers import ALIASES_CSV, customer_mails, customers, registry_csv  # noqa: E402
from tests.dovecot import DovecotServer  # noqa: E402


def bare_fetch(server: DovecotServer, batch: int) -> tuple[int, float]:
    """Fetch every message with BODY.PEEK[] in batches; returns (count, seconds)."""
    started = time.perf_counter()
    count = 0
    with server.session() as client:
        client._imap.debug = 0  # as the worker does: imaplib's trace formatting would halve the rate
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


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle or waiting for I/O), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def speed_probe() -> float:
    """Seconds a fixed pure-Python loop takes here and now: this machine's speed drifts by more than half
    from hour to hour, so rates are only comparable between runs with a similar probe."""
    started = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number
    return time.perf_counter() - started


def drop_database(name: str | None) -> None:
    if name is None:
        return
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def worker_pass(server: DovecotServer, url: str, workdir: Path, args: argparse.Namespace
                ) -> tuple[float, float, int, int, str]:
    """Run `worker.py run --once`; returns (seconds, peak RSS of the worker and of its children in KiB, stats)."""
    config = workdir / "settings.yaml"
    config.write_text(
        f"database: {{url: '{url}'}}\nrunner: {{lock_dir: '{workdir / 'locks'}', workers: {args.workers}}}\n"
        f"logging: {{level: WARNING}}\n"
        f"mailboxes:\n  - {{name: bench, host: {server.host}, port: {server.port}, security: plain,\n"
        f"     username: {server.user}, batch_size: {args.batch}}}\n")
    env = {**os.environ, "MAILWORKER_IMAP_PASSWORD": server.password, "MAILWORKER_CONFIG": str(config)}
    worker = [sys.executable, str(ROOT / "worker.py")]
    # Migrations and the registry import first, so the timed pass measures ingestion only.
    subprocess.run([*worker, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*worker, "registry", "import", str(workdir / "registry.csv"), "--aliases",
                    str(workdir / "aliases.csv")], env=env, check=True, capture_output=True)
    command = [*worker, "run", "--once"] if args.stages == "all" else [
        sys.executable, str(ROOT / "bench" / "decode_only.py")]
    if args.profile:  # py-spy (pip install py-spy) samples the pass and its pool workers
        flags = os.environ.get("PYSPY_FLAGS", "--subprocesses").split()  # "--gil": the GIL holder only
        command = ["py-spy", "record", *flags, "--rate", "500", "--format", "raw", "-o", args.profile, "--", *command]
    busy_before = machine_busy_seconds()
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    busy = machine_busy_seconds() - busy_before
    err = proc.stderr.read() if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"worker failed ({status}): {err[-2000:]}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    stats = subprocess.run([*worker, "stats", "--json"], env=env, check=True, capture_output=True, text=True)
    return elapsed, busy, usage.ru_maxrss, children, stats.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="runner.workers for the pass (1 = one process)")
    parser.add_argument("--stages", choices=("all", "decode"), default="all")
    parser.add_argument("--profile", metavar="FILE", help="record the pass with py-spy into FILE (collapsed stacks)")
    args = parser.parse_args()
    probe = speed_probe()
    people = customers(5000)
    with tempfile.TemporaryDirectory(prefix="mwbench-") as tmp, DovecotServer() as server:
        workdir = Path(tmp)
        (workdir / "registry.csv").write_text(registry_csv(people), encoding="utf-8")
        (workdir / "aliases.csv").write_text(ALIASES_CSV, encoding="utf-8")
        started = time.perf_counter()
        server.append_many(customer_mails(args.count, people))
        fill = time.perf_counter() - started
        count, bare_seconds = bare_fetch(server, args.batch)
        url, dbname = database_url(args.database, workdir)
        try:
            seconds, busy, rss_kib, children_kib, stats = worker_pass(server, url, workdir, args)
        finally:
            drop_database(dbname)
    size = sum(len(m) for m in customer_mails(args.count, people))
    bare_rate, worker_rate = count / bare_seconds, args.count / seconds
    label = "mailworker run --once" if args.stages == "all" else "decode-only pass"
    print(f"mailbox: {args.count} messages, {size / 1e6:.1f} MB, filled in {fill:.1f} s")
    print(f"bare imapclient fetch: {bare_rate:,.0f} msg/s ({bare_seconds:.2f} s)")
    processes = f"workers={args.workers}" if args.stages == "all" else "one process"
    print(f"{label} ({args.database}, {processes}): {worker_rate:,.0f} msg/s ({seconds:.2f} s)")
    print(f"machine CPU busy during the pass: {busy:.1f} s of {seconds * (os.cpu_count() or 1):.1f} s "
          "(all processes: worker, pool, Dovecot, database)")
    print(f"ratio worker/bare: {worker_rate / bare_rate:.2f}")
    print(f"worker peak RSS: {rss_kib / 1024:.0f} MB (largest process of the run, pool workers included: "
          f"{children_kib / 1024:.0f} MB)")
    print(f"ledger: {stats}")
    print(f"speed probe (5M-step Python loop, lower is faster): {probe:.2f} s before the run, "
          f"{speed_probe():.2f} s after")
    print(f"bench host: {os.cpu_count()} cores, python {sys.version.split()[0]}, "
          f"self RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
