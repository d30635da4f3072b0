// The project's audit log (docs/api.md "Audit log"), newest first, paged with the API's cursor and
// filtered by action, actor or target (all kept in the URL, so a filtered view is a link). Needs
// the admin scope.
import { useEffect, useState, type FormEvent } from 'react';
import { getJson } from '../app/api';
import { navigate } from '../app/router';
import { formatTime } from '../shared/format';
import type { Page } from '../shared/model';
import { Problem } from '../shared/TypeIcon';

interface AuditEvent {
  id: number; time: string; project: string; actor: string; action: string; target: string;
  details: Record<string, unknown>;
}

const kFilters = ['action', 'actor', 'target'] as const;

// "key: value, …" of an event's details, as text.
function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

export function AuditPage({ search }: { search: string }) {
  const params = new URLSearchParams(search);
  const [form, setForm] = useState<Record<string, string>>(
    Object.fromEntries(kFilters.map((f) => [f, params.get(f) ?? ''])));
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);

  const query = new URLSearchParams();
  for (const f of kFilters) if (params.get(f)) query.set(f, params.get(f) as string);
  const load = (from: string | null, signal?: AbortSignal) => {
    setLoading(true);
    const q = new URLSearchParams(query);
    q.set('limit', '100');
    if (from) q.set('cursor', from);
    getJson<Page<AuditEvent>>(`/api/v1/audit?${q.toString()}`, signal).then(
      (page) => { setEvents((e) => (from ? [...e, ...page.data] : page.data)); setCursor(page.next_cursor); setLoading(false); },
      (e: Error) => { if (!signal?.aborted) { setError(e); setLoading(false); } },
    );
  };
  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    load(null, controller.signal);
    return () => controller.abort();
  }, [search]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const f of kFilters) if (form[f].trim()) next.set(f, form[f].trim());
    navigate(`/audit${next.toString() ? `?${next.toString()}` : ''}`);
  };

  return (
    <section>
      <h1>Audit log</h1>
      <p className="muted">Who changed keys, members and prices, who signed in, and who viewed which trace.</p>
      <form className="filters" onSubmit={apply}>
        <div className="filter-row">
          {kFilters.map((f) => (
            <label key={f}>{f[0].toUpperCase() + f.slice(1)}
              <input value={form[f]} onChange={(e) => setForm({ ...form, [f]: e.target.value })} aria-label={`Audit ${f}`}
                placeholder={f === 'action' ? 'trace.view' : f === 'actor' ? 'user:olga' : ''} />
            </label>
          ))}
          <div className="filter-buttons"><button type="submit">Apply</button></div>
        </div>
      </form>
      {error && <Problem error={error} />}
      <table className="list audit-table">
        <thead><tr><th>Time</th><th>Actor</th><th>Action</th><th>Target</th><th>Details</th></tr></thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id}>
              <td className="nowrap">{formatTime(e.time)}</td>
              <td>{e.actor}</td>
              <td><code>{e.action}</code></td>
              <td className="clip">{e.target}</td>
              <td className="clip">{detailsText(e.details)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && events.length === 0 && !error && <p className="empty">No events.</p>}
      {loading && <p className="loading">Loading…</p>}
      {!loading && cursor && <button className="load-more" onClick={() => load(cursor)}>Load more</button>}
    </section>
  );
}
