import unittest

from trackly import SpanContext
from trackly._propagation import extract, format_traceparent, parse_traceparent
from tests.support import by_name, recording_client

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class PropagationTest(unittest.TestCase):
    def test_parses_valid_and_rejects_invalid_traceparents(self):
        ctx = parse_traceparent(VALID)
        self.assertEqual(ctx, SpanContext(0x4bf92f3577b34da6a3ce929d0e0e4736, 0x00f067aa0ba902b7, True, True))
        self.assertFalse(parse_traceparent(VALID[:-1] + "0").sampled)
        for bad in ("", "garbage", VALID.replace("00-", "ff-", 1), "00-" + "0" * 32 + "-00f067aa0ba902b7-01",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01", VALID + "-extra", None, 42):
            with self.subTest(bad=bad):
                self.assertIsNone(parse_traceparent(bad))
        self.assertIsNotNone(parse_traceparent("01" + VALID[2:] + "-future"))

    def test_extract_matches_the_header_name_case_insensitively(self):
        self.assertEqual(extract({"Traceparent": VALID}), parse_traceparent(VALID))
        self.assertEqual(extract({"traceparent": [VALID]}), parse_traceparent(VALID))
        self.assertIsNone(extract({}))
        self.assertIsNone(extract(None))

    def test_inject_then_extract_continues_the_trace(self):
        client, transport = recording_client()
        with client.trace("caller") as caller:
            headers = client.inject({"x": "y"})
        self.assertEqual(headers["traceparent"], format_traceparent(caller.span_context))
        with client.trace("worker", parent=client.extract(headers)):
            pass
        self.assertEqual(client.inject(), {})
        self.assertTrue(client.flush(10))
        client.shutdown()
        spans = by_name(transport.spans())
        self.assertEqual(spans["worker"]["traceId"], spans["caller"]["traceId"])
        self.assertEqual(spans["worker"]["parentSpanId"], spans["caller"]["spanId"])


if __name__ == "__main__":
    unittest.main()
