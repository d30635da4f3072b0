"""A four-step research assistant traced with Trackly, using a fake model (no API key needed).

    trackly serve &                                   # or: make run
    export TRACKLY_API_KEY=$(trackly keys create --project default --scopes ingest,read --json | jq -r .key)
    python3 sdk/python/examples/research_agent.py "How do vector databases index embeddings?"

Steps: rewrite the question, retrieve context, search the web (a tool that fails once and is
retried), draft the answer. Prints the URL of the trace in the Trackly web UI.
"""

import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from trackly import Trackly  # noqa: E402

trackly = Trackly(feature="research-agent", environment=os.environ.get("TRACKLY_ENVIRONMENT", "development"),
                  release="example-1")

KNOWLEDGE_BASE = [
    {"id": "kb-1", "content": "HNSW builds a layered proximity graph over the vectors."},
    {"id": "kb-2", "content": "IVF clusters vectors and searches only the nearest clusters."},
    {"id": "kb-3", "content": "Product quantization compresses vectors into short codes."},
]


class FakeModel:
    """Answers instantly and deterministically, and reports token usage like a real API."""

    name = "gpt-4o-mini"

    def complete(self, messages):
        prompt = " ".join(m["content"] for m in messages)
        answer = f"(fake answer to: {messages[-1]['content'][:60]})"
        return answer, {"input_tokens": len(prompt.split()) * 4 // 3, "output_tokens": len(answer.split()) * 4 // 3}


model = FakeModel()


@trackly.track(name="rewrite_question", capture_io=True)
def rewrite_question(question: str) -> str:
    messages = [{"role": "system", "content": "Rewrite the question for search."},
                {"role": "user", "content": question}]
    with trackly.generation("rewrite_llm", model=model.name, input=messages,
                            model_parameters={"temperature": 0}) as gen:
        text, usage = model.complete(messages)
        gen.update(output=[{"role": "assistant", "content": text}], usage=usage)
    return question.rstrip("?") + " (search form)"


def retrieve_context(query: str):
    with trackly.retriever("knowledge_base_search", query=query, metadata={"index": "hnsw"}) as r:
        words = set(query.lower().split())
        scored = [dict(doc, score=round(len(words & set(doc["content"].lower().split())) / 10, 2))
                  for doc in KNOWLEDGE_BASE]
        documents = sorted(scored, key=lambda d: -d["score"])[:2]
        r.update(documents=documents)
    return documents


def web_search(query: str):
    attempts = 0
    with trackly.tool("web_search", arguments={"query": query}, call_id=f"call_{uuid.uuid4().hex[:8]}") as t:
        while True:
            attempts += 1
            if attempts == 1:  # the first call is rate limited, as real search APIs sometimes are
                time.sleep(0.01)
                continue
            results = [{"title": "Vector database", "url": "https://example.org/vector-db"}]
            t.update(result=results, retry_count=attempts - 1)
            return results


def draft_answer(question: str, documents, results) -> str:
    context = "\n".join([d["content"] for d in documents] + [r["title"] for r in results])
    messages = [{"role": "system", "content": f"Answer from this context:\n{context}"},
                {"role": "user", "content": question}]
    with trackly.generation("draft_llm", model=model.name, input=messages, prompt_name="research-answer",
                            prompt_version=2) as gen:
        text, usage = model.complete(messages)
        gen.update(output=[{"role": "assistant", "content": text}], usage=usage)
    return text


def main() -> None:
    question = sys.argv[1] if len(sys.argv) > 1 else "How do vector databases index embeddings?"
    with trackly.trace(name="research_agent_run", session_id=f"session-{uuid.uuid4().hex[:6]}", user_id="user_123",
                       tags=["example"], metadata={"channel": "cli"}, input={"question": question}) as run:
        query = rewrite_question(question)
        with trackly.span("retrieve_context", metadata={"source": "knowledge-base"}):
            documents = retrieve_context(query)
        with trackly.step("search_web"):
            results = web_search(query)
        with trackly.step("draft_answer", metadata={"documents": len(documents)}):
            answer = draft_answer(question, documents, results)
        run.update(output={"answer": answer})
    ok = trackly.shutdown(timeout=10)
    print(answer)
    print(f"trace: {run.trace_url}" + ("" if ok and trackly.failed_spans == 0 else
                                       "  (export failed: is the server running and TRACKLY_API_KEY set?)"))


if __name__ == "__main__":
    main()
