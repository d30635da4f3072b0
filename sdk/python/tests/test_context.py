import asyncio
import concurrent.futures
import threading
import unittest

import trackly
from tests.support import by_name, recording_client


class ContextTest(unittest.TestCase):
    def setUp(self):
        self.client, self.transport = recording_client()

    def tearDown(self):
        self.client.shutdown()

    def export(self):
        self.assertTrue(self.client.flush(10))
        return by_name(self.transport.spans())

    def test_thread_pool_executor_carries_the_parent(self):
        with self.client.trace("root"):
            with trackly.ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda i: self.client.span(f"work-{i}").end(), range(8)))
        spans = self.export()
        for i in range(8):
            self.assertEqual(spans[f"work-{i}"]["parentSpanId"], spans["root"]["spanId"])

    def test_wrap_carries_the_parent_into_a_thread_and_may_run_concurrently(self):
        def work(i):
            with self.client.span(f"w{i}"):
                pass

        with self.client.trace("root"):
            wrapped = trackly.wrap(work)
            threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        spans = self.export()
        for i in range(4):
            self.assertEqual(spans[f"w{i}"]["parentSpanId"], spans["root"]["spanId"])

    def test_plain_thread_starts_a_new_trace(self):
        with self.client.trace("root"):
            t = threading.Thread(target=lambda: self.client.span("orphan").end())
            t.start()
            t.join()
        spans = self.export()
        self.assertNotIn("parentSpanId", spans["orphan"])
        self.assertNotEqual(spans["orphan"]["traceId"], spans["root"]["traceId"])

    def test_asyncio_tasks_nest_under_the_creating_context(self):
        async def child(i):
            with self.client.span(f"c{i}"):
                await asyncio.sleep(0)
                with self.client.span(f"g{i}"):
                    await asyncio.sleep(0)

        async def main():
            with self.client.trace("root"):
                await asyncio.gather(*(child(i) for i in range(3)))
                await asyncio.create_task(child(9))

        asyncio.run(main())
        spans = self.export()
        for i in (0, 1, 2, 9):
            self.assertEqual(spans[f"c{i}"]["parentSpanId"], spans["root"]["spanId"])
            self.assertEqual(spans[f"g{i}"]["parentSpanId"], spans[f"c{i}"]["spanId"])

    def test_concurrent_threads_keep_separate_stacks(self):
        barrier = threading.Barrier(2)

        def run(tag):
            with self.client.trace(f"root-{tag}"):
                barrier.wait()
                with self.client.span(f"child-{tag}"):
                    barrier.wait()

        threads = [threading.Thread(target=run, args=(t,)) for t in "ab"]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        spans = self.export()
        for tag in "ab":
            self.assertEqual(spans[f"child-{tag}"]["parentSpanId"], spans[f"root-{tag}"]["spanId"])

    def test_run_in_executor_needs_the_helper(self):
        async def main():
            loop = asyncio.get_running_loop()
            with self.client.trace("root"):
                with concurrent.futures.ThreadPoolExecutor(1) as pool:
                    await loop.run_in_executor(pool, trackly.wrap(lambda: self.client.span("in-executor").end()))

        asyncio.run(main())
        spans = self.export()
        self.assertEqual(spans["in-executor"]["parentSpanId"], spans["root"]["spanId"])


if __name__ == "__main__":
    unittest.main()
