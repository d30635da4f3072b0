// The run insight above a trace: how the run ended, its agent-loop counters, the findings (each
// linking to the steps that show it), and a switch that marks the critical path in the tree.
// Every string is server-made or client-sent text, rendered as text only.
import type { TraceInsight } from '../shared/model';
import type { ObservationSummary } from '../shared/model';
import type { TreeNode } from './tree';
import { findingLabel, stopLabel } from './insight';

interface Props {
  insight: TraceInsight;
  stepOf: (id: string) => TreeNode<ObservationSummary> | undefined;
  onSelect: (node: TreeNode<ObservationSummary>) => void;
  showCritical: boolean;
  onShowCritical: (show: boolean) => void;
}

export function InsightPanel({ insight, stepOf, onSelect, showCritical, onShowCritical }: Props) {
  const { profile, findings } = insight;
  const stopStep = profile.stop_observation_id !== null ? stepOf(profile.stop_observation_id) : undefined;
  const stepLink = (id: string, i: number) => {
    const node = stepOf(id);
    return node
      ? <button key={`${id}:${i}`} className="link" onClick={() => onSelect(node)}>{node.obs.name || id}</button>
      : <code key={`${id}:${i}`}>{id}</code>;
  };
  return (
    <div className="insight" aria-label="Run insight">
      <div className="insight-line">
        <span className={`stop stop-${profile.stop_reason}`}>{stopLabel(profile.stop_reason)}</span>
        {profile.stop_evidence && <span className="muted">{profile.stop_evidence}</span>}
        {stopStep && <>at {stepLink(stopStep.obs.id, 0)}</>}
        <span className="muted">· {profile.planning_iterations} plan→act rounds · {profile.retries} retries · depth {profile.max_depth}</span>
        <label className="insight-toggle">
          <input type="checkbox" checked={showCritical} onChange={(e) => onShowCritical(e.target.checked)} />
          Critical path
        </label>
      </div>
      {findings.length > 0 && (
        <ul className="findings">
          {findings.map((f, i) => (
            <li key={`${f.kind}:${i}`} className="finding">
              <strong>{findingLabel(f.kind)}</strong> {f.message}
              {f.observation_ids.length > 0 && <span className="finding-steps"> — {f.observation_ids.slice(0, 8).map(stepLink)}{f.observation_ids.length > 8 && ` +${f.observation_ids.length - 8} more`}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
