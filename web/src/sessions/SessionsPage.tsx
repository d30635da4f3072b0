// Sessions, most recently active first, paged with the API's cursor.
import { useEffect, useState } from 'react';
import { getJson } from '../app/api';
import { Link } from '../app/router';
import { formatCost, formatTime, formatTokens } from '../shared/format';
import type { Page, Session } from '../shared/model';
import { Problem } from '../shared/TypeIcon';

export function SessionsPage() {
  const [sessions, setSessions] = useState<Session[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);

  const load = (from: string | null, signal?: AbortSignal) => {
    setLoading(true);
    getJson<Page<Session>>(`/api/v1/sessions?limit=50${from ? `&cursor=${encodeURIComponent(from)}` : ''}`, signal).then(
      (page) => { setSessions((s) => (from ? [...s, ...page.data] : page.data)); setCursor(page.next_cursor); setLoading(false); },
      (e: Error) => { if (!signal?.aborted) { setError(e); setLoading(false); } },
    );
  };
  useEffect(() => {
    const controller = new AbortController();
    load(null, controller.signal);
    return () => controller.abort();
  }, []);

  return (
    <section>
      <h1>Sessions</h1>
      {error && <Problem error={error} />}
      <table className="list sessions-table">
        <thead>
          <tr><th>Session</th><th>User</th><th className="num">Traces</th><th>First</th><th>Last</th>
            <th className="num">Model calls</th><th className="num">Tool calls</th><th className="num">Tokens</th><th className="num">Cost</th><th className="num">Errors</th></tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id} className={s.error_count > 0 ? 'row-error' : ''}>
              <td><Link to={`/sessions/${encodeURIComponent(s.id)}`}>{s.id}</Link></td>
              <td>{s.user_id ?? ''}</td>
              <td className="num">{s.trace_count}</td>
              <td className="nowrap">{formatTime(s.first_time)}</td>
              <td className="nowrap">{formatTime(s.last_time)}</td>
              <td className="num">{s.counts.generations}</td>
              <td className="num">{s.counts.tool_calls}</td>
              <td className="num">{formatTokens(s.usage.total_tokens)}</td>
              <td className="num">{formatCost(s.cost.total)}</td>
              <td className="num">{s.error_count}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && sessions.length === 0 && !error && <p className="empty">No sessions yet.</p>}
      {loading && <p className="loading">Loading…</p>}
      {!loading && cursor && <button className="load-more" onClick={() => load(cursor)}>Load more</button>}
    </section>
  );
}
