// The JSON shapes of the query API (docs/api.md, docs/data-model.md). Every string in them came
// from a traced application and is hostile: render it as text only.

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
}

export interface Cost {
  input: number;
  output: number;
  total: number;
  currency: string;
  source: 'provided' | 'computed' | null;
  price_id?: string;
  note?: string;
  cache_savings?: number;
}

export type ObservationType =
  | 'span' | 'generation' | 'embedding' | 'tool' | 'retriever' | 'reranker' | 'agent' | 'chain'
  | 'evaluator' | 'guardrail' | 'event';

export type Status = 'ok' | 'error' | 'timeout' | 'cancelled' | 'skipped' | 'unset';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Observation {
  id: string;
  trace_id: string;
  parent_id: string | null;
  name: string;
  type: ObservationType | string;
  status: Status | string;
  status_message: string | null;
  error_type: string | null;
  level: string;
  start_time: string;
  end_time: string | null;
  latency_ms: number | null;
  completion_start_time: string | null;
  model: string | null;
  provider: string | null;
  model_parameters: Record<string, Json>;
  usage: Usage;
  cost: Cost;
  input: Json;
  output: Json;
  metadata: Record<string, Json>;
  attributes: Record<string, Json>;
  events: { name: string; time: string; attributes: Record<string, Json> }[];
  prompt: { name: string; version: Json } | null;
  tool: { name: string | null; call_id: string | null } | null;
  environment: string | null;
  release: string | null;
  service_name: string | null;
  retry_count?: number;
  redactions?: number; // secrets and personal data the server replaced (docs/security.md); absent when none
  payload_expired?: boolean; // the project's retention removed the payload (docs/security.md "Retention"); absent while kept
}

// An observation as a summary page lists it (GET /api/v1/traces/{id}/observations?fields=summary):
// no payloads, and `stored_bytes`, the size of the full observation GET …/observations/{id} returns.
export type ObservationSummary = Omit<
  Observation,
  'status_message' | 'model_parameters' | 'input' | 'output' | 'metadata' | 'attributes' | 'events' | 'service_name'
> & { stored_bytes?: number };

// GET /api/v1/traces/{id}/observations; `trace` comes with the first page only.
export interface ObservationPage {
  data: ObservationSummary[];
  next_cursor: string | null;
  trace?: Trace;
}

// How many observations of each kind a trace (or the traces of a session) holds.
export interface Counts {
  observations: number;
  generations: number;
  tool_calls: number;
  retrievals: number;
  errors: number;
  retries: number;
}

export interface Trace {
  id: string;
  name: string;
  start_time: string;
  end_time: string;
  latency_ms: number;
  status: Status | string;
  session_id: string | null;
  user_id: string | null;
  feature: string | null;
  environment: string | null;
  release: string | null;
  tags: string[];
  metadata: Record<string, Json>;
  input: Json;
  output: Json;
  counts: Counts;
  usage: Usage;
  cost: Cost;
  models?: string[];
  complete?: boolean;
}

export interface Session {
  id: string;
  trace_count: number;
  first_time: string;
  last_time: string;
  user_id: string | null;
  counts: Counts; // summed over the session's traces
  usage: Usage;
  cost: Cost;
  error_count: number; // traces with status error
}

// An evaluation of a trace or of one of its observations (Langfuse scores, LangSmith feedback).
export interface Score {
  id: string;
  trace_id: string;
  observation_id: string | null;
  name: string;
  value: number | string | boolean;
  comment: string | null;
  source: string | null;
  time: string | null;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface TraceDetail {
  trace: Trace;
  observations: Observation[];
  scores: Score[]; // newest first
}

export interface SessionDetail {
  session: Session;
  traces: Trace[];
}

// GET /api/v1/traces/{id}/insight (docs/api.md, docs/insight.md).
export interface TraceInsight {
  trace_id: string;
  profile: {
    observations: number;
    model_calls: number;
    tool_calls: number;
    retrievals: number;
    retries: number;
    errors: number;
    max_depth: number;
    planning_iterations: number;
    stop_reason: 'final_answer' | 'error' | 'max_iterations' | 'token_limit' | 'cancelled' | 'unknown';
    stop_observation_id: string | null;
    stop_evidence: string;
  };
  critical_path: { observation_id: string | null; start: string; end: string; duration_ms: number }[];
  self_ms: Record<string, number>;
  findings: { kind: string; message: string; observation_ids: string[] }[];
}

// GET /api/v1/traces/{id}/diff (docs/api.md).
export interface DiffTotals {
  steps: number;
  latency_ms: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cost: number;
  errors: number;
}

export interface DiffLine {
  op: 'same' | 'removed' | 'added' | 'omitted';
  text: string;
}

export interface DiffStep {
  kind: 'same' | 'changed' | 'added' | 'removed';
  key: string;
  depth: number;
  parent: number | null;
  a: { id: string; name: string } | null;
  b: { id: string; name: string } | null;
  changes: string[];
  latency_delta_ms: number;
  tokens_delta: { input: number; output: number; total: number };
  cost_delta: number;
  status: [string, string];
  model: [string, string];
  input_diff?: DiffLine[];
  output_diff?: DiffLine[];
}

export interface TraceDiff {
  a: { trace_id: string; name: string; typical_of?: number; totals: DiffTotals };
  b: { trace_id: string; name: string; typical_of?: number; totals: DiffTotals };
  counts: { same: number; changed: number; added: number; removed: number };
  steps: DiffStep[];
}
