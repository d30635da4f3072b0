"""End to end: the real trackly binary on port 0, traces sent through the SDK, read back via /api/v1.

The binary comes from TRACKLY_BINARY (set by CTest), else ../../build/trackly; without one the tests
are skipped.
"""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request

import trackly
from trackly import Trackly

SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("TRACKLY_BINARY") or os.path.join(SDK_DIR, "..", "..", "build", "trackly")


class Server:
    """A `trackly serve` process with its own data directory and an ingest+read key."""

    def __init__(self):
        self.data = tempfile.mkdtemp(prefix="trackly-pysdk-")
        subprocess.run([BINARY, "projects", "create", "default", "--data", self.data], check=True, capture_output=True)
        out = subprocess.run([BINARY, "keys", "create", "--project", "default", "--scopes", "ingest,read",
                              "--data", self.data, "--json"], check=True, capture_output=True, text=True).stdout
        self.key = json.loads(out)["key"]
        self.proc = subprocess.Popen([BINARY, "serve", "--listen", "127.0.0.1:0", "--data", self.data],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = None
        for line in self.proc.stdout:  # wait for the line, not for a time
            if "listening on " in line:
                self.url = line.split("listening on ", 1)[1].split()[0]
                break
        if self.url is None:
            raise RuntimeError(f"trackly did not start: {self.proc.stderr.read()}")
        # Keep draining both pipes so the server never blocks on a full pipe.
        for pipe in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=pipe.read, daemon=True).start()

    def get(self, path):
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {self.key}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        shutil.rmtree(self.data, ignore_errors=True)


@unittest.skipUnless(os.access(BINARY, os.X_OK), f"no trackly binary at {BINARY}")
class EndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.client = Trackly(api_key=self.server.key, host=self.server.url, feature="research-agent",
                              environment="test", release="1.0.0")

    def tearDown(self):
        self.client.shutdown()

    def fetch(self, trace_id_hex):
        self.assertTrue(self.client.flush(30))
        self.assertEqual(self.client.failed_spans, 0)
        doc = self.server.get(f"/api/v1/traces/{trace_id_hex}")
        return doc["trace"], {o["name"]: o for o in doc["observations"]}

    def test_tree_types_tokens_metadata_and_trace_fields(self):
        with self.client.trace("research_agent_run", session_id="sess-1", user_id="user_123", tags=["e2e"],
                               metadata={"channel": "web"}, input={"question": "q"}) as run:
            with self.client.span("retrieve_context", metadata={"source": "knowledge-base"}):
                with self.client.retriever("kb_search", query="q") as r:
                    r.update(documents=[{"id": "doc-1", "score": 0.8, "content": "text"}])
            with self.client.step("draft_answer", metadata={"documents": 2}):
                with self.client.generation("llm", model="gpt-4o-mini", input=[{"role": "user", "content": "q"}],
                                            model_parameters={"temperature": 0.3}) as g:
                    g.update(output=[{"role": "assistant", "content": "a"}],
                             usage={"input_tokens": 100, "output_tokens": 20})
                with self.client.tool("web_search", arguments={"q": "x"}) as t:
                    t.update(result=["r1"], retry_count=1)
            run.update(output={"answer": "a"})
        trace, obs = self.fetch(run.trace_id_hex)
        self.assertEqual(trace["name"], "research_agent_run")
        self.assertEqual((trace["session_id"], trace["user_id"], trace["feature"], trace["environment"],
                          trace["release"]), ("sess-1", "user_123", "research-agent", "test", "1.0.0"))
        self.assertEqual(trace["tags"], ["e2e"])
        self.assertEqual(trace["metadata"].get("channel"), "web")
        self.assertEqual(trace["input"], {"question": "q"})
        self.assertEqual(trace["output"], {"answer": "a"})
        self.assertEqual(trace["usage"]["input_tokens"], 100)
        self.assertEqual(trace["usage"]["output_tokens"], 20)
        self.assertEqual(trace["counts"]["generations"], 1)
        self.assertEqual(trace["counts"]["tool_calls"], 1)
        self.assertEqual(trace["counts"]["retrievals"], 1)
        root = obs["research_agent_run"]
        self.assertIsNone(root["parent_id"])
        self.assertEqual(obs["retrieve_context"]["parent_id"], root["id"])
        self.assertEqual(obs["kb_search"]["parent_id"], obs["retrieve_context"]["id"])
        self.assertEqual(obs["llm"]["parent_id"], obs["draft_answer"]["id"])
        types_ = {name: o["type"] for name, o in obs.items()}
        self.assertEqual(types_, {"research_agent_run": "span", "retrieve_context": "span", "kb_search": "retriever",
                                  "draft_answer": "chain", "llm": "generation", "web_search": "tool"})
        llm = obs["llm"]
        self.assertEqual(llm["model"], "gpt-4o-mini")
        self.assertEqual(llm["model_parameters"], {"temperature": 0.3})
        self.assertEqual(llm["usage"]["total_tokens"], 120)
        self.assertEqual(llm["input"], [{"role": "user", "content": "q"}])
        self.assertEqual(llm["output"][0]["content"], "a")
        self.assertEqual(obs["retrieve_context"]["metadata"]["source"], "knowledge-base")
        self.assertEqual(obs["draft_answer"]["metadata"]["documents"], 2)
        self.assertEqual(obs["kb_search"]["output"], [{"id": "doc-1", "score": 0.8, "content": "text"}])
        self.assertEqual(obs["web_search"]["tool"]["name"], "web_search")
        self.assertEqual(obs["web_search"]["input"], {"q": "x"})
        self.assertEqual(obs["web_search"]["output"], ["r1"])
        self.assertEqual(obs["web_search"]["retry_count"], 1)

    def test_errors_and_statuses(self):
        with self.assertRaises(ValueError):
            with self.client.trace("failing_run") as run:
                with self.client.tool("flaky", arguments={}) as t:
                    t.update(status="timeout", error_type="rate_limit")
                with self.client.span("skipped_step") as s:
                    s.update(status="skipped")
                raise ValueError("bad input")
        trace, obs = self.fetch(run.trace_id_hex)
        self.assertEqual(trace["status"], "error")
        root = obs["failing_run"]
        self.assertEqual((root["status"], root["error_type"], root["status_message"]),
                         ("error", "ValueError", "bad input"))
        self.assertEqual(root["events"][0]["name"], "exception")
        self.assertEqual((obs["flaky"]["status"], obs["flaky"]["error_type"]), ("timeout", "rate_limit"))
        self.assertEqual(obs["skipped_step"]["status"], "skipped")

    def test_async_and_threads_nest_correctly(self):
        @self.client.track(name="fetch", as_type="tool", capture_io=True)
        async def fetch(i):
            await asyncio.sleep(0)
            return i * 2

        @self.client.track(name="work", capture_io=True)
        def work(i):
            return i + 1

        async def main():
            with self.client.trace("concurrent") as run:
                await asyncio.gather(*(fetch(i) for i in range(3)))
                with trackly.ThreadPoolExecutor(max_workers=3) as pool:
                    list(pool.map(work, range(3)))
            return run

        run = asyncio.run(main())
        self.assertTrue(self.client.flush(30))
        doc = self.server.get(f"/api/v1/traces/{run.trace_id_hex}")
        observations = doc["observations"]
        root = next(o for o in observations if o["name"] == "concurrent")
        children = [o for o in observations if o["name"] in ("fetch", "work")]
        self.assertEqual(len(children), 6)
        self.assertTrue(all(o["parent_id"] == root["id"] for o in children))
        self.assertEqual(sorted(o["output"] for o in children if o["name"] == "fetch"), [0, 2, 4])

    def test_propagation_across_a_subprocess(self):
        child_code = (
            "import json, os, sys\n"
            "from trackly import Trackly\n"
            "t = Trackly()\n"
            "parent = t.extract(json.loads(sys.argv[1]))\n"
            "with t.trace('worker_job', parent=parent):\n"
            "    with t.span('worker_step'):\n"
            "        pass\n"
            "sys.exit(0 if t.shutdown(30) and t.failed_spans == 0 else 1)\n"
        )
        with self.client.trace("dispatch") as run:
            headers = self.client.inject({})
        env = dict(os.environ, TRACKLY_API_KEY=self.server.key, TRACKLY_HOST=self.server.url,
                   PYTHONPATH=SDK_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
        subprocess.run([sys.executable, "-c", child_code, json.dumps(headers)], check=True, env=env, timeout=60)
        trace, obs = self.fetch(run.trace_id_hex)
        self.assertEqual(obs["worker_job"]["parent_id"], obs["dispatch"]["id"])
        self.assertEqual(obs["worker_step"]["parent_id"], obs["worker_job"]["id"])
        self.assertEqual(trace["name"], "dispatch")

    def test_langchain_handler_end_to_end(self):
        import types
        import uuid

        h = self.client.callback()
        llm = uuid.uuid4()
        with self.client.trace("lc_run") as run:
            with self.client.step("draft_answer"):
                h.on_chat_model_start({"name": "ChatOpenAI"}, [[types.SimpleNamespace(type="human", content="hi")]],
                                      run_id=llm, invocation_params={"model": "gpt-4o-mini"})
                message = types.SimpleNamespace(type="ai", content="hello", tool_calls=[],
                                                usage_metadata={"input_tokens": 7, "output_tokens": 2,
                                                                "total_tokens": 9})
                h.on_llm_end(types.SimpleNamespace(generations=[[types.SimpleNamespace(message=message)]],
                                                   llm_output={}), run_id=llm)
        trace, obs = self.fetch(run.trace_id_hex)
        gen = obs["ChatOpenAI"]
        self.assertEqual(gen["parent_id"], obs["draft_answer"]["id"])
        self.assertEqual((gen["type"], gen["model"], gen["usage"]["total_tokens"]), ("generation", "gpt-4o-mini", 9))
        self.assertEqual(gen["input"], [{"role": "user", "content": "hi"}])


if __name__ == "__main__":
    unittest.main()
