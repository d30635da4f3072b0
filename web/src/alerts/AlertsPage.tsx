// The project's alert rules with their state and last value, and the recent alert events with
// their webhook deliveries (docs/api.md "Alerts"). Read-only: rules are set with
// PUT /api/v1/alerts or `trackly alerts set`.
import { useEffect, useState } from 'react';
import { useApi } from '../app/api';
import { formatTime } from '../shared/format';
import { Problem } from '../shared/TypeIcon';
import {
  formatCondition, formatDelivery, formatMetric, formatValue, measureOf, measuresByRule, stateClass,
  type AlertEvent, type AlertsAnswer,
} from './alerts';

// How often the page reads the rules and events again while open.
const kRefreshMs = 30_000;

export function AlertsPage() {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => setVersion((v) => v + 1), kRefreshMs);
    return () => window.clearInterval(timer);
  }, []);
  const alerts = useApi<AlertsAnswer>('/api/v1/alerts', version);
  const events = useApi<{ data: AlertEvent[] }>('/api/v1/alerts/events?limit=100', version);
  const rules = alerts.state === 'done' ? alerts.data.rules : [];
  const measures = measuresByRule(rules);

  return (
    <section>
      <div className="list-head">
        <h1>Alerts</h1>
        <button className="link" onClick={() => setVersion((v) => v + 1)}>Refresh</button>
      </div>
      <p className="muted">
        Rules on the project&apos;s metrics, evaluated by the server
        {alerts.state === 'done' && <> every {alerts.data.interval_s} s</>}; a rule that starts or stops breaking its
        condition is sent to its webhook. Set them with <code>PUT /api/v1/alerts</code> or <code>trackly alerts set</code>.
      </p>
      {alerts.state === 'error' && <Problem error={alerts.error} />}
      {alerts.state === 'loading' && <p className="loading">Loading…</p>}
      {alerts.state === 'done' && rules.length === 0 && <p className="empty">No alert rules.</p>}
      {rules.length > 0 && (
        <table className="list alerts-table">
          <thead>
            <tr><th>Rule</th><th>State</th><th>Last value</th><th>Condition</th><th>Metric</th><th>Webhook</th></tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.name}>
                <td>{r.name}</td>
                <td className="nowrap">
                  <span className={stateClass(r.status.state)}>{r.status.state}</span>
                  {r.status.since && <span className="muted small"> since {formatTime(r.status.since)}</span>}
                </td>
                <td className="nowrap" title={r.status.evaluated ? `read ${formatTime(r.status.evaluated)}, ${r.status.count} in the window` : ''}>
                  {formatValue(measureOf(r.metric), r.status.value)}
                  {r.status.note && <div className="muted small">{r.status.note}</div>}
                </td>
                <td>{formatCondition(r)}</td>
                <td>{formatMetric(r.metric)}</td>
                <td className="clip">{r.webhook}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Recent events</h2>
      {events.state === 'error' && <Problem error={events.error} />}
      {events.state === 'done' && events.data.data.length === 0 && <p className="empty">No alert has fired yet.</p>}
      {events.state === 'done' && events.data.data.length > 0 && (
        <table className="list alert-events-table">
          <thead><tr><th>Time</th><th>Rule</th><th>State</th><th>Value</th><th>Threshold</th><th>Delivery</th></tr></thead>
          <tbody>
            {events.data.data.map((e) => {
              const measure = measures.get(e.alert) ?? '';
              return (
                <tr key={e.id}>
                  <td className="nowrap">{formatTime(e.time)}</td>
                  <td>{e.alert}</td>
                  <td><span className={stateClass(e.state)}>{e.state}</span></td>
                  <td>{formatValue(measure, e.value)}</td>
                  <td>{formatValue(measure, e.threshold)}</td>
                  <td className={e.delivery === 'failed' ? 'error' : ''}>{formatDelivery(e)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
