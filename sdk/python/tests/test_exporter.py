"""The exporter against a local HTTP server stub: encoding, retries, backoff, queue bounds."""

import email.utils
import gc
import http.server
import logging
import threading
import time
import unittest

from trackly import Trackly
from trackly._exporter import retry_after_s
from tests.support import decode_request


class StubServer:
    """Answers each POST with the next scripted (status, headers, body); 200 {} when none are left."""

    def __init__(self, script=()):
        self.script = list(script)
        self.requests = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stub.requests.append((self.path, dict(self.headers), body))
                status, headers, reply = stub.script.pop(0) if stub.script else (200, {}, b"{}")
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class ExporterTest(unittest.TestCase):
    def make(self, script=(), **kwargs):
        self.server = StubServer(script)
        self.addCleanup(self.server.stop)
        self.waits = []
        kwargs.setdefault("retry_wait", lambda s: self.waits.append(s) or False)
        client = Trackly(api_key="tk-abc-def", host=self.server.url, **kwargs)
        self.addCleanup(client.shutdown)
        return client

    def spans(self):
        out = []
        for _, headers, body in self.server.requests:
            out.extend(decode_request(body, headers.get("Content-Encoding") == "gzip"))
        return out

    def test_posts_gzipped_otlp_json_with_the_key(self):
        client = self.make()
        with client.span("s", metadata={"n": 1}):
            pass
        self.assertTrue(client.flush(10))
        path, headers, _ = self.server.requests[0]
        self.assertEqual(path, "/v1/traces")
        self.assertEqual(headers["Authorization"], "Bearer tk-abc-def")
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(headers["Content-Encoding"], "gzip")
        (span,) = self.spans()
        self.assertEqual(span["attrs"]["trackly.metadata.n"], 1)
        self.assertEqual(client.exported_spans, 1)

    def test_uncompressed_when_gzip_is_off(self):
        client = self.make(gzip=False)
        client.span("s").end()
        self.assertTrue(client.flush(10))
        self.assertNotIn("Content-Encoding", self.server.requests[0][1])
        self.assertEqual(len(self.spans()), 1)

    def test_retries_503_after_the_retry_after_delay(self):
        client = self.make([(503, {"Retry-After": "7"}, b"{}"), (429, {"Retry-After": "2"}, b"{}")])
        client.span("s").end()
        self.assertTrue(client.flush(10))
        self.assertEqual(self.waits, [7.0, 2.0])
        self.assertEqual(len(self.server.requests), 3)
        self.assertEqual(client.exported_spans, 1)
        self.assertEqual(client.failed_spans, 0)

    def test_backoff_doubles_is_capped_and_gives_up(self):
        client = self.make([(500, {}, b"oops")] * 4, max_retries=3)
        client.span("s").end()
        with self.assertLogs("trackly", logging.ERROR) as logs:
            self.assertTrue(client.flush(10))
        self.assertEqual(len(self.server.requests), 4)
        self.assertEqual(len(self.waits), 3)
        for i, w in enumerate(self.waits):
            self.assertTrue(0.25 * 2**i <= w <= 0.5 * 2**i, self.waits)
        self.assertEqual(client.failed_spans, 1)
        self.assertIn("giving up", logs.output[0])

    def test_retry_after_is_capped_by_max_backoff(self):
        client = self.make([(503, {"Retry-After": "3600"}, b"")])
        client.span("s").end()
        self.assertTrue(client.flush(10))
        self.assertEqual(self.waits, [30.0])

    def test_400_is_not_retried(self):
        client = self.make([(400, {}, b'{"code":3,"message":"bad"}')])
        client.span("s").end()
        with self.assertLogs("trackly", logging.ERROR) as logs:
            self.assertTrue(client.flush(10))
        self.assertEqual(len(self.server.requests), 1)
        self.assertEqual(self.waits, [])
        self.assertEqual(client.failed_spans, 1)
        self.assertIn("HTTP 400", logs.output[0])

    def test_partial_success_is_logged(self):
        client = self.make([(200, {}, b'{"partialSuccess":{"rejectedSpans":1,"errorMessage":"zero span id"}}')])
        client.span("s").end()
        with self.assertLogs("trackly", logging.WARNING) as logs:
            self.assertTrue(client.flush(10))
        self.assertIn("zero span id", logs.output[0])

    def test_unreachable_server_is_retried_then_given_up_without_raising(self):
        client = Trackly(host="http://127.0.0.1:9", max_retries=2, retry_wait=lambda s: False)
        self.addCleanup(client.shutdown)
        client.span("s").end()
        with self.assertLogs("trackly", logging.ERROR):
            self.assertTrue(client.flush(10))
        self.assertEqual(client.failed_spans, 1)

    def test_full_queue_drops_and_counts_without_blocking(self):
        client = self.make(max_queue_size=5, max_batch_size=100, flush_interval=3600)
        with self.assertLogs("trackly", logging.WARNING):
            for i in range(12):
                client.span(f"s{i}").end()
        self.assertEqual(client.dropped_spans, 7)
        self.assertTrue(client.flush(10))
        self.assertEqual([s["name"] for s in self.spans()], [f"s{i}" for i in range(5)])

    def test_batches_are_split_at_max_batch_size(self):
        client = self.make(max_batch_size=100, flush_interval=3600)
        for i in range(250):
            client.span("s").end()
        self.assertTrue(client.flush(10))
        self.assertEqual(sorted(len(decode_request(b)) for _, _, b in self.server.requests), [50, 100, 100])

    def test_queued_spans_are_not_tracked_by_the_garbage_collector(self):
        # Every full collection would walk each tracked span in a queue of up to 100,000 of them.
        client = self.make(flush_interval=3600)
        with client.span("s", metadata={"n": 1, "tier": "pro"}, user_id="u", status="ok"):
            pass
        gc.collect()
        (queued,) = client._exporter._queue
        self.assertFalse(gc.is_tracked(queued))
        self.assertTrue(client.flush(10))
        (span,) = self.spans()
        self.assertEqual(span["attrs"]["trackly.metadata.tier"], "pro")
        self.assertEqual(span["attrs"]["trackly.user.id"], "u")
        self.assertEqual(span["attrs"]["trackly.status"], "ok")

    def test_shutdown_exports_what_is_queued_and_drops_later_spans(self):
        client = self.make(flush_interval=3600)
        client.span("before").end()
        self.assertTrue(client.shutdown(10))
        with self.assertLogs("trackly", logging.WARNING):
            client.span("after").end()
        self.assertEqual([s["name"] for s in self.spans()], ["before"])
        self.assertEqual(client.dropped_spans, 1)

    def test_retry_after_parsing(self):
        now = time.time()
        date = email.utils.formatdate(now + 20, usegmt=True)
        self.assertEqual(retry_after_s("5", now), 5.0)
        self.assertTrue(18 <= retry_after_s(date, now) <= 21)
        self.assertEqual(retry_after_s("-3", now), 0.0)
        self.assertIsNone(retry_after_s("soon", now))
        self.assertIsNone(retry_after_s(None, now))


if __name__ == "__main__":
    unittest.main()
