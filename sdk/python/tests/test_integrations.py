"""The LangChain handler and the OpenAI wrapper, driven by fakes shaped like the real libraries."""

import asyncio
import json
import types
import unittest
import uuid

from tests.support import by_name, recording_client


def ns(**kw):
    return types.SimpleNamespace(**kw)


class LangChainTest(unittest.TestCase):
    def setUp(self):
        self.client, self.transport = recording_client()
        self.handler = self.client.callback()

    def tearDown(self):
        self.client.shutdown()

    def test_has_the_flags_langchains_callback_manager_reads(self):
        for flag in ("ignore_llm", "ignore_chain", "ignore_agent", "ignore_retriever", "ignore_chat_model",
                     "ignore_retry", "ignore_custom_event", "raise_error"):
            self.assertFalse(getattr(self.handler, flag))
        self.assertTrue(self.handler.run_inline)

    def test_runs_become_nested_observations_with_model_messages_and_usage(self):
        h = self.handler
        chain, llm, tool, retr = (uuid.uuid4() for _ in range(4))
        with self.client.step("draft_answer") as step:
            h.on_chain_start({"id": ["langchain", "RunnableSequence"]}, {"q": "hi"}, run_id=chain,
                             tags=["t1"], metadata={"ls_run": 1, "user": "u"})
            h.on_retriever_start({"name": "kb"}, "hi", run_id=retr, parent_run_id=chain)
            h.on_retriever_end([ns(page_content="doc", metadata={"s": 1}, id="d1")], run_id=retr)
            h.on_chat_model_start({"name": "ChatOpenAI"},
                                  [[ns(type="system", content="be brief"), ns(type="human", content="hi")]],
                                  run_id=llm, parent_run_id=chain,
                                  invocation_params={"model": "gpt-4o", "temperature": 0.1, "_type": "openai"},
                                  metadata={"ls_provider": "openai"})
            h.on_llm_new_token("he", run_id=llm)
            message = ns(type="ai", content="hello", tool_calls=[{"id": "c1", "name": "search", "args": {"q": "x"}}],
                         usage_metadata={"input_tokens": 12, "output_tokens": 3, "total_tokens": 15,
                                         "input_token_details": {"cache_read": 2}},
                         response_metadata={"model_name": "gpt-4o-2024-08-06"})
            h.on_llm_end(ns(generations=[[ns(message=message, text="hello")]], llm_output=None), run_id=llm)
            h.on_tool_start({"name": "search"}, '{"q": "x"}', run_id=tool, parent_run_id=chain)
            h.on_tool_error(ValueError("no results"), run_id=tool)
            h.on_chain_end({"answer": "hello"}, run_id=chain)
        self.assertTrue(self.client.flush(10))
        spans = by_name(self.transport.spans())
        seq = spans["RunnableSequence"]
        self.assertEqual(seq["parentSpanId"], step.span_id_hex)
        self.assertEqual(seq["attrs"]["trackly.observation.type"], "chain")
        self.assertEqual(seq["attrs"]["trackly.metadata.tags"], '["t1"]')
        self.assertNotIn("trackly.metadata.ls_run", seq["attrs"])
        gen = spans["ChatOpenAI"]["attrs"]
        self.assertEqual(spans["ChatOpenAI"]["parentSpanId"], seq["spanId"])
        self.assertEqual(gen["trackly.observation.type"], "generation")
        self.assertEqual(gen["gen_ai.request.model"], "gpt-4o")
        self.assertEqual(gen["gen_ai.response.model"], "gpt-4o-2024-08-06")
        self.assertEqual(gen["gen_ai.provider.name"], "openai")
        self.assertEqual(json.loads(gen["langfuse.observation.model.parameters"]), {"temperature": 0.1})
        self.assertEqual(json.loads(gen["langfuse.observation.input"]),
                         [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}])
        self.assertEqual(json.loads(gen["langfuse.observation.output"]),
                         {"role": "assistant", "content": "hello",
                          "tool_calls": [{"id": "c1", "name": "search", "arguments": {"q": "x"}}]})
        self.assertEqual((gen["gen_ai.usage.input_tokens"], gen["gen_ai.usage.output_tokens"],
                          gen["gen_ai.usage.cache_read.input_tokens"]), (12, 3, 2))
        self.assertIn("langfuse.observation.completion_start_time", gen)
        self.assertEqual(spans["kb"]["attrs"]["trackly.observation.type"], "retriever")
        self.assertEqual(json.loads(spans["kb"]["attrs"]["langfuse.observation.output"]),
                         [{"id": "d1", "content": "doc", "metadata": {"s": 1}}])
        self.assertEqual(spans["search"]["attrs"]["trackly.error.type"], "ValueError")
        self.assertEqual(json.loads(spans["search"]["attrs"]["langfuse.observation.input"]), {"q": "x"})

    def test_unknown_run_ids_are_ignored(self):
        self.handler.on_chain_end({}, run_id=uuid.uuid4())
        self.handler.on_llm_error(RuntimeError(), run_id=uuid.uuid4())


class FakeCompletions:
    def __init__(self, response=None, chunks=None, error=None):
        self.response, self.chunks, self.error = response, chunks, error

    def create(self, **kwargs):
        if self.error:
            raise self.error
        return iter(self.chunks) if kwargs.get("stream") else self.response


class AsyncFakeCompletions(FakeCompletions):
    async def create(self, **kwargs):
        if kwargs.get("stream"):
            async def gen():
                for c in self.chunks:
                    yield c
            return gen()
        return self.response


def chunk(content=None, finish=None, usage=None):
    return ns(model="gpt-4o-mini-2024", usage=usage,
              choices=[ns(index=0, delta=ns(content=content, tool_calls=None), finish_reason=finish)] if content or finish else [])


class OpenAITest(unittest.TestCase):
    def setUp(self):
        self.client, self.transport = recording_client()

    def tearDown(self):
        self.client.shutdown()

    def export(self):
        self.assertTrue(self.client.flush(10))
        return self.transport.spans()

    def test_chat_completion_becomes_a_generation_with_usage(self):
        response = ns(model="gpt-4o-2024-08-06",
                      choices=[ns(message=ns(role="assistant", content="4", tool_calls=None), finish_reason="stop")],
                      usage=ns(prompt_tokens=9, completion_tokens=1, total_tokens=10,
                               prompt_tokens_details=ns(cached_tokens=0), completion_tokens_details=None))
        oa = ns(chat=ns(completions=FakeCompletions(response)), embeddings=None)
        self.assertIs(self.client.wrap_openai(oa), oa)
        with self.client.trace("t"):
            self.assertIs(oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "2+2"}],
                                                     temperature=0), response)
        gen = by_name(self.export())["openai.chat.completions"]
        a = gen["attrs"]
        self.assertEqual(a["gen_ai.request.model"], "gpt-4o")
        self.assertEqual(a["gen_ai.response.model"], "gpt-4o-2024-08-06")
        self.assertEqual(json.loads(a["langfuse.observation.model.parameters"]), {"temperature": 0})
        self.assertEqual(json.loads(a["langfuse.observation.output"]),
                         [{"role": "assistant", "content": "4", "finish_reason": "stop"}])
        self.assertEqual((a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"]), (9, 1))
        self.assertIn("parentSpanId", gen)

    def test_stream_ends_when_exhausted_with_text_first_token_and_usage(self):
        chunks = [chunk("Hel"), chunk("lo", finish="stop"),
                  chunk(usage=ns(prompt_tokens=5, completion_tokens=2, total_tokens=7))]
        oa = ns(chat=ns(completions=FakeCompletions(chunks=chunks)))
        self.client.wrap_openai(oa)
        stream = oa.chat.completions.create(model="gpt-4o-mini", messages=[], stream=True,
                                            stream_options={"include_usage": True})
        self.assertEqual(len(list(stream)), 3)
        (gen,) = self.export()
        a = gen["attrs"]
        self.assertEqual(json.loads(a["langfuse.observation.output"]),
                         [{"role": "assistant", "content": "Hello", "finish_reason": "stop"}])
        self.assertEqual(a["gen_ai.usage.output_tokens"], 2)
        self.assertIn("langfuse.observation.completion_start_time", a)

    def test_async_stream(self):
        oa = ns(chat=ns(completions=AsyncFakeCompletions(chunks=[chunk("a"), chunk("b", finish="stop")])))
        self.client.wrap_openai(oa)

        async def main():
            stream = await oa.chat.completions.create(model="m", messages=[], stream=True)
            return [c async for c in stream]

        self.assertEqual(len(asyncio.run(main())), 2)
        (gen,) = self.export()
        self.assertEqual(json.loads(gen["attrs"]["langfuse.observation.output"])[0]["content"], "ab")

    def test_embeddings_record_usage_not_vectors(self):
        class Embeddings:
            def create(self, **kw):
                return ns(model="text-embedding-3-small", data=[ns(embedding=[0.1] * 8)] * 2,
                          usage=ns(prompt_tokens=4, total_tokens=4))

        oa = ns(embeddings=Embeddings())
        self.client.wrap_openai(oa)
        oa.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
        (emb,) = self.export()
        a = emb["attrs"]
        self.assertEqual(a["trackly.observation.type"], "embedding")
        self.assertEqual(json.loads(a["langfuse.observation.output"]), {"embeddings": 2, "dimensions": 8})
        self.assertEqual(a["gen_ai.usage.input_tokens"], 4)

    def test_api_errors_get_typed_error_codes_and_are_reraised(self):
        RateLimitError = type("RateLimitError", (Exception,), {})
        APITimeoutError = type("APITimeoutError", (Exception,), {})
        for error, status, code in ((RateLimitError("slow down"), "error", "rate_limit"),
                                    (APITimeoutError("late"), "timeout", "timeout")):
            oa = ns(chat=ns(completions=FakeCompletions(error=error)))
            self.client.wrap_openai(oa)
            with self.assertRaises(type(error)):
                oa.chat.completions.create(model="m", messages=[])
        spans = self.export()
        self.assertEqual([(s["attrs"]["trackly.status"], s["attrs"]["trackly.error.type"]) for s in spans],
                         [("error", "rate_limit"), ("timeout", "timeout")])

    def test_wrapping_twice_records_once(self):
        oa = ns(chat=ns(completions=FakeCompletions(ns(model="m", choices=[], usage=None))))
        self.client.wrap_openai(self.client.wrap_openai(oa))
        oa.chat.completions.create(model="m", messages=[])
        self.assertEqual(len(self.export()), 1)


if __name__ == "__main__":
    unittest.main()
