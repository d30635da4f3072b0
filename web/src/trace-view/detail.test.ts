import { describe, expect, it } from 'vitest';
import { asConversation, asDocuments, traceTotals } from './detail';
import type { Trace } from '../shared/model';

describe('asConversation', () => {
  it('reads normalized messages with tool calls and tool results', () => {
    const conv = asConversation([
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', name: 'get_weather', arguments: { city: 'Oslo' } }] },
      { role: 'tool', content: '12°C', tool_call_id: 'c1' },
    ]);
    expect(conv).toHaveLength(3);
    expect(conv![1].toolCalls).toEqual([{ id: 'c1', name: 'get_weather', arguments: { city: 'Oslo' } }]);
    expect(conv![2]).toMatchObject({ role: 'tool', text: '12°C', toolCallId: 'c1' });
  });
  it('joins text parts and keeps other parts as JSON', () => {
    const conv = asConversation([{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'image_url', image_url: 'x' }, { type: 'text', text: 'b' }] }]);
    expect(conv![0].text).toBe('a\nb');
    expect(conv![0].parts).toEqual([{ type: 'image_url', image_url: 'x' }]);
  });
  it('reads OpenAI-style function tool calls', () => {
    const conv = asConversation({ messages: [{ role: 'assistant', tool_calls: [{ id: 'x', function: { name: 'f', arguments: '{}' } }] }] });
    expect(conv![0].toolCalls[0]).toEqual({ id: 'x', name: 'f', arguments: '{}' });
  });
  it.each([[null], ['text'], [[]], [[{ content: 'no role' }]], [{ a: 1 }]])('is null for %j', (value) => {
    expect(asConversation(value)).toBeNull();
  });
});

describe('asDocuments', () => {
  it('reads documents with scores', () => {
    expect(asDocuments({ documents: [{ id: 'd1', page_content: 'text', score: 0.9, metadata: { src: 'a' } }] }))
      .toEqual([{ id: 'd1', content: 'text', score: 0.9, metadata: { src: 'a' } }]);
  });
  it('is null when any item is not a document', () => {
    expect(asDocuments([{ content: 'a' }, 5])).toBeNull();
    expect(asDocuments('a')).toBeNull();
  });
});

describe('traceTotals', () => {
  it('counts model calls, tool calls and errors', () => {
    const trace = { latency_ms: 1200, usage: { total_tokens: 300 }, cost: { total: 0.5 } } as unknown as Trace;
    const totals = traceTotals(trace, [
      { type: 'generation', status: 'ok', level: 'DEFAULT' },
      { type: 'embedding', status: 'unset', level: 'DEFAULT' },
      { type: 'tool', status: 'error', level: 'DEFAULT' },
      { type: 'span', status: 'unset', level: 'ERROR' },
    ]);
    expect(totals).toEqual({ latencyMs: 1200, tokens: 300, cost: 0.5, modelCalls: 2, toolCalls: 1, errors: 2 });
  });
});
