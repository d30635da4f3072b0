"""Median cost of one span start + end with 5 attributes, on the calling thread.

    python3 sdk/python/bench/span_bench.py [--spans N]

Exporting is real (encoding and gzip on the background thread) but the transport discards the
requests, so only the SDK is measured.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from trackly import Trackly  # noqa: E402
from trackly._exporter import Reply  # noqa: E402


class DiscardTransport:
    def post(self, body, headers):
        return Reply(200, {}, b"{}")

    def close(self):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=200_000)
    args = parser.parse_args()
    client = Trackly(api_key="tk-bench", transport=DiscardTransport(), max_queue_size=args.spans)
    metadata = {"user_tier": "pro", "documents": 3, "score": 0.87, "cached": False, "region": "eu-west-1"}
    samples = []
    clock = time.perf_counter_ns
    for _ in range(args.spans):
        t0 = clock()
        with client.span("retrieve_context", metadata=metadata):
            pass
        samples.append(clock() - t0)
    client.shutdown(60)
    samples.sort()
    print(f"span start+end, 5 attributes: median {statistics.median(samples) / 1000:.2f} µs, "
          f"p90 {samples[len(samples) * 9 // 10] / 1000:.2f} µs, p99 {samples[len(samples) * 99 // 100] / 1000:.2f} µs "
          f"({args.spans} spans, exported {client.exported_spans}, dropped {client.dropped_spans}, "
          f"Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
