"""Longest pause of the calling thread while 100,000 spans are exported.

    python3 sdk/python/bench/export_pause_bench.py [--spans N] [--url URL]

The calling thread creates spans (5 attributes each) in a loop and records how long each iteration
took; the background exporter meanwhile encodes, gzips and POSTs them. Without --url the requests go
to a discarding HTTP server in a child process (so the server does not compete for this process's
GIL). A pause is an iteration far slower than the median: the exporter (or the garbage collector)
held the interpreter, or the OS scheduler ran something else.

Two baselines come first: the SDK while its exporter sleeps (all spans stay queued), then the same
loop without the SDK, each iteration spinning for the median span time (pauses there are the OS
scheduler's alone). Each phase starts after a full garbage collection, so one that the previous
phase made due does not land in the next.
"""

import argparse
import gc
import http.server
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from trackly import Trackly  # noqa: E402


def serve_discarding():
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The reply's headers and body are two writes; with Nagle's algorithm the body waits for the
        # client's delayed ACK (40 ms), which would leave the exporter idle most of the run.
        disable_nagle_algorithm = True

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--url", help="Trackly host to export to (default: a discarding stub)")
    parser.add_argument("--key", default="tk-bench")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve_discarding()
    stub = None
    url = args.url
    if url is None:
        stub = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
        url = f"http://127.0.0.1:{stub.stdout.readline().strip()}"
    # The exporter thread sleeps: one batch is larger than the run.
    idle = Trackly(api_key=args.key, host=url, max_queue_size=args.spans + 1, max_batch_size=args.spans + 2,
                   flush_interval=3600)
    gc.collect()
    baseline, _ = produce(idle, args.spans)
    idle.shutdown(300)  # exports its queue now, not during the next phase
    gc.collect()
    without_sdk = spin(args.spans, sorted(baseline)[len(baseline) // 2])
    client = Trackly(api_key=args.key, host=url, max_queue_size=args.spans + 1)
    gc.collect()
    start = time.perf_counter_ns()
    iterations, produce_s = produce(client, args.spans)
    flushed = client.flush(300)
    total_s = (time.perf_counter_ns() - start) / 1e9
    client.shutdown(60)
    if stub is not None:
        stub.terminate()
        stub.wait()
    print(f"baseline (exporter idle): {summary(baseline)}")
    print(f"baseline (no SDK, spinning): {summary(without_sdk)}")
    print(f"exporting: {summary(iterations)}; produced in {produce_s:.2f} s, all exported after {total_s:.2f} s "
          f"(flushed={flushed}); exported {client.exported_spans}, dropped {client.dropped_spans}, "
          f"failed {client.failed_spans}")


def produce(client, n):
    metadata = {"user_tier": "pro", "documents": 3, "score": 0.87, "cached": False, "region": "eu-west-1"}
    clock = time.perf_counter_ns
    iterations = []
    start = clock()
    with client.trace("bench"):
        for _ in range(n):
            t0 = clock()
            with client.span("step", metadata=metadata):
                pass
            iterations.append(clock() - t0)
    return iterations, (clock() - start) / 1e9


def spin(n, iteration_ns):
    """The timing loop of `produce` without the SDK: each iteration busy for iteration_ns."""
    clock = time.perf_counter_ns
    iterations = []
    for _ in range(n):
        t0 = clock()
        while clock() - t0 < iteration_ns:
            pass
        iterations.append(clock() - t0)
    return iterations


def summary(iterations):
    s = sorted(iterations)
    return (f"{len(s)} iterations, median {s[len(s) // 2] / 1000:.2f} µs, p99.9 {s[len(s) * 999 // 1000] / 1000:.1f} µs, "
            f"max pause {s[-1] / 1e6:.2f} ms, {sum(1 for x in s if x > 1_000_000)} over 1 ms")

if __name__ == "__main__":
    main()
