// One session as its traces in order: each turn with its input, output, latency and cost.
import { useApi } from '../app/api';
import { Link } from '../app/router';
import { JsonView } from '../shared/JsonView';
import { LongText } from '../shared/Markdown';
import { formatCost, formatDurationMs, formatTime, formatTokens } from '../shared/format';
import type { Json, SessionDetail } from '../shared/model';
import { Problem, StatusBadge } from '../shared/TypeIcon';

function Value({ value }: { value: Json }) {
  if (value === null) return <span className="muted">–</span>;
  if (typeof value === 'string') return <LongText text={value} markdown />;
  return <JsonView value={value} openDepth={1} />;
}

export function SessionPage({ sessionId }: { sessionId: string }) {
  const result = useApi<SessionDetail>(`/api/v1/sessions/${encodeURIComponent(sessionId)}`);
  if (result.state === 'loading') return <p className="loading">Loading session…</p>;
  if (result.state === 'error') return <Problem error={result.error} />;
  const { session, traces } = result.data;
  return (
    <section>
      <h1>Session <span>{session.id}</span></h1>
      <p className="muted">
        {session.trace_count} traces · {formatTime(session.first_time)} – {formatTime(session.last_time)}
        {session.user_id && <> · user {session.user_id}</>} · {session.counts.generations} model calls ·{' '}
        {session.counts.tool_calls} tool calls · {session.counts.retrievals} retrievals · {session.counts.retries} retries ·{' '}
        {formatTokens(session.usage.total_tokens)} tokens ·{' '}
        {formatCost(session.cost.total)} · {session.error_count} errors
      </p>
      <ol className="turns">
        {traces.map((t) => (
          <li key={t.id} className={`turn${t.status === 'error' ? ' row-error' : ''}`}>
            <div className="turn-head">
              <Link to={`/traces/${encodeURIComponent(t.id)}`}>{t.name || t.id}</Link>
              <StatusBadge status={t.status} />
              <span className="muted">{formatTime(t.start_time)} · {formatDurationMs(t.latency_ms)} ·{' '}
                {formatTokens(t.usage.total_tokens)} tokens · {formatCost(t.cost.total)}</span>
            </div>
            <div className="turn-io">
              <div><h3>Input</h3><Value value={t.input} /></div>
              <div><h3>Output</h3><Value value={t.output} /></div>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
