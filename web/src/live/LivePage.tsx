// The Live page: the spans of the open project as they arrive (GET /api/v1/tail, a long poll),
// newest on top, the last kMaxRows kept, each linking to its trace. Filters live in the URL like
// the trace list's; Pause stops following and Resume goes on from where it stopped (spans that
// the server no longer keeps are counted as missed). The logic is in live.ts.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { getJson } from '../app/api';
import { Link, navigate } from '../app/router';
import { formatCost, formatDurationMs, formatTime, formatTokens } from '../shared/format';
import { Problem, StatusBadge, TypeIcon } from '../shared/TypeIcon';
import {
  addEntries, followTail, kLiveFilterKeys, kMaxRows, liveFiltersToQuery, parseLiveFilters, sleep,
  type LiveFilterKey, type LiveFilters, type LiveRow, type TailAnswer,
} from './live';

const kLabels: Record<LiveFilterKey, string> = {
  type: 'Type', name: 'Name', trace_name: 'Trace name', model: 'Model', status: 'Status',
  environment: 'Environment', release: 'Release', user_id: 'User', session_id: 'Session',
  min_latency_ms: 'Min latency (ms)', min_cost: 'Min cost ($)',
};
const kTypes = ['', 'span', 'generation', 'embedding', 'tool', 'retriever', 'reranker', 'agent', 'chain', 'evaluator',
  'guardrail', 'event'];

function FilterForm({ filters }: { filters: LiveFilters }) {
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const query = liveFiltersToQuery(parseLiveFilters(new FormData(e.currentTarget)));
    navigate(query ? `/live?${query}` : '/live');
  };
  return (
    <form className="filters" onSubmit={submit}>
      <div className="filter-row">
        {kLiveFilterKeys.map((key) => (
          <label key={key}>
            <span>{kLabels[key]}</span>
            {key === 'type' || key === 'status' ? (
              <select name={key} defaultValue={filters[key] ?? ''} onChange={(e) => e.currentTarget.form?.requestSubmit()}>
                {(key === 'type' ? kTypes : ['', 'ok', 'error']).map((v) => <option key={v} value={v}>{v || 'any'}</option>)}
              </select>
            ) : (
              <input name={key} defaultValue={filters[key] ?? ''} />
            )}
          </label>
        ))}
        <div className="filter-buttons">
          <button type="submit">Apply</button>
          <button type="button" onClick={() => navigate('/live')}>Clear</button>
        </div>
      </div>
    </form>
  );
}

interface Shown {
  rows: LiveRow[];
  missed: number;  // spans the server no longer kept when asked (fell behind, paused)
}

export function LivePage({ search }: { search: string }) {
  const filters = parseLiveFilters(new URLSearchParams(search));
  const query = liveFiltersToQuery(filters);
  const [paused, setPaused] = useState(false);
  const [shown, setShown] = useState<Shown>({ rows: [], missed: 0 });
  const [error, setError] = useState<{ error: Error; retryMs: number | null } | null>(null);
  const [following, setFollowing] = useState(false);
  const after = useRef<number | null>(null);  // where to go on from, kept across a pause
  const followed = useRef<string | null>(null);  // the filters `after` and the rows belong to

  useEffect(() => {
    if (followed.current !== query) {
      followed.current = query;
      after.current = null;
      setShown({ rows: [], missed: 0 });
    }
    if (paused) return;
    const controller = new AbortController();
    void followTail({
      filters, after: after.current, signal: controller.signal,
      fetch: (path, signal) => getJson<TailAnswer>(path, signal),
      sleep,
      onAnswer: (answer) => {
        after.current = answer.next;
        setFollowing(true);
        setError(null);
        if (answer.data.length > 0 || answer.dropped > 0) {
          setShown((s) => ({ rows: addEntries(s.rows, answer.data), missed: s.missed + answer.dropped }));
        }
      },
      onError: (e, retryMs) => {
        setFollowing(false);
        setError({ error: e instanceof Error ? e : new Error(String(e)), retryMs });
      },
    });
    return () => { controller.abort(); setFollowing(false); };
  }, [paused, query]); // `filters` is a new object per render; `query` is its identity

  return (
    <section>
      <div className="list-head">
        <h1>Live</h1>
        <span className="live" title="Spans appear here as the server receives them">
          {following && !paused && <span className="live-dot" />}
          {paused ? 'paused' : following ? 'following' : 'connecting…'}
        </span>
        <button onClick={() => setPaused((p) => !p)}>{paused ? 'Resume' : 'Pause'}</button>
        <button className="link" onClick={() => setShown({ rows: [], missed: 0 })}>Clear rows</button>
      </div>
      <FilterForm key={query} filters={filters} />
      {error && (
        <div>
          <Problem error={error.error} />
          {error.retryMs !== null && <p className="muted small">Trying again in {Math.round(error.retryMs / 1000)} s.</p>}
        </div>
      )}
      {shown.missed > 0 && (
        <p className="muted">{shown.missed} {shown.missed === 1 ? 'span was' : 'spans were'} missed: the server no
          longer kept {shown.missed === 1 ? 'it' : 'them'} (paused, or too many arrived at once).</p>
      )}
      <table className="list live-table">
        <thead>
          <tr>
            <th>Time</th><th>Type</th><th>Name</th><th>Trace</th><th>Model</th><th className="num">Latency</th>
            <th className="num">Tokens</th><th className="num">Cost</th><th>Status</th><th>Input → output</th>
          </tr>
        </thead>
        <tbody>
          {shown.rows.map(({ key, entry: e }) => (
            <tr key={key} className={e.status === 'error' || e.level === 'ERROR' ? 'row-error' : ''}>
              <td className="nowrap">{formatTime(e.start_time)}</td>
              <td>{e.type ? <TypeIcon type={e.type} /> : <span className="muted small">update</span>}</td>
              <td>{e.name ?? <span className="muted">{e.id}</span>}</td>
              <td>{e.trace_id
                ? <Link to={`/traces/${encodeURIComponent(e.trace_id)}`} className="trace-link">{e.trace_name || e.trace_id.slice(0, 8)}</Link>
                : ''}</td>
              <td>{e.model ?? ''}</td>
              <td className="num">{e.latency_ms === null ? (e.end_time === null && e.start_time ? 'open' : '–') : formatDurationMs(e.latency_ms)}</td>
              <td className="num">{formatTokens(e.usage.total_tokens || e.usage.input_tokens + e.usage.output_tokens)}</td>
              <td className="num">{formatCost(e.cost.total)}</td>
              <td><StatusBadge status={e.status} /></td>
              <td className="small">{[e.input_preview, e.output_preview].filter((p) => p).join(' → ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.rows.length === 0 && !error && <p className="empty">{paused ? 'Paused.' : 'Waiting for spans…'}</p>}
      {shown.rows.length === kMaxRows && <p className="muted small">Showing the newest {kMaxRows} spans.</p>}
    </section>
  );
}
