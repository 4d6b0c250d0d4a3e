"""Fuzz every parser of store/chain content and print the counts: cases, valid, refused, other.

    .venv/bin/python scripts/fuzz_parsers.py [--cases N]   (N per parser, default 500)

A case is "valid" (parsed and re-checked), "refused" (a FedlendError with a reason) or "other"
(any other exception: a bug). Crashes are checked by running deep nesting in a child process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.hostile import PARSERS, Parser, judge
from tests.storage.test_hostile_parsers import DEEP


def fuzz(parser: Parser, cases: int) -> Counter[str]:
    """Run `cases` Hypothesis examples through one parser and count the outcomes."""
    counts: Counter[str] = Counter()

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(parser.inputs)
        try:
            counts[judge(parser, case)] += 1
        except Exception as exc:  # the thing being counted: a parser bug
            counts["other"] += 1
            counts[f"other: {type(exc).__name__}"] += 1

    run()
    return counts


def crashes() -> int:
    """1 if the deep-nesting child process died (segfault), else 0."""
    child = subprocess.run([sys.executable, "-c", DEEP], capture_output=True, timeout=300)
    return int(child.returncode != 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500, help="cases per parser (max 5000)")
    cases = min(max(1, parser.parse_args().cases), 5000)
    total: Counter[str] = Counter()
    started = time.monotonic()
    print(f"{'parser':<16}{'cases':>8}{'valid':>8}{'refused':>9}{'other':>7}")
    for item in PARSERS:
        counts = fuzz(item, cases)
        total.update(counts)
        tried = counts["valid"] + counts["refused"] + counts["other"]
        print(
            f"{item.name:<16}{tried:>8}{counts['valid']:>8}{counts['refused']:>9}"
            f"{counts['other']:>7}"
        )
        for key in sorted(k for k in counts if k.startswith("other: ")):
            print(f"    {key}: {counts[key]}")
    tried = total["valid"] + total["refused"] + total["other"]
    print(
        f"total: {tried} cases, {total['valid']} valid, {total['refused']} refused with a reason, "
        f"{total['other']} other exceptions, {crashes()} crashes "
        f"({time.monotonic() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
