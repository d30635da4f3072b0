// The trace list: search, time range, sort and filters (all in the URL, so a filtered list is a
// shareable link), a table that pages with the API's cursor ("Load more"), and live updates
// while the first page is shown.
import { useEffect, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { getJson } from '../app/api';
import { Link, navigate } from '../app/router';
import { formatCost, formatDurationMs, formatTime, formatTokens } from '../shared/format';
import type { Page, Trace } from '../shared/model';
import { Problem, StatusBadge } from '../shared/TypeIcon';
import { apiQuery, filtersToQuery, parseFilters, readFilterForm, type TraceFilterKey, type TraceFilters } from './filters';
import { mergeNewest } from './live';
import { TimeRangeFields } from './TimeRangeFields';

const kPageSize = 50;

const kFilterFields: { key: TraceFilterKey; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'user_id', label: 'User' },
  { key: 'session_id', label: 'Session' },
  { key: 'tag', label: 'Tag' },
  { key: 'model', label: 'Model' },
  { key: 'environment', label: 'Environment' },
  { key: 'release', label: 'Release' },
  { key: 'min_latency_ms', label: 'Min latency (ms)' },
  { key: 'min_cost', label: 'Min cost ($)' },
  { key: 'score', label: 'Score name' },
  { key: 'score_min', label: 'Score ≥' },
  { key: 'score_max', label: 'Score ≤' },
  { key: 'score_value', label: 'Score value' },
];
const kStatuses = ['', 'ok', 'error', 'timeout', 'cancelled', 'skipped', 'unset'];
// The sort menu: "<sort>.<order>" (the API's sort and order) → label.
const kSortViews: [string, string][] = [
  ['start_time.desc', 'Newest first'], ['start_time.asc', 'Oldest first'],
  ['latency.desc', 'Slowest first'], ['latency.asc', 'Fastest first'],
  ['cost.desc', 'Most expensive first'], ['tokens.desc', 'Most tokens first'],
];
// New traces are looked for this often while the list shows its first page, newest first.
const kPollMs = 4000;

// Search, time range, sort and the field filters. Selects apply at once, text on Enter/Apply.
function FilterForm({ filters }: { filters: TraceFilters }) {
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const query = filtersToQuery(readFilterForm(new FormData(e.currentTarget)));
    navigate(query ? `/traces?${query}` : '/traces');
  };
  const submitNow = (e: ChangeEvent<HTMLSelectElement>) => e.currentTarget.form?.requestSubmit();
  return (
    <form className="filters" onSubmit={submit}>
      <div className="filter-row">
        <input className="search" type="search" name="q" defaultValue={filters.q ?? ''} aria-label="Search"
          placeholder="Search inputs and outputs…" />
        <TimeRangeFields filters={filters} anyTime />
        <label className="inline">
          <span>Sort</span>
          <select name="sort_view" defaultValue={`${filters.sort ?? 'start_time'}.${filters.order ?? 'desc'}`}
            aria-label="Sort" onChange={submitNow}>
            {kSortViews.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </label>
      </div>
      <div className="filter-row">
        {kFilterFields.map(({ key, label }) => (
          <label key={key}>
            <span>{label}</span>
            <input name={key} defaultValue={filters[key] ?? ''} />
          </label>
        ))}
        <label>
          <span>Status</span>
          <select name="status" defaultValue={filters.status ?? ''} onChange={submitNow}>
            {kStatuses.map((s) => <option key={s} value={s}>{s || 'any'}</option>)}
          </select>
        </label>
        <div className="filter-buttons">
          <button type="submit">Apply</button>
          <button type="button" onClick={() => navigate('/traces')}>Clear</button>
        </div>
      </div>
    </form>
  );
}

interface ListState {
  traces: Trace[];
  cursor: string | null;
  pages: number;
  base: string; // the API query of this list (a relative range resolved once), for later pages
  loading: boolean;
  error: Error | null;
}

const tracesUrl = (query: string) => `/api/v1/traces?limit=${kPageSize}${query ? `&${query}` : ''}`;

export function TracesPage({ search }: { search: string }) {
  const filters = parseFilters(search);
  const query = filtersToQuery(filters);
  const [list, setList] = useState<ListState>({ traces: [], cursor: null, pages: 0, base: '', loading: true, error: null });
  const [live, setLive] = useState(true);
  const [waiting, setWaiting] = useState<Trace[] | null>(null); // a polled page held while scrolled down
  const section = useRef<HTMLElement>(null);
  const tracesRef = useRef(list.traces);
  tracesRef.current = list.traces;

  useEffect(() => {
    const controller = new AbortController();
    const base = apiQuery(filters, Date.now());
    setList({ traces: [], cursor: null, pages: 0, base, loading: true, error: null });
    setWaiting(null);
    getJson<Page<Trace>>(tracesUrl(base), controller.signal).then(
      (page) => setList({ traces: page.data, cursor: page.next_cursor, pages: 1, base, loading: false, error: null }),
      (error: Error) => { if (!controller.signal.aborted) setList((l) => ({ ...l, loading: false, error })); },
    );
    return () => controller.abort();
  }, [query]); // `query` is the filters' identity: reload exactly when it changes

  const loadMore = () => {
    setList((l) => ({ ...l, loading: true, error: null }));
    const params = new URLSearchParams(list.base);
    params.set('cursor', list.cursor ?? '');
    getJson<Page<Trace>>(tracesUrl(params.toString())).then(
      (page) => setList((l) => ({ ...l, traces: [...l.traces, ...page.data], cursor: page.next_cursor, pages: l.pages + 1, loading: false })),
      (error: Error) => setList((l) => ({ ...l, loading: false, error })),
    );
  };

  // Live updates: poll the first page and merge. New rows go on top only while the reader is at
  // the top; further down they wait behind a button, so nothing moves under the reader.
  // Live updates only make sense where new traces go: on top of the newest-first list.
  const polling = live && list.pages === 1 && filters.order !== 'asc' && !filters.sort;
  useEffect(() => {
    if (!polling) return;
    const controller = new AbortController();
    let busy = false;
    const timer = window.setInterval(() => {
      if (busy || document.hidden) return;
      busy = true;
      getJson<Page<Trace>>(tracesUrl(apiQuery(filters, Date.now())), controller.signal).then((page) => {
        busy = false;
        const scroller = section.current?.closest('main');
        const atTop = !scroller || scroller.scrollTop < 8;
        const shown = new Set(tracesRef.current.map((t) => t.id));
        const hasNew = page.data.some((t) => !shown.has(t.id));
        // Scrolled down: update the rows shown in place and hold the new ones.
        const merge = hasNew && !atTop ? page.data.filter((t) => shown.has(t.id)) : page.data;
        if (hasNew && !atTop) setWaiting(page.data);
        setList((l) => ({ ...l, traces: mergeNewest(l.traces, merge).list }));
      }, () => { busy = false; });
    }, kPollMs);
    return () => { controller.abort(); window.clearInterval(timer); };
  }, [polling, query]); // `filters` is a new object per render; `query` is its identity

  const waitingCount = waiting ? mergeNewest(list.traces, waiting).added : 0;
  const showWaiting = () => {
    if (waiting) setList((l) => ({ ...l, traces: mergeNewest(l.traces, waiting).list }));
    setWaiting(null);
    section.current?.closest('main')?.scrollTo({ top: 0 });
  };

  return (
    <section ref={section}>
      <div className="list-head">
        <h1>Traces</h1>
        <label className="live" title="Look for new traces every few seconds while the first page is shown, newest first">
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} /> Live
          {polling && <span className="live-dot" />}
        </label>
        {waitingCount > 0 && <button className="new-traces" onClick={showWaiting}>{waitingCount} new {waitingCount === 1 ? 'trace' : 'traces'} ↑</button>}
      </div>
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
        <button className="load-more" onClick={loadMore}>Load more</button>
      )}
    </section>
  );
}
