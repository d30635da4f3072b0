// The dashboard's "Evaluations" panel: each process rule's pass rate, the traces flagged per
// finding kind and how runs stopped, over the dashboard's time range (GET /api/v1/metrics/scores;
// the logic is dashboard/evaluations.ts). Each row links to the trace list of those traces.
import { useApi } from '../app/api';
import { Link } from '../app/router';
import { Problem } from '../shared/TypeIcon';
import {
  evaluationPaths, findingRows, ruleRows, stopRows, type CountRow, type ScoreMetricsAnswer,
} from './evaluations';
import { kDashboardFilterKeys, type DashboardState, type TimeWindow } from './metrics';
import { whatIfRange } from './whatif';

function Rules({ path, state }: { path: string; state: DashboardState }) {
  const result = useApi<ScoreMetricsAnswer>(path);
  if (result.state === 'error') return <Problem error={result.error} />;
  if (result.state === 'loading') return <p className="loading">Loading…</p>;
  const rows = ruleRows(result.data, state.filters);
  if (rows.length === 0) return <p className="empty">No process rule was checked in this range.</p>;
  return (
    <table className="list" aria-label="Process rules">
      <thead><tr><th>Rule</th><th className="num">Runs checked</th><th className="num">Pass rate</th><th className="num">Broken</th></tr></thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.rule}>
            <td>{row.rule}</td>
            <td className="num">{row.runs}</td>
            <td className="num">{row.passRate}</td>
            <td className="num">{row.failed > 0 ? <Link to={row.failedLink}>{row.failed}</Link> : 0}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Counts({ path, title, empty, rows }: {
  path: string; title: string; empty: string; rows: (answer: ScoreMetricsAnswer) => CountRow[];
}) {
  const result = useApi<ScoreMetricsAnswer>(path);
  if (result.state === 'error') return <Problem error={result.error} />;
  if (result.state === 'loading') return <p className="loading">Loading…</p>;
  const list = rows(result.data);
  if (list.length === 0) return <p className="empty">{empty}</p>;
  return (
    <table className="list" aria-label={title}>
      <thead><tr><th>{title}</th><th className="num">Traces</th></tr></thead>
      <tbody>
        {list.map((row) => (
          <tr key={row.key}>
            <td title={row.key}>{row.label}</td>
            <td className="num"><Link to={row.link}>{row.traces}</Link></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EvaluationsPanel({ state, period }: { state: DashboardState; period: TimeWindow }) {
  const range = whatIfRange(state.filters, period);
  const paths = range ? evaluationPaths(range) : null;
  const ignored = kDashboardFilterKeys.filter((key) => state.filters[key]);
  return (
    <section className="panel" aria-label="Evaluations">
      <div className="panel-head"><h2>Evaluations</h2></div>
      <p className="muted small panel-note">
        What the server found when each trace finished, by the time it was evaluated.
        {ignored.length > 0 && ` The ${ignored.join(' and ')} ${ignored.length === 1 ? 'filter does' : 'filters do'} not apply here.`}
      </p>
      {!paths ? <p className="error" role="alert">The time range is not valid.</p> : (
        <>
          <h3>Process rules</h3>
          <Rules path={paths.rules} state={state} />
          <h3>Findings</h3>
          <Counts path={paths.findings} title="Finding" empty="No finding in this range."
            rows={(answer) => findingRows(answer, state.filters)} />
          <h3>Stop reasons</h3>
          <Counts path={paths.stops} title="Stop reason" empty="No trace was evaluated in this range."
            rows={(answer) => stopRows(answer, state.filters)} />
        </>
      )}
    </section>
  );
}
