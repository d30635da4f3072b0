// Two traces compared step by step (GET /api/v1/traces/{id}/diff; docs/insight.md "Trace diff"):
// the totals of both, then the merged step tree with each step same, changed (why, and the
// deltas), added or removed; a changed step opens its input and output line diffs. Every name and
// text is client-sent and rendered as text only.
import { useState } from 'react';
import { useApi } from '../app/api';
import { Link } from '../app/router';
import { formatCost, formatDurationMs, formatTokens } from '../shared/format';
import type { DiffLine, DiffStep, TraceDiff } from '../shared/model';
import { Problem } from '../shared/TypeIcon';
import { signedCost, signedMs, signedTokens, visibleSteps } from './diff';

const kMarks: Record<DiffStep['kind'], string> = { same: '=', changed: '~', added: '+', removed: '−' };

function Lines({ label, lines }: { label: string; lines: DiffLine[] }) {
  return (
    <div className="diff-text">
      <h3>{label}</h3>
      <pre>{lines.map((l, i) => (
        <div key={i} className={`line line-${l.op}`}>{l.op === 'added' ? '+ ' : l.op === 'removed' ? '− ' : '  '}{l.text}</div>
      ))}</pre>
    </div>
  );
}

function StepRow({ step, open, onToggle }: { step: DiffStep; open: boolean; onToggle: () => void }) {
  const ref = step.b ?? step.a;
  const texts = step.input_diff || step.output_diff;
  return (
    <>
      <tr className={`diff-step diff-${step.kind}`} onClick={texts ? onToggle : undefined}>
        <td className="diff-mark">{kMarks[step.kind]}</td>
        <td style={{ paddingLeft: 8 + 14 * Math.min(step.depth - 1, 30) }}>
          <span className="node-name">{ref?.name || step.key}</span> <span className="muted small">{step.key}</span>
          {texts && <button className="link small" aria-expanded={open}>{open ? 'hide text' : 'show text'}</button>}
        </td>
        <td>{step.changes.join(', ')}</td>
        <td className="num">{step.kind === 'same' ? '' : signedMs(step.latency_delta_ms)}</td>
        <td className="num">{step.kind === 'same' ? '' : signedTokens(step.tokens_delta.total)}</td>
        <td className="num">{step.kind === 'same' ? '' : signedCost(step.cost_delta)}</td>
      </tr>
      {open && texts && (
        <tr className="diff-texts"><td /><td colSpan={5}>
          {step.input_diff && <Lines label="Input" lines={step.input_diff} />}
          {step.output_diff && <Lines label="Output" lines={step.output_diff} />}
        </td></tr>
      )}
    </>
  );
}

export function DiffPage({ traceId, search }: { traceId: string; search: string }) {
  const params = new URLSearchParams(search);
  const against = params.get('against') ?? 'typical';
  const query = new URLSearchParams({ against, text: 'true' });
  const result = useApi<TraceDiff>(`/api/v1/traces/${encodeURIComponent(traceId)}/diff?${query}`);
  const [onlyChanges, setOnlyChanges] = useState(true);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  if (result.state === 'loading') return <p className="loading">Comparing…</p>;
  if (result.state === 'error') return <Problem error={result.error} />;
  const diff = result.data;
  const shown = visibleSteps(diff.steps, onlyChanges);
  const side = (s: TraceDiff['a'], label: string) => (
    <div className="diff-side">
      <div className="muted small">{label}</div>
      {s.typical_of
        ? <div>Typical of the {s.typical_of} previous runs of <b>{s.name}</b></div>
        : <div><Link to={`/traces/${encodeURIComponent(s.trace_id)}`}>{s.name || s.trace_id}</Link> <code className="small">{s.trace_id}</code></div>}
      <div className="muted">{formatDurationMs(s.totals.latency_ms)} · {formatTokens(s.totals.total_tokens)} tokens · {formatCost(s.totals.cost)} · {s.totals.steps} steps · {s.totals.errors} errors</div>
    </div>
  );
  const { a, b, counts } = diff;
  return (
    <section className="diff-page">
      <h1>Compare runs</h1>
      <div className="diff-sides">{side(a, 'Baseline')}{side(b, 'This run')}</div>
      <div className="totals">
        <div className="total"><span className="total-value">{signedMs(b.totals.latency_ms - a.totals.latency_ms)}</span><span className="total-label">Latency</span></div>
        <div className="total"><span className="total-value">{signedTokens(b.totals.total_tokens - a.totals.total_tokens)}</span><span className="total-label">Tokens</span></div>
        <div className="total"><span className="total-value">{signedCost(b.totals.cost - a.totals.cost)}</span><span className="total-label">Cost</span></div>
        <div className="total"><span className="total-value">{counts.changed} / {counts.added} / {counts.removed}</span><span className="total-label">Changed / added / removed</span></div>
      </div>
      <label className="small"><input type="checkbox" checked={onlyChanges} onChange={(e) => setOnlyChanges(e.target.checked)} /> Only changes (and where they are)</label>
      {shown.length === 0 ? <p className="empty">The runs match step for step.</p> : (
        <table className="list diff-table">
          <thead><tr><th /><th>Step</th><th>Changed</th><th>Latency</th><th>Tokens</th><th>Cost</th></tr></thead>
          <tbody>
            {shown.map((i) => (
              <StepRow key={i} step={diff.steps[i]} open={open.has(i)}
                onToggle={() => setOpen((o) => { const n = new Set(o); if (!n.delete(i)) n.add(i); return n; })} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
