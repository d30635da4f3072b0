// The dashboard: totals for a time range, then cost, tokens, latency, traces and errors over it,
// each chart broken down by a dimension of the metrics API, the server's evaluations of the
// finished traces (EvaluationsPanel: rule pass rates, findings, stop reasons), and a "What if"
// panel that prices a model's calls at another model's prices (WhatIfPanel). The range, filters and breakdowns
// are the URL (dashboard/metrics.ts), so a view is a link that can be shared.
import { useMemo, useState, type FormEvent } from 'react';
import { useApi } from '../app/api';
import { navigate } from '../app/router';
import { formatCost, formatDurationMs, formatPercent, formatTokens } from '../shared/format';
import { Problem } from '../shared/TypeIcon';
import { filtersToQuery, readFilterForm } from '../traces/filters';
import { TimeRangeFields } from '../traces/TimeRangeFields';
import {
  breakdownProblem, chartData, dashboardUrl, findBreakdown, isBlank, kBreakdowns, kDefaultRange, kPanels, kPercentiles,
  panelPath, parseDashboard, summarize, tilesPath, timeWindow,
  type DashboardState, type MetricsAnswer, type PanelSpec, type Percentile, type TimeWindow, type Totals,
} from './metrics';
import { EvaluationsPanel } from './EvaluationsPanel';
import { TimeChart } from './TimeChart';
import { WhatIfPanel } from './WhatIfPanel';

const kGrainText = { minute: 'per minute', hour: 'per hour', day: 'per day (UTC)' };

function Controls({ state, onRefresh }: { state: DashboardState; onRefresh: () => void }) {
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    navigate(dashboardUrl({ ...state, filters: readFilterForm(new FormData(e.currentTarget)) }));
  };
  return (
    <form className="filters" onSubmit={submit}>
      <div className="filter-row">
        <TimeRangeFields filters={state.filters} fallback={kDefaultRange} />
        <label className="inline"><span>Environment</span>
          <input name="environment" defaultValue={state.filters.environment ?? ''} aria-label="Environment" /></label>
        <label className="inline"><span>Release</span>
          <input name="release" defaultValue={state.filters.release ?? ''} aria-label="Release" /></label>
        <div className="filter-buttons">
          <button type="submit">Apply</button>
          <button type="button" onClick={onRefresh} title="Ask again up to now">Refresh</button>
        </div>
      </div>
    </form>
  );
}

function Tiles({ totals }: { totals: Totals }) {
  const tiles: [string, string, boolean][] = [
    ['Cost', formatCost(totals.cost), false],
    ['Tokens', formatTokens(totals.tokens), false],
    ['Traces', formatTokens(totals.traces), false],
    ['Error rate', formatPercent(totals.errorRate), (totals.errorRate ?? 0) > 0],
    ['p95 latency', formatDurationMs(totals.p95LatencyMs), false],
  ];
  return (
    <div className="totals dashboard-tiles" aria-label="Totals">
      {tiles.map(([label, value, bad]) => (
        <div key={label} className={`total${bad ? ' bad' : ''}`}>
          <span className="total-value">{value}</span><span className="total-label">{label}</span>
        </div>
      ))}
    </div>
  );
}

function Panel({ spec, state, period }: { spec: PanelSpec; state: DashboardState; period: TimeWindow }) {
  const breakdown = findBreakdown(state.by[spec.id]);
  const problem = breakdownProblem(breakdown, state.filters);
  const result = useApi<MetricsAnswer>(problem ? null : panelPath(spec, breakdown, state.percentile, period));
  const data = useMemo(
    () => (result.state === 'done' ? chartData(result.data, spec, breakdown, state.percentile, period) : null),
    [result, spec, breakdown, state.percentile, period]);
  const change = (next: Partial<DashboardState>) => navigate(dashboardUrl({ ...state, ...next }));
  const grouped = breakdown.groupBy.length > 0;
  return (
    <section className="panel" aria-label={spec.title}>
      <div className="panel-head">
        <h2>{spec.title}</h2>
        <label className="inline">
          <span>by</span>
          <select aria-label={`${spec.title} breakdown`} value={breakdown.id}
            onChange={(e) => change({ by: { ...state.by, [spec.id]: e.target.value } })}>
            {kBreakdowns.map((b) => <option key={b.id} value={b.id}>{b.label}</option>)}
          </select>
        </label>
        {spec.id === 'latency' && grouped && (
          <select aria-label="Latency percentile" value={state.percentile}
            onChange={(e) => change({ percentile: e.target.value as Percentile })}>
            {kPercentiles.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        )}
      </div>
      {breakdown.level === 'observation' && (
        <p className="muted small panel-note">
          Per observation (a trace has no single {breakdown.label.toLowerCase()}); observations without one are left out.
        </p>
      )}
      {problem ? <p className="error" role="alert">{problem}</p>
        : result.state === 'error' ? <Problem error={result.error} />
          : !data ? <p className="loading chart-space">Loading…</p>
            : isBlank(data) ? <p className="empty chart-space">Nothing in this range.</p>
              : <TimeChart data={data} unit={spec.unit} utc={period.grain === 'day'} />}
      {data && data.leftOut > 0 && (
        <p className="muted small panel-note">
          {data.leftOut} smaller {data.leftOut === 1 ? 'group is' : 'groups are'} not drawn: percentiles of different groups do not add up.
        </p>
      )}
    </section>
  );
}

export function DashboardPage({ search }: { search: string }) {
  const state = parseDashboard(search);
  const filterKey = filtersToQuery(state.filters);
  const [refreshed, setRefreshed] = useState(0);
  // A relative range is resolved once per change of filters (or Refresh), so the queries stay put.
  const period = useMemo(() => timeWindow(state.filters, Date.now()), [filterKey, refreshed]);
  const tiles = useApi<MetricsAnswer>(tilesPath(period));
  const totals = tiles.state === 'done' ? summarize(tiles.data) : null;
  return (
    <section className="dashboard">
      <div className="list-head">
        <h1>Dashboard</h1>
        <span className="muted">{kGrainText[period.grain]}</span>
      </div>
      <Controls key={filterKey} state={state} onRefresh={() => setRefreshed((n) => n + 1)} />
      {tiles.state === 'error' && <Problem error={tiles.error} />}
      {tiles.state === 'loading' && <p className="loading">Loading…</p>}
      {totals && <Tiles totals={totals} />}
      {totals && totals.traces === 0 && (
        <p className="empty">No traces in this time range. Pick a longer range or change the filters.</p>
      )}
      {totals && totals.traces > 0 && (
        <>
          <div className="dashboard-grid">
            {kPanels.map((spec) => <Panel key={spec.id} spec={spec} state={state} period={period} />)}
            <EvaluationsPanel state={state} period={period} />
          </div>
          <WhatIfPanel state={state} period={period} />
        </>
      )}
    </section>
  );
}
