// The dashboard's "What if" panel: what the calls of a model used in the range (A) would have
// cost at another model's prices (B), from GET /api/v1/metrics/what-if. A and B are in the
// dashboard URL (what_if_model, what_if_as); the logic is dashboard/whatif.ts.
import { useApi } from '../app/api';
import { navigate } from '../app/router';
import { Problem } from '../shared/TypeIcon';
import { dashboardUrl, kDashboardFilterKeys, type DashboardState, type MetricsAnswer, type TimeWindow } from './metrics';
import {
  priceChoices, usedModelOptions, usedModels, usedModelsPath, whatIfPath, whatIfRange, whatIfView,
  type PriceListEntry, type WhatIfAnswer,
} from './whatif';

function Result({ path }: { path: string }) {
  const result = useApi<WhatIfAnswer>(path);
  if (result.state === 'error') return <Problem error={result.error} />;
  if (result.state === 'loading') return <p className="loading">Loading…</p>;
  const view = whatIfView(result.data);
  return (
    <>
      <table className="list what-if-table" aria-label="What-if costs">
        <thead><tr><th></th><th>This range</th><th>Per 30 days (projected)</th></tr></thead>
        <tbody>
          {view.rows.map((row) => (
            <tr key={row.label}><th scope="row">{row.label}</th><td className="num">{row.range}</td><td className="num">{row.month}</td></tr>
          ))}
        </tbody>
      </table>
      <dl className="facts what-if-facts">
        {view.facts.map((fact) => (
          <div key={fact.label}><dt>{fact.label}</dt><dd>{fact.value}</dd></div>
        ))}
      </dl>
      {view.unpricedNote && <p className="muted small panel-note">{view.unpricedNote}</p>}
    </>
  );
}

export function WhatIfPanel({ state, period }: { state: DashboardState; period: TimeWindow }) {
  const range = whatIfRange(state.filters, period);
  const used = useApi<MetricsAnswer>(range ? usedModelsPath(range) : null);
  const prices = useApi<{ data: PriceListEntry[] }>('/api/v1/models');
  const models = used.state === 'done' ? usedModels(used.data) : [];
  const modelA = state.whatIfModel ?? models[0]?.model;
  const modelB = state.whatIfAs;
  const options = usedModelOptions(models, modelA);
  const choices = prices.state === 'done' ? priceChoices(prices.data.data, modelB) : null;
  const ignored = kDashboardFilterKeys.filter((key) => state.filters[key]);
  const change = (next: Partial<DashboardState>) => navigate(dashboardUrl({ ...state, ...next }));
  return (
    <section className="panel what-if" aria-label="What if">
      <div className="panel-head what-if-head">
        <h2>What if</h2>
        <label className="inline">
          <span>the calls of</span>
          <select aria-label="What-if model" value={modelA ?? ''} disabled={options.length === 0}
            onChange={(e) => change({ whatIfModel: e.target.value })}>
            {options.length === 0 && <option value="">no model calls in this range</option>}
            {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </select>
        </label>
        <label className="inline">
          <span>at the prices of</span>
          <select aria-label="What-if prices" value={modelB ?? ''} disabled={!choices}
            onChange={(e) => change({ whatIfAs: e.target.value || undefined })}>
            <option value="">{choices ? 'pick a model…' : 'loading prices…'}</option>
            {choices && choices.project.length > 0 && (
              <optgroup label="Project prices">
                {choices.project.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
              </optgroup>
            )}
            {choices && (
              <optgroup label="Built-in catalog">
                {choices.builtin.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
              </optgroup>
            )}
            {choices?.unlisted.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </select>
        </label>
      </div>
      {ignored.length > 0 && (
        <p className="muted small panel-note">
          The {ignored.join(' and ')} {ignored.length === 1 ? 'filter does' : 'filters do'} not apply here (the what-if
          API has none): this counts every call of the model in the range.
        </p>
      )}
      {!range ? <p className="error" role="alert">The time range is not valid.</p>
        : used.state === 'error' ? <Problem error={used.error} />
          : prices.state === 'error' ? <Problem error={prices.error} />
            : used.state === 'loading' ? <p className="loading">Loading…</p>
              : !modelA ? <p className="empty">No model calls in this range.</p>
                : !modelB ? <p className="empty">Pick the model whose prices to apply.</p>
                  : <Result path={whatIfPath(modelA, modelB, range)} />}
    </section>
  );
}
