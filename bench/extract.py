"""Decode + extract speed over a corpus of .eml files: prints median, p90 and max ms per e-mail.

Usage: python bench/extract.py [../shared/corpus/dev/emails] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailworker.pipeline import Context, DecodeStage  # noqa: E402
from mailworker.stages.extract import ExtractStage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "dev" / "emails"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    raws = [p.read_bytes() for p in sorted(Path(args.folder).glob("*.eml"))]
    decode, extract = DecodeStage(), ExtractStage()
    for raw in raws:  # warm-up: regex compilation, lazy imports
        context = Context(raw=raw)
        decode(context)
        extract(context)
    timings: list[float] = []
    for _ in range(args.repeat):
        for raw in raws:
            started = time.perf_counter()
            context = Context(raw=raw)
            decode(context)
            extract(context)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(f"decode+extract over {len(raws)} e-mails x {args.repeat}: median {statistics.median(timings):.2f} ms, "
          f"p90 {timings[int(len(timings) * 0.9)]:.2f} ms, max {timings[-1]:.2f} ms")


if __name__ == "__main__":
    main()
