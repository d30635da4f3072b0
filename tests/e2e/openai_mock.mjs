// A small local stand-in for the OpenAI API, so the real clients in the client matrix make real
// HTTP calls without the network: POST /v1/chat/completions (plain and streamed) and
// POST /v1/embeddings, each answering with fixed token usage so the tests know the counts and the
// cost to expect.
//
// Behaviour the tests rely on:
// - the answered model is the requested one with a date suffix (`gpt-4o-mini` →
//   `gpt-4o-mini-2024-07-18`), as OpenAI does, so tests see which model attribute won;
// - a user message containing "FAIL" gets a 400 invalid_request_error (not retried by the SDKs);
// - a request offering tools whose messages hold no tool result yet gets one `get_weather` call;
// - a streamed answer carries usage only when stream_options.include_usage is set.
import { createServer } from 'node:http';

export const MOCK_USAGE = {
  chat: { prompt_tokens: 1200, completion_tokens: 300 },
  toolCall: { prompt_tokens: 900, completion_tokens: 40 },
  stream: { prompt_tokens: 1100, completion_tokens: 250 },
  embeddingPerInput: 64,
};
export const MOCK_ANSWER = 'Paris is the capital of France.';
export const MOCK_ERROR_MESSAGE = 'mock: the prompt asked for a failure';

// USD per 1M tokens, as in data/models/prices.json (the built-in catalog the server prices with).
export const PRICES_PER_MTOK = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
};

export function expectedCost(model, inputTokens, outputTokens) {
  const p = PRICES_PER_MTOK[model];
  return (inputTokens * p.input + outputTokens * p.output) / 1e6;
}

function datedModel(model) {
  return model.startsWith('gpt-') && !/\d{4}-\d{2}-\d{2}$/.test(model) ? `${model}-2024-07-18` : model;
}

function usageOf({ prompt_tokens, completion_tokens }) {
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens,
           prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };
}

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => p.text ?? '').join(' ');
  return '';
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

let counter = 0;

function chatCompletion(req, res, body) {
  const messages = body.messages ?? [];
  if (messages.some((m) => m.role === 'user' && textOf(m.content).includes('FAIL'))) {
    sendJson(res, 400, { error: { message: MOCK_ERROR_MESSAGE, type: 'invalid_request_error', param: 'messages', code: 'mock_failure' } });
    return;
  }
  const id = `chatcmpl-mock${++counter}`;
  const model = datedModel(body.model);
  const created = Math.floor(Date.now() / 1000);
  const wantsTool = Array.isArray(body.tools) && body.tools.length > 0 && !messages.some((m) => m.role === 'tool');
  const message = wantsTool
    ? { role: 'assistant', content: null,
        tool_calls: [{ id: 'call_mock_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }
    : { role: 'assistant', content: MOCK_ANSWER };
  const finishReason = wantsTool ? 'tool_calls' : 'stop';

  if (!body.stream) {
    sendJson(res, 200, {
      id, object: 'chat.completion', created, model, system_fingerprint: 'fp_mock',
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
      usage: usageOf(wantsTool ? MOCK_USAGE.toolCall : MOCK_USAGE.chat),
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (choices, extra = {}) =>
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_mock', choices, ...extra })}\n\n`);
  if (wantsTool) {
    chunk([{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, ...message.tool_calls[0] }] }, finish_reason: null }]);
  } else {
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    for (const piece of MOCK_ANSWER.match(/\S+\s*/g)) chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
  }
  chunk([{ index: 0, delta: {}, finish_reason: finishReason }]);
  if (body.stream_options?.include_usage) chunk([], { usage: usageOf(wantsTool ? MOCK_USAGE.toolCall : MOCK_USAGE.stream) });
  res.end('data: [DONE]\n\n');
}

function embeddings(req, res, body) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const tokens = inputs.length * MOCK_USAGE.embeddingPerInput;
  sendJson(res, 200, {
    object: 'list', model: body.model,
    data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, -0.2, 0.3, 0.05] })),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

// Starts the mock on a free loopback port. Resolves to {baseURL (…/v1), requests, close()}.
export function startOpenAIMock() {
  const requests = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { raw += d; });
    req.on('end', () => {
      let body = {};
      try { body = raw ? JSON.parse(raw) : {}; } catch {
        sendJson(res, 400, { error: { message: 'mock: body is not JSON', type: 'invalid_request_error' } });
        return;
      }
      requests.push({ method: req.method, path: req.url, body });
      const path = req.url.split('?')[0];
      if (req.method === 'POST' && path === '/v1/chat/completions') return chatCompletion(req, res, body);
      if (req.method === 'POST' && path === '/v1/embeddings') return embeddings(req, res, body);
      sendJson(res, 404, { error: { message: `mock: no route ${req.method} ${path}`, type: 'invalid_request_error' } });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        baseURL: `http://127.0.0.1:${port}/v1`,
        requests,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
      });
    });
  });
}
