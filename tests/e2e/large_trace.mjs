// One large agent trace as OTLP/JSON requests (OpenInference conventions), for the large-trace
// browser test and bench/ui_large_trace.mjs. Shape: a root agent span, then turns; each turn is
// a chain span holding a model call and two tool calls, the first tool with a retrieval under it
// (5 spans a turn, 4 levels deep). Names are unique per turn so the tree folds nothing, and every
// model call's input names its turn ("question 17") so a test can look for one.
import { hex, jsonRequest, postJson } from './otlp_payloads.mjs';

const kSpansPerTurn = 5;

function attrsOf(map) {
  return Object.entries(map).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: v } : { stringValue: String(v) } }));
}

// The OTLP spans of a trace of about `spanCount` spans (1 + 5 per turn), times in the last hour.
export function agentTraceSpans(spanCount, traceId = hex(16)) {
  const turns = Math.max(1, Math.floor((spanCount - 1) / kSpansPerTurn));
  const startNs = (BigInt(Date.now()) - 3_600_000n) * 1_000_000n;
  const ms = (n) => String(startNs + BigInt(Math.round(n * 1_000_000)));
  const spans = [];
  const span = (spanId, parentSpanId, name, begin, end, attrs) => spans.push({
    traceId, spanId, ...(parentSpanId ? { parentSpanId } : {}), name, kind: 1,
    startTimeUnixNano: ms(begin), endTimeUnixNano: ms(end), attributes: attrsOf(attrs),
  });
  const root = hex(8);
  span(root, null, 'support-agent', 0, turns * 10 + 1, {
    'openinference.span.kind': 'AGENT', 'input.value': 'Where is my order?', 'output.value': 'It ships tomorrow.',
  });
  for (let t = 0; t < turns; t++) {
    const at = t * 10 + 0.5;
    const turn = hex(8);
    const llm = hex(8);
    const search = hex(8);
    span(turn, root, `turn ${t}`, at, at + 9, { 'openinference.span.kind': 'CHAIN' });
    span(llm, turn, `plan ${t}`, at + 0.1, at + 4, {
      'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o-mini',
      'input.value': JSON.stringify([{ role: 'system', content: 'You are a helpful support agent. '.repeat(8) },
                                     { role: 'user', content: `question ${t}: where is order ${1000 + t}?` }]),
      'output.value': `Let me look up order ${1000 + t}.`,
      'llm.token_count.prompt': 120 + (t % 50), 'llm.token_count.completion': 20,
    });
    span(search, turn, `search ${t}`, at + 4.1, at + 6, {
      'openinference.span.kind': 'TOOL', 'tool.name': 'search',
      'input.value': JSON.stringify({ query: `order ${1000 + t}` }), 'output.value': '{"hits":3}',
    });
    span(hex(8), search, `retrieve ${t}`, at + 4.2, at + 5.5, {
      'openinference.span.kind': 'RETRIEVER', 'input.value': `order ${1000 + t}`,
    });
    span(hex(8), turn, `lookup ${t}`, at + 6.1, at + 8.9, {
      'openinference.span.kind': 'TOOL', 'tool.name': 'lookup', 'input.value': `{"order":${1000 + t}}`,
      'output.value': '{"status":"packed"}',
    });
  }
  return { traceId, spans, turns };
}

// Sends the spans in requests of `batch` spans (kept well under the server's body limit).
export async function ingestSpans(server, key, spans, batch = 2000) {
  for (let i = 0; i < spans.length; i += batch) {
    const { status, text } = await postJson(server, key, jsonRequest(spans.slice(i, i + batch), 'support-bot'));
    if (status !== 200) throw new Error(`ingest answered ${status}: ${text}`);
  }
}
