"""Decode-stage timing: median and p90 ms per message, stdlib path against ``decode_message``.

    python -m bench.decode [--count 2000] [--corpus ../shared/corpus/dev/emails]

Each message is decoded ``--repeat`` times per path and its best time counts (the machine's
other work only ever adds time); the share of messages that took the fast path is printed too.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.mails import mails
from mailworker.mime import DecodedMessage, decode_message, decode_message_stdlib
from mailworker.mime_fast import decode_fast

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev" / "emails"


def _timings(decode: Callable[[bytes], DecodedMessage], raws: Sequence[bytes], repeat: int) -> list[float]:
    """Per message, the best of ``repeat`` timed decodes (other processes only ever add time), sorted."""
    best = [float("inf")] * len(raws)
    for _ in range(repeat):
        for index, raw in enumerate(raws):
            started = time.perf_counter()
            decode(raw)
            best[index] = min(best[index], (time.perf_counter() - started) * 1000)
    return sorted(best)


def _line(label: str, timings: list[float]) -> str:
    p90 = timings[int(0.9 * (len(timings) - 1))]
    median, mean = statistics.median(timings), statistics.fmean(timings)
    return f"  {label:8} median {median:.3f} ms  p90 {p90:.3f} ms  mean {mean:.3f} ms"


def report(name: str, raws: Sequence[bytes], repeat: int) -> None:
    """Print both paths' timings over ``raws`` and the fast-path share."""
    fast = sum(decode_fast(raw) is not None for raw in raws)
    print(f"{name}: {len(raws)} messages, fast path {fast} ({100 * fast / max(len(raws), 1):.1f}%)")
    print(_line("stdlib", _timings(decode_message_stdlib, raws, repeat)))
    print(_line("new", _timings(decode_message, raws, repeat)))


def main(argv: Sequence[str] | None = None) -> None:
    """Benchmark the synthetic mails and, when present, the dev corpus."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5, help="timed decodes per message; the best counts")
    args = parser.parse_args(argv)
    report(f"bench.mails({args.count})", list(mails(args.count)), args.repeat)
    if args.corpus.is_dir():
        report(str(args.corpus), [path.read_bytes() for path in sorted(args.corpus.glob("*.eml"))], args.repeat)


if __name__ == "__main__":
    main()
