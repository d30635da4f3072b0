"""Tracing must never break the traced program: misuse and failures are logged, not raised."""

import logging
import os
import unittest
from unittest import mock

from trackly import Trackly
from tests.support import RecordingTransport, recording_client


class NeverRaisesTest(unittest.TestCase):
    def test_bad_configuration_is_logged(self):
        env = {"TRACKLY_SAMPLE_RATE": "lots", "TRACKLY_MAX_QUEUE_SIZE": "many"}
        with mock.patch.dict(os.environ, env), self.assertLogs("trackly", logging.ERROR):
            client = Trackly(host="not a url")
        with client.span("s") as s:
            s.update(output=1)
        self.assertTrue(client.shutdown(5))

    def test_configuration_comes_from_the_environment(self):
        env = {"TRACKLY_API_KEY": "tk-env", "TRACKLY_HOST": "http://h:1/", "TRACKLY_FEATURE": "f",
               "TRACKLY_ENVIRONMENT": "staging", "TRACKLY_RELEASE": "r2", "TRACKLY_SAMPLE_RATE": "0.25"}
        with mock.patch.dict(os.environ, env):
            client = Trackly(transport=RecordingTransport())
        self.assertEqual((client.api_key, client.host, client.feature, client.environment, client.release,
                          client.sample_rate), ("tk-env", "http://h:1", "f", "staging", "r2", 0.25))
        client.shutdown()

    def test_disabled_client_records_nothing(self):
        client, transport = recording_client(enabled=False)
        with client.trace("t"):
            client.span("s").end()
        self.assertTrue(client.flush(5))
        self.assertEqual(transport.requests, [])
        client.shutdown()

    def test_bad_update_values_are_logged_not_raised(self):
        client, transport = recording_client()
        with self.assertLogs("trackly", logging.WARNING):
            with client.generation("g") as g:
                g.update(usage={"input_tokens": "lots"})
                g.update(status="exploded")
                g.update(cost="free")
                g.update(prompt_version="v-two")
        self.assertTrue(client.flush(5))
        self.assertEqual(len(transport.spans()), 1)
        client.shutdown()

    def test_transport_exceptions_do_not_reach_the_caller(self):
        client, transport = recording_client(transport=RecordingTransport([RuntimeError("bug in transport")]))
        with self.assertLogs("trackly", logging.ERROR):
            client.span("s").end()
            self.assertTrue(client.flush(5))
        self.assertEqual(client.failed_spans, 1)
        client.span("next").end()
        self.assertTrue(client.flush(5))
        self.assertEqual(client.exported_spans, 1)
        client.shutdown()

    def test_context_exit_in_another_context_does_not_raise(self):
        import contextvars

        client, _ = recording_client()
        s = client.span("s")
        contextvars.copy_context().run(s.__enter__)
        s.__exit__(None, None, None)
        client.shutdown()

    def test_builtins_can_be_decorated(self):
        client, transport = recording_client()
        traced_len = client.track(len, capture_io=True)
        self.assertEqual(traced_len([1, 2]), 2)
        self.assertTrue(client.flush(5))
        self.assertEqual(transport.spans()[0]["attrs"]["langfuse.observation.output"], "2")
        client.shutdown()


if __name__ == "__main__":
    unittest.main()
