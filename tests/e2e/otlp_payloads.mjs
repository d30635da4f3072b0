// Hand-built OTLP/JSON requests for tests that need exact control over the bytes on the wire.
import { randomBytes } from 'node:crypto';

export const hex = (bytes) => randomBytes(bytes).toString('hex');

// One span as OTLP/JSON. `overrides` replaces fields of the span.
export function jsonSpan({ traceId = hex(16), spanId = hex(8), parentSpanId, name = 'step', attrs = {}, ...overrides } = {}) {
  const now = BigInt(Date.now()) * 1000000n;
  return {
    traceId, spanId, ...(parentSpanId ? { parentSpanId } : {}), name, kind: 1,
    startTimeUnixNano: String(now - 5000000n), endTimeUnixNano: String(now),
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: v } : { stringValue: String(v) } })),
    ...overrides,
  };
}

export function jsonRequest(spans, serviceName = 'e2e') {
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
      scopeSpans: [{ scope: { name: 'trackly-e2e' }, spans }],
    }],
  };
}

// POSTs an OTLP/JSON request; returns {status, json, headers}.
export async function postJson(server, key, body, { path = '/v1/traces', headers = {} } = {}) {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers };
}
