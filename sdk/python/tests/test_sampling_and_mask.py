import json
import logging
import unittest

from trackly import SpanContext
from tests.support import by_name, recording_client


class SamplingTest(unittest.TestCase):
    def run_traces(self, rate, n=400):
        client, transport = recording_client(sample_rate=rate)
        for i in range(n):
            with client.trace(f"t{i}"):
                with client.span("child"):
                    pass
        self.assertTrue(client.flush(10))
        client.shutdown()
        return transport.spans()

    def test_zero_means_none(self):
        self.assertEqual(self.run_traces(0.0), [])

    def test_one_means_all(self):
        self.assertEqual(len(self.run_traces(1.0, n=50)), 100)

    def test_half_keeps_whole_traces(self):
        spans = self.run_traces(0.5)
        roots = [s for s in spans if s["name"] != "child"]
        self.assertTrue(100 < len(roots) < 300, len(roots))
        kept = {s["traceId"] for s in roots}
        children = {s["traceId"] for s in spans if s["name"] == "child"}
        self.assertEqual(kept, children)

    def test_decision_follows_the_trace_id_and_the_remote_parent(self):
        client, transport = recording_client(sample_rate=0.5)
        low = SpanContext(trace_id=(7 << 64) | 1, span_id=1, sampled=True, remote=True)
        self.assertTrue(client._sample(low.trace_id))
        self.assertFalse(client._sample((1 << 64) - 1))
        with client.span("remote-unsampled", parent=SpanContext(5, 6, sampled=False, remote=True)):
            pass
        with client.span("remote-sampled", parent=SpanContext((1 << 64) - 1, 6, sampled=True, remote=True)):
            pass
        self.assertTrue(client.flush(10))
        client.shutdown()
        self.assertEqual([s["name"] for s in transport.spans()], ["remote-sampled"])

    def test_invalid_rate_is_logged_and_means_all(self):
        with self.assertLogs("trackly", logging.ERROR):
            client, _ = recording_client(sample_rate=1.5)
        self.assertEqual(client.sample_rate, 1.0)
        client.shutdown()


class MaskTest(unittest.TestCase):
    def test_mask_sees_input_output_and_metadata_before_export(self):
        seen = []

        def mask(value):
            seen.append(value)
            return json.loads(json.dumps(value).replace("secret", "***"))

        client, transport = recording_client(mask=mask)
        with client.span("s", input={"pw": "secret"}, metadata={"k": "secret"}) as s:
            s.update(output="secret answer")
        self.assertTrue(client.flush(10))
        client.shutdown()
        a = by_name(transport.spans())["s"]["attrs"]
        self.assertEqual(json.loads(a["langfuse.observation.input"]), {"pw": "***"})
        self.assertEqual(json.loads(a["langfuse.observation.output"]), "*** answer")
        self.assertEqual(a["trackly.metadata.k"], "***")
        self.assertEqual(len(seen), 3)

    def test_a_failing_mask_exports_a_placeholder_not_the_value(self):
        def mask(value):
            raise RuntimeError("mask bug")

        client, transport = recording_client(mask=mask)
        with self.assertLogs("trackly", logging.ERROR):
            with client.span("s", input="secret"):
                pass
            self.assertTrue(client.flush(10))
        client.shutdown()
        a = by_name(transport.spans())["s"]["attrs"]
        self.assertEqual(json.loads(a["langfuse.observation.input"]), "<mask failed>")

    def test_exception_messages_pass_the_mask(self):
        client, transport = recording_client(mask=lambda v: "***" if isinstance(v, str) else v)
        with self.assertRaises(ValueError):
            with client.span("s"):
                raise ValueError("token=secret")
        self.assertTrue(client.flush(10))
        client.shutdown()
        (event,) = by_name(transport.spans())["s"]["events"]
        self.assertEqual(event["attrs"]["exception.message"], "***")

    def test_oversized_field_is_cut(self):
        client, transport = recording_client(max_field_bytes=1000)
        with client.span("s", input="x" * 5000):
            pass
        self.assertTrue(client.flush(10))
        client.shutdown()
        text = by_name(transport.spans())["s"]["attrs"]["langfuse.observation.input"]
        self.assertLess(len(text), 1100)
        self.assertIn("truncated", text)


if __name__ == "__main__":
    unittest.main()
