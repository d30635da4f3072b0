// A small badge per observation type (text, not images: nothing to load, nothing to inject).
const kIcons: Record<string, [string, string]> = {
  generation: ['G', 'generation (model call)'],
  embedding: ['E', 'embedding'],
  tool: ['T', 'tool call'],
  retriever: ['R', 'retrieval'],
  reranker: ['K', 'reranker'],
  agent: ['A', 'agent'],
  chain: ['C', 'chain'],
  evaluator: ['V', 'evaluator'],
  guardrail: ['D', 'guardrail'],
  event: ['•', 'event'],
  span: ['S', 'span'],
};

export function TypeIcon({ type }: { type: string }) {
  const [letter, title] = kIcons[type] ?? ['?', type];
  return <span className={`type-icon type-${kIcons[type] ? type : 'other'}`} title={title}>{letter}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`status status-${status === 'error' || status === 'timeout' ? 'bad' : status === 'ok' ? 'ok' : 'other'}`}>{status}</span>;
}

export function Problem({ error }: { error: Error }) {
  return <p className="error" role="alert">{error.message}</p>;
}
