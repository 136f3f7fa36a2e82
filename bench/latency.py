"""Arrival-to-posted latency: messages APPENDed one by one while `mailworker run` idles (IMAP IDLE).

Usage: python bench/latency.py [--count 20] [--gap 0.5] [--workers 1]

The messages come from customers of the benchmark registry (``bench/customers.py``),
which is imported first, so most of them are matched and posted. Prints the
median and maximum seconds from APPEND to the message's final ledger status
(posted, or in review for the few that need a person), polled in the database,
and how many were posted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.customers import ALIASES_CSV, customer_mails, customers, registry_csv  # noqa: E402
from mailworker.db.models import Message  # noqa: E402
from mailworker.db.session import make_engine, session_factory, upgrade  # noqa: E402
from tests.dovecot import DovecotServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.5, help="seconds between two arrivals")
    parser.add_argument("--workers", type=int, default=1, help="runner.workers of the daemon")
    args = parser.parse_args()
    people = customers(2000)
    with tempfile.TemporaryDirectory(prefix="mwlat-") as tmp, DovecotServer() as server:
        url = f"sqlite:///{Path(tmp) / 'lat.db'}"
        config = Path(tmp) / "settings.yaml"
        config.write_text(f"database: {{url: '{url}'}}\nrunner: {{lock_dir: '{tmp}', workers: {args.workers}}}\n"
                          f"logging: {{level: WARNING}}\n"
                          f"mailboxes:\n  - {{name: lat, host: {server.host}, port: {server.port}, security: plain,"
                          f" username: {server.user}}}\n")
        env = {**os.environ, "MAILWORKER_IMAP_PASSWORD": server.password, "MAILWORKER_CONFIG": str(config)}
        engine = make_engine(url)
        upgrade(engine)
        factory = session_factory(engine)
        (Path(tmp) / "registry.csv").write_text(registry_csv(people), encoding="utf-8")
        (Path(tmp) / "aliases.csv").write_text(ALIASES_CSV, encoding="utf-8")
        subprocess.run([sys.executable, str(ROOT / "worker.py"), "registry", "import", str(Path(tmp) / "registry.csv"),
                        "--aliases", str(Path(tmp) / "aliases.csv")], env=env, check=True, capture_output=True)
        daemon = subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "run"], env=env)
        latencies: list[float] = []
        try:
            time.sleep(3.0)
            for raw in customer_mails(args.count, people, seed=7):
                appended = time.monotonic()
                server.append(raw)
                latencies.append(wait_stored(factory, len(latencies) + 1) - appended)
                time.sleep(args.gap)
        finally:
            daemon.terminate()
            daemon.wait(30)
            with factory() as session:
                posted = len(list(session.scalars(select(Message.id).where(Message.status == "processed"))))
    print(f"arrival-to-final over {len(latencies)} messages (IDLE, workers={args.workers}): median "
          f"{statistics.median(latencies):.2f} s, max {max(latencies):.2f} s; {posted} of them posted")


def wait_stored(factory: object, expected: int, timeout: float = 30.0) -> float:
    """Poll until ``expected`` messages have a final status; returns the monotonic time it happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with factory() as session:  # type: ignore[operator]
            done = len(list(session.scalars(select(Message.id).where(Message.status.in_(("processed", "review"))))))
        if done >= expected:
            return time.monotonic()
        time.sleep(0.02)
    raise SystemExit(f"message {expected} not stored within {timeout} s")


if __name__ == "__main__":
    main()
