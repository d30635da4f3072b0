import asyncio
import json
import unittest

from tests.support import by_name, recording_client


class DecoratorTest(unittest.TestCase):
    def setUp(self):
        self.client, self.transport = recording_client()

    def tearDown(self):
        self.client.shutdown()

    def export(self):
        self.assertTrue(self.client.flush(10))
        return by_name(self.transport.spans())

    def test_sync_function_with_capture_io(self):
        @self.client.track(name="rewrite_question", capture_io=True)
        def rewrite(question: str, style: str = "short") -> str:
            return question.upper()

        self.assertEqual(rewrite("why?", style="long"), "WHY?")
        a = self.export()["rewrite_question"]["attrs"]
        self.assertEqual(json.loads(a["langfuse.observation.input"]), {"question": "why?", "style": "long"})
        self.assertEqual(json.loads(a["langfuse.observation.output"]), "WHY?")

    def test_bare_decorator_uses_the_qualified_name_and_captures_nothing(self):
        @self.client.track
        def plain(x):
            return x

        plain(1)
        spans = self.export()
        (name,) = spans
        self.assertTrue(name.endswith("plain"))
        self.assertNotIn("langfuse.observation.input", spans[name]["attrs"])

    def test_method_input_omits_self(self):
        client = self.client

        class Agent:
            @client.track(capture_io=True, as_type="agent")
            def run(self, task):
                return task

        Agent().run("t")
        (s,) = self.export().values()
        self.assertEqual(json.loads(s["attrs"]["langfuse.observation.input"]), {"task": "t"})
        self.assertEqual(s["attrs"]["trackly.observation.type"], "agent")

    def test_async_function_nests_inner_calls(self):
        @self.client.track(name="inner")
        async def inner():
            await asyncio.sleep(0)
            return 2

        @self.client.track(name="outer", capture_io=True)
        async def outer():
            return await inner() + await inner()

        self.assertEqual(asyncio.run(outer()), 4)
        spans = self.transport_spans_after_flush()
        inners = [s for s in spans if s["name"] == "inner"]
        outer_span = next(s for s in spans if s["name"] == "outer")
        self.assertEqual(len(inners), 2)
        self.assertTrue(all(s["parentSpanId"] == outer_span["spanId"] for s in inners))
        self.assertEqual(outer_span["attrs"]["langfuse.observation.output"], "4")

    def transport_spans_after_flush(self):
        self.assertTrue(self.client.flush(10))
        return self.transport.spans()

    def test_generator_output_is_the_joined_text_and_context_does_not_leak(self):
        @self.client.track(name="stream", capture_io=True)
        def stream(n):
            for i in range(n):
                with self.client.span(f"chunk-{i}"):
                    pass
                yield f"t{i} "

        with self.client.trace("root"):
            for _ in stream(2):
                # Between items the consumer's context is the root, not the generator's span.
                self.assertEqual(self.client.current_observation().name, "root")
        spans = self.export()
        self.assertEqual(json.loads(spans["stream"]["attrs"]["langfuse.observation.output"]), "t0 t1 ")
        self.assertEqual(spans["stream"]["parentSpanId"], spans["root"]["spanId"])
        self.assertEqual(spans["chunk-1"]["parentSpanId"], spans["stream"]["spanId"])

    def test_generator_closed_early_ends_the_observation(self):
        @self.client.track(name="numbers", capture_io=True)
        def numbers():
            i = 0
            while True:
                yield i
                i += 1

        for n in numbers():
            if n == 2:
                break
        s = self.export()["numbers"]
        self.assertEqual(json.loads(s["attrs"]["langfuse.observation.output"]), [0, 1, 2])
        self.assertNotIn("trackly.status", s["attrs"])

    def test_generator_send_throw_and_return_value(self):
        @self.client.track(name="acc", capture_io=True)
        def acc():
            total = 0
            while True:
                try:
                    x = yield total
                except ValueError:
                    return "stopped"
                total += x

        g = acc()
        self.assertEqual(next(g), 0)
        self.assertEqual(g.send(5), 5)
        with self.assertRaises(StopIteration) as stop:
            g.throw(ValueError("enough"))
        self.assertEqual(stop.exception.value, "stopped")
        s = self.export()["acc"]
        self.assertEqual(json.loads(s["attrs"]["langfuse.observation.output"]), [0, 5, "stopped"])

    def test_generator_exception_is_recorded_and_reraised(self):
        @self.client.track(name="bad")
        def bad():
            yield 1
            raise RuntimeError("broken")

        with self.assertRaises(RuntimeError):
            list(bad())
        self.assertEqual(self.export()["bad"]["attrs"]["trackly.error.type"], "RuntimeError")

    def test_async_generator(self):
        @self.client.track(name="agen", capture_io=True)
        async def agen(n):
            for i in range(n):
                with self.client.span(f"inner-{i}"):
                    await asyncio.sleep(0)
                yield i

        async def main():
            with self.client.trace("root"):
                out = [x async for x in agen(3)]
                self.assertEqual(self.client.current_observation().name, "root")
                return out

        self.assertEqual(asyncio.run(main()), [0, 1, 2])
        spans = self.export()
        self.assertEqual(json.loads(spans["agen"]["attrs"]["langfuse.observation.output"]), [0, 1, 2])
        self.assertEqual(spans["inner-2"]["parentSpanId"], spans["agen"]["spanId"])
        self.assertEqual(spans["agen"]["parentSpanId"], spans["root"]["spanId"])

    def test_async_generator_error_and_early_close(self):
        @self.client.track(name="failing")
        async def failing():
            yield 1
            raise ValueError("x")

        @self.client.track(name="endless")
        async def endless():
            while True:
                yield 0

        async def main():
            with self.assertRaises(ValueError):
                async for _ in failing():
                    pass
            g = endless()
            await g.__anext__()
            await g.aclose()

        asyncio.run(main())
        spans = self.export()
        self.assertEqual(spans["failing"]["attrs"]["trackly.status"], "error")
        self.assertIn("endless", spans)

    def test_exception_in_sync_function_is_reraised_unchanged(self):
        @self.client.track
        def boom():
            raise LookupError("nope")

        with self.assertRaises(LookupError):
            boom()
        (s,) = self.export().values()
        self.assertEqual(s["attrs"]["trackly.error.type"], "LookupError")

    def test_unserializable_arguments_do_not_break_the_call(self):
        class Weird:
            def __repr__(self):
                raise RuntimeError("no repr")

            __slots__ = ()

        @self.client.track(name="weird", capture_io=True)
        def weird(x):
            return x

        w = Weird()
        self.assertIs(weird(w), w)
        a = self.export()["weird"]["attrs"]
        self.assertEqual(json.loads(a["langfuse.observation.input"]), {"x": "<unserializable DecoratorTest.test_unserializable_arguments_do_not_break_the_call.<locals>.Weird>"})


if __name__ == "__main__":
    unittest.main()
