# SPDX-License-Identifier: AGPL-3.0-or-later
"""``python -m bench [BENCHMARK ...] [--events N]``: run, print a summary, save it as JSON."""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    append,
    dispatch_planning,
    hostile_uploads,
    latency,
    rebuild,
    redemptions,
    relay,
    saga,
    search,
    storefront,
)
from bench.report import Figure, say, summary_table, write_json

BENCHMARKS: dict[str, Callable[[argparse.Namespace], list[Figure]]] = {
    "append": append.run,
    "rebuild": rebuild.run,
    "latency": latency.run,
    "hostile": hostile_uploads.run,
    "relay": relay.run,
    "redemptions": redemptions.run,
    "saga": saga.run,
    "search": search.run,
    "dispatch-planning": dispatch_planning.run,
    "storefront": storefront.run,
}
RESULTS = Path(".downtown/bench-results.json")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "benchmarks", nargs="*", metavar="BENCHMARK", help=f"any of {', '.join(BENCHMARKS)} (default: all)"
    )
    parser.add_argument("--events", type=int, default=200_000, help="events published for the rebuild (b)")
    parser.add_argument("--appends", type=int, default=3_000, help="single-event appends (a, d); a tenth of 100")
    parser.add_argument("--offers", type=int, default=60, help="offers listed for the latency (c)")
    parser.add_argument("--relay-events", type=int, default=50_000, help="events the relay publishes")
    parser.add_argument("--vouchers", type=int, default=2_000, help="vouchers the redemptions spread over")
    parser.add_argument("--redemptions", type=int, default=3_000, help="redemptions across them, per round")
    parser.add_argument("--hot-redemptions", type=int, default=300, help="redemptions of one hot voucher, per round")
    parser.add_argument("--orders", type=int, default=300, help="orders checked out in the saga, one line each")
    parser.add_argument("--clients", type=int, default=4, help="saga customers at once, each awaiting confirmation")
    parser.add_argument("--rate", type=float, help="instead: new saga customers a second (an open arrival rate)")
    parser.add_argument("--shops", type=int, default=3, help="shops the saga's orders are spread over")
    parser.add_argument("--floor-messages", type=int, default=300, help="bare Kafka round trips for the saga's floor")
    parser.add_argument("--search-offers", type=int, default=1_000, help="offers the search throughput runs over")
    parser.add_argument("--page-loads", type=int, default=20, help="browser loads of each storefront page")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON summary goes")
    options = parser.parse_args(argv)
    unknown = [name for name in options.benchmarks if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    selected = options.benchmarks or list(BENCHMARKS)
    figures: list[Figure] = []
    failures: dict[str, str] = {}
    started = time.perf_counter()
    for name in selected:
        say(f"=== {name} ===")
        try:
            figures += BENCHMARKS[name](options)
        except Exception as error:  # one broken benchmark must not hide the others' figures
            traceback.print_exc(file=sys.stdout)
            failures[name] = f"{type(error).__name__}: {error}"
    print()
    print(f"Summary ({time.perf_counter() - started:.0f} s; ratios are against baselines measured in this run)")
    print(summary_table(figures, failures))
    write_json(options.results, figures, failures, sys.argv)
    print(f"\nwritten to {options.results}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
