// Reads the shapes the detail panel renders specially out of an observation's JSON: chat
// messages (normalized at ingest to [{role, content, tool_calls?, tool_call_id?}]), retrieval
// documents, and the trace totals. Anything else is shown in the JSON viewer. Pure.

import type { Json, Observation, Trace } from '../shared/model';
import { isError } from './fold';

export interface ToolCall {
  id: string | null;
  name: string;
  arguments: Json;
}

export interface ChatMessage {
  role: string;
  text: string | null; // the text content, parts joined
  parts: Json[]; // content parts that are not text (images, audio …), shown as JSON
  toolCalls: ToolCall[];
  toolCallId: string | null;
}

const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);

function textOfPart(part: Json): string | null {
  if (typeof part === 'string') return part;
  if (!isObject(part)) return null;
  if (part.type !== undefined && part.type !== 'text' && part.type !== 'input_text' && part.type !== 'output_text') return null;
  return str(part.text) ?? str(part.content);
}

// `value` as a conversation, or null when it is not a list of messages with roles.
export function asConversation(value: Json): ChatMessage[] | null {
  const list = isObject(value) && Array.isArray(value.messages) ? value.messages : value;
  if (!Array.isArray(list) || list.length === 0) return null;
  if (!list.every((m) => isObject(m) && typeof m.role === 'string')) return null;
  return list.map((m) => {
    const message = m as { [key: string]: Json };
    const content = message.content;
    let text: string | null = null;
    const parts: Json[] = [];
    if (typeof content === 'string') {
      text = content;
    } else if (Array.isArray(content)) {
      const texts: string[] = [];
      for (const part of content) {
        const partText = textOfPart(part);
        if (partText !== null) texts.push(partText); else parts.push(part);
      }
      text = texts.length ? texts.join('\n') : null;
    } else if (content !== null && content !== undefined) {
      parts.push(content);
    }
    const toolCalls: ToolCall[] = Array.isArray(message.tool_calls)
      ? message.tool_calls.filter(isObject).map((call) => {
          const fn = isObject(call.function) ? call.function : call;
          return { id: str(call.id), name: str(fn.name) ?? '?', arguments: fn.arguments ?? null };
        })
      : [];
    return { role: message.role as string, text, parts, toolCalls, toolCallId: str(message.tool_call_id) };
  });
}

export interface RetrievedDocument {
  id: string | null;
  content: string;
  score: number | null;
  metadata: Json;
}

// Retrieval results ([{content|page_content|text, score?, id?, metadata?}] or {documents: [...]}),
// or null when `value` does not look like a list of documents.
export function asDocuments(value: Json): RetrievedDocument[] | null {
  const list = isObject(value) && Array.isArray(value.documents) ? value.documents : value;
  if (!Array.isArray(list) || list.length === 0) return null;
  const docs: RetrievedDocument[] = [];
  for (const item of list) {
    if (!isObject(item)) return null;
    const content = str(item.content) ?? str(item.page_content) ?? str(item.text) ?? str(item.document);
    if (content === null) return null;
    const score = typeof item.score === 'number' ? item.score
      : typeof item.relevance_score === 'number' ? item.relevance_score : null;
    docs.push({ id: str(item.id), content, score, metadata: item.metadata ?? null });
  }
  return docs;
}

export interface Totals {
  latencyMs: number;
  tokens: number;
  cost: number;
  modelCalls: number;
  toolCalls: number;
  errors: number;
}

// The numbers on top of the trace view. Tokens and cost are the trace summary's (it counts each
// model call once even when wrapper spans repeat it, docs/data-model.md); the counts are of the
// observations shown in the tree.
export function traceTotals(trace: Trace, observations: Pick<Observation, 'type' | 'status' | 'level'>[]): Totals {
  let modelCalls = 0;
  let toolCalls = 0;
  let errors = 0;
  for (const obs of observations) {
    if (obs.type === 'generation' || obs.type === 'embedding') modelCalls++;
    if (obs.type === 'tool') toolCalls++;
    if (isError(obs)) errors++;
  }
  return {
    latencyMs: trace.latency_ms, tokens: trace.usage.total_tokens, cost: trace.cost.total,
    modelCalls, toolCalls, errors,
  };
}
