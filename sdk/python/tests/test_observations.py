import json
import unittest

from tests.support import by_name, recording_client


class ObservationTest(unittest.TestCase):
    def setUp(self):
        self.client, self.transport = recording_client(feature="research-agent", environment="production",
                                                       release="v1.2")

    def tearDown(self):
        self.client.shutdown()

    def export(self):
        self.assertTrue(self.client.flush(10))
        return by_name(self.transport.spans())

    def test_nests_spans_under_the_trace_and_sets_trace_fields(self):
        with self.client.trace("run", user_id="user_123", session_id="s1", tags=["a", "b"],
                               metadata={"channel": "web"}) as root:
            with self.client.span("retrieve_context", metadata={"source": "kb"}):
                pass
            with self.client.step("draft_answer"):
                with self.client.generation("llm", model="gpt-4o"):
                    pass
        spans = self.export()
        run = spans["run"]
        self.assertNotIn("parentSpanId", run)
        self.assertEqual(run["traceId"], root.trace_id_hex)
        self.assertEqual(run["attrs"]["langfuse.trace.name"], "run")
        self.assertEqual(run["attrs"]["trackly.user.id"], "user_123")
        self.assertEqual(run["attrs"]["trackly.session.id"], "s1")
        self.assertEqual(run["attrs"]["trackly.tags"], ["a", "b"])
        self.assertEqual(run["attrs"]["trackly.metadata.channel"], "web")
        self.assertEqual(json.loads(run["attrs"]["langfuse.trace.metadata"]), {"channel": "web"})
        self.assertEqual(spans["retrieve_context"]["parentSpanId"], run["spanId"])
        self.assertEqual(spans["draft_answer"]["attrs"]["trackly.observation.type"], "chain")
        self.assertEqual(spans["llm"]["parentSpanId"], spans["draft_answer"]["spanId"])
        self.assertEqual(run["resource"], {"trackly.feature": "research-agent", "trackly.environment": "production",
                                           "trackly.release": "v1.2"})
        self.assertEqual(run["scope"]["name"], "trackly")

    def test_generation_carries_model_usage_cost_prompt_and_messages(self):
        with self.client.generation("chat", model="gpt-4o", provider="openai",
                                    model_parameters={"temperature": 0.2},
                                    input=[{"role": "user", "content": "hi"}],
                                    prompt_name="answer", prompt_version=3) as g:
            g.update(output=[{"role": "assistant", "content": "hello"}],
                     usage={"input_tokens": 10, "output_tokens": 5, "cache_read_tokens": 4, "reasoning_tokens": 1},
                     cost={"input": 0.01, "output": 0.02, "total": 0.03},
                     completion_start_time=1_700_000_000.5)
        a = self.export()["chat"]["attrs"]
        self.assertEqual(a["trackly.observation.type"], "generation")
        self.assertEqual(a["gen_ai.request.model"], "gpt-4o")
        self.assertEqual(a["gen_ai.provider.name"], "openai")
        self.assertEqual(json.loads(a["langfuse.observation.model.parameters"]), {"temperature": 0.2})
        self.assertEqual(json.loads(a["langfuse.observation.input"]), [{"role": "user", "content": "hi"}])
        self.assertEqual(json.loads(a["langfuse.observation.output"]), [{"role": "assistant", "content": "hello"}])
        self.assertEqual(a["gen_ai.usage.input_tokens"], 10)
        self.assertEqual(a["gen_ai.usage.output_tokens"], 5)
        self.assertEqual(a["gen_ai.usage.cache_read.input_tokens"], 4)
        self.assertEqual(a["gen_ai.usage.reasoning.output_tokens"], 1)
        self.assertEqual(json.loads(a["langfuse.observation.cost_details"]), {"input": 0.01, "output": 0.02, "total": 0.03})
        self.assertEqual(a["langfuse.observation.prompt.name"], "answer")
        self.assertEqual(a["langfuse.observation.prompt.version"], 3)
        self.assertEqual(a["langfuse.observation.completion_start_time"], "2023-11-14T22:13:20.500000Z")

    def test_openai_usage_names_are_accepted(self):
        with self.client.generation("g", usage={"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}):
            pass
        a = self.export()["g"]["attrs"]
        self.assertEqual((a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"],
                          a["gen_ai.usage.total_tokens"]), (7, 3, 10))

    def test_tool_records_arguments_result_error_type_and_retries(self):
        with self.client.tool("web_search", arguments={"q": "llm"}, call_id="call_1") as t:
            t.update(result={"hits": 2}, retry_count=2, status="timeout", error_type="rate_limit")
        s = self.export()["web_search"]
        a = s["attrs"]
        self.assertEqual(a["trackly.observation.type"], "tool")
        self.assertEqual(a["gen_ai.tool.name"], "web_search")
        self.assertEqual(a["gen_ai.tool.call.id"], "call_1")
        self.assertEqual(json.loads(a["langfuse.observation.input"]), {"q": "llm"})
        self.assertEqual(json.loads(a["langfuse.observation.output"]), {"hits": 2})
        self.assertEqual(a["trackly.retry_count"], 2)
        self.assertEqual(a["trackly.status"], "timeout")
        self.assertEqual(a["trackly.error.type"], "rate_limit")
        self.assertEqual(s["status"]["code"], 2)

    def test_retriever_records_query_and_documents(self):
        class Doc:  # LangChain's Document shape
            def __init__(self, text, **kw):
                self.page_content, self.metadata, self.id = text, kw, "d2"

        with self.client.retriever("kb", query="what is rag") as r:
            r.update(documents=[{"id": "d1", "score": 0.9, "content": "x"}, Doc("y", src="wiki")])
        a = self.export()["kb"]["attrs"]
        self.assertEqual(a["trackly.observation.type"], "retriever")
        self.assertEqual(json.loads(a["langfuse.observation.input"]), "what is rag")
        self.assertEqual(json.loads(a["langfuse.observation.output"]), [
            {"id": "d1", "score": 0.9, "content": "x"}, {"id": "d2", "content": "y", "metadata": {"src": "wiki"}}])

    def test_exception_is_recorded_with_type_message_stack_and_reraised_unchanged(self):
        err = KeyError("missing")
        with self.assertRaises(KeyError) as caught:
            with self.client.span("fails"):
                raise err
        self.assertIs(caught.exception, err)
        s = self.export()["fails"]
        self.assertEqual(s["status"], {"code": 2, "message": "'missing'"})
        self.assertEqual(s["attrs"]["trackly.status"], "error")
        self.assertEqual(s["attrs"]["trackly.error.type"], "KeyError")
        (event,) = s["events"]
        self.assertEqual(event["name"], "exception")
        self.assertEqual(event["attrs"]["exception.type"], "KeyError")
        self.assertIn("raise err", event["attrs"]["exception.stacktrace"])

    def test_timeout_and_cancellation_map_to_their_statuses(self):
        import asyncio

        for exc, status in ((TimeoutError("slow"), "timeout"), (asyncio.CancelledError(), "cancelled")):
            with self.subTest(status=status):
                with self.assertRaises(type(exc)):
                    with self.client.span(status):
                        raise exc
        spans = self.export()
        self.assertEqual(spans["timeout"]["attrs"]["trackly.status"], "timeout")
        self.assertEqual(spans["cancelled"]["attrs"]["trackly.status"], "cancelled")

    def test_each_status_is_exported(self):
        for status in ("ok", "error", "timeout", "cancelled", "skipped"):
            with self.client.span(status) as s:
                s.update(status=status)
        spans = self.export()
        for status in ("ok", "error", "timeout", "cancelled", "skipped"):
            self.assertEqual(spans[status]["attrs"]["trackly.status"], status)
        self.assertEqual(spans["ok"]["status"]["code"], 1)

    def test_event_is_a_point_in_time(self):
        with self.client.trace("t"):
            self.client.event("cache_hit", metadata={"key": "k"})
        e = self.export()["cache_hit"]
        self.assertEqual(e["startTimeUnixNano"], e["endTimeUnixNano"])
        self.assertEqual(e["attrs"]["trackly.observation.type"], "event")

    def test_updates_after_end_are_ignored(self):
        with self.client.span("s") as s:
            pass
        s.update(output="late")
        self.assertNotIn("langfuse.observation.output", self.export()["s"]["attrs"])

    def test_manual_end_without_with(self):
        s = self.client.span("manual", input="q")
        s.end()
        self.assertEqual(json.loads(self.export()["manual"]["attrs"]["langfuse.observation.input"]), "q")

    def test_update_current_and_current_observation(self):
        self.assertIsNone(self.client.current_observation())
        with self.client.span("outer") as outer:
            self.assertIs(self.client.current_observation(), outer)
            self.client.update_current(output="done")
        self.assertIsNone(self.client.current_observation())
        self.assertEqual(self.export()["outer"]["attrs"]["langfuse.observation.output"], '"done"')

    def test_non_utf8_text_still_exports(self):
        with self.client.span("lone \ud800 surrogate", input="é \udfff"):
            pass
        (span,) = self.export().values()
        self.assertEqual(json.loads(span["attrs"]["langfuse.observation.input"]), "é \udfff")

    def test_trace_url_points_at_the_web_ui(self):
        with self.client.trace("t") as t:
            pass
        self.assertEqual(t.trace_url, f"http://127.0.0.1:4318/traces/{t.trace_id_hex}")


if __name__ == "__main__":
    unittest.main()
