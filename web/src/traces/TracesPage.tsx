// The trace list: filters (in the URL, so a filtered list is a shareable link) and a table that
// pages with the API's cursor ("Load more").
import { useEffect, useState, type FormEvent } from 'react';
import { getJson } from '../app/api';
import { Link, navigate } from '../app/router';
import { formatCost, formatDurationMs, formatTime, formatTokens } from '../shared/format';
import type { Page, Trace } from '../shared/model';
import { Problem, StatusBadge } from '../shared/TypeIcon';
import { filtersToQuery, parseFilters, type TraceFilterKey, type TraceFilters } from './filters';

const kPageSize = 50;

const kFilterFields: { key: TraceFilterKey; label: string; placeholder?: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'user_id', label: 'User' },
  { key: 'session_id', label: 'Session' },
  { key: 'tag', label: 'Tag' },
  { key: 'model', label: 'Model' },
  { key: 'environment', label: 'Environment' },
  { key: 'release', label: 'Release' },
  { key: 'min_latency_ms', label: 'Min latency (ms)' },
  { key: 'min_cost', label: 'Min cost ($)' },
  { key: 'from', label: 'From', placeholder: '2026-11-22T00:00:00Z' },
  { key: 'to', label: 'To', placeholder: '2026-11-23T00:00:00Z' },
];
const kStatuses = ['', 'ok', 'error', 'timeout', 'cancelled', 'skipped', 'unset'];

function FilterForm({ filters }: { filters: TraceFilters }) {
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const next: TraceFilters = {};
    for (const [key, value] of data.entries()) next[key as TraceFilterKey] = String(value);
    const query = filtersToQuery(next);
    navigate(query ? `/traces?${query}` : '/traces');
  };
  return (
    <form className="filters" onSubmit={submit}>
      {kFilterFields.map(({ key, label, placeholder }) => (
        <label key={key}>
          <span>{label}</span>
          <input name={key} defaultValue={filters[key] ?? ''} placeholder={placeholder} />
        </label>
      ))}
      <label>
        <span>Status</span>
        <select name="status" defaultValue={filters.status ?? ''}>
          {kStatuses.map((s) => <option key={s} value={s}>{s || 'any'}</option>)}
        </select>
      </label>
      <div className="filter-buttons">
        <button type="submit">Apply</button>
        <button type="button" onClick={() => navigate('/traces')}>Clear</button>
      </div>
    </form>
  );
}

interface ListState {
  traces: Trace[];
  cursor: string | null;
  loading: boolean;
  error: Error | null;
}

export function TracesPage({ search }: { search: string }) {
  const filters = parseFilters(search);
  const query = filtersToQuery(filters);
  const [list, setList] = useState<ListState>({ traces: [], cursor: null, loading: true, error: null });

  const load = (cursor: string | null, append: boolean, signal?: AbortSignal) => {
    setList((l) => ({ ...l, loading: true, error: null }));
    const params = filtersToQuery(filters, cursor);
    getJson<Page<Trace>>(`/api/v1/traces?limit=${kPageSize}${params ? `&${params}` : ''}`, signal).then(
      (page) => setList((l) => ({
        traces: append ? [...l.traces, ...page.data] : page.data, cursor: page.next_cursor, loading: false, error: null,
      })),
      (error: Error) => { if (!signal?.aborted) setList((l) => ({ ...l, loading: false, error })); },
    );
  };

  useEffect(() => {
    const controller = new AbortController();
    setList({ traces: [], cursor: null, loading: true, error: null });
    load(null, false, controller.signal);
    return () => controller.abort();
  }, [query]); // `query` is the filters' identity: reload exactly when it changes

  return (
    <section>
      <h1>Traces</h1>
      <FilterForm key={query} filters={filters} />
      {list.error && <Problem error={list.error} />}
      <table className="list traces-table">
        <thead>
          <tr>
            <th>Name</th><th>Start</th><th className="num">Latency</th><th>Status</th>
            <th className="num">Tokens</th><th className="num">Cost</th><th>User</th><th>Session</th>
            <th>Tags</th><th>Model</th>
          </tr>
        </thead>
        <tbody>
          {list.traces.map((t) => (
            <tr key={t.id} className={t.status === 'error' ? 'row-error' : ''}>
              <td><Link to={`/traces/${encodeURIComponent(t.id)}`} className="trace-link">{t.name || t.id}</Link></td>
              <td className="nowrap">{formatTime(t.start_time)}</td>
              <td className="num">{formatDurationMs(t.latency_ms)}</td>
              <td><StatusBadge status={t.status} /></td>
              <td className="num">{formatTokens(t.usage.total_tokens)}</td>
              <td className="num">{formatCost(t.cost.total)}</td>
              <td>{t.user_id ?? ''}</td>
              <td>{t.session_id ? <Link to={`/sessions/${encodeURIComponent(t.session_id)}`}>{t.session_id}</Link> : ''}</td>
              <td>{t.tags.map((tag) => <span key={tag} className="tag">{tag}</span>)}</td>
              <td>{(t.models ?? []).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && list.traces.length === 0 && !list.error && <p className="empty">No traces match.</p>}
      {list.loading && <p className="loading">Loading…</p>}
      {!list.loading && list.cursor && (
        <button className="load-more" onClick={() => load(list.cursor, true)}>Load more</button>
      )}
    </section>
  );
}
