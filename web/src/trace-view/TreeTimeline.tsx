// The trace as a collapsible tree beside its waterfall: one virtualized list of rows (only the
// rows in view are in the DOM, so 100k steps scroll smoothly), each row a tree cell and a bar
// on the trace's shared time axis.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { formatCost, formatDurationMs, formatTokens, parseTimeUs } from '../shared/format';
import type { ObservationSummary } from '../shared/model';
import { TypeIcon } from '../shared/TypeIcon';
import { isError, type FoldGroup, type Row } from './fold';
import { axisTicks, layoutBar } from './timeline';
import type { TreeNode } from './tree';

const kRowHeightPx = 26;
const kOverscanRows = 10;
const kIndentPx = 14;
const kMaxIndentLevels = 40; // deeper rows show their depth as a number instead

export type SelectedItem = TreeNode<ObservationSummary> | FoldGroup<ObservationSummary> | null;

interface Props {
  rows: Row<ObservationSummary>[];
  traceStartUs: number;
  traceEndUs: number;
  selected: SelectedItem;
  selectedNodes: ReadonlySet<TreeNode<ObservationSummary>>; // the selected step, or a selected group's members
  onSelect: (item: SelectedItem) => void;
  onToggleNode: (node: TreeNode<ObservationSummary>) => void;
  onToggleFold: (group: FoldGroup<ObservationSummary>) => void;
  critical?: ReadonlyMap<string, number> | null; // steps on the critical path (insight.ts), marked when set
  selfMs?: Readonly<Record<string, number>>; // each step's self time, shown in its duration's tooltip
}

function Indent({ depth }: { depth: number }) {
  const levels = Math.min(depth, kMaxIndentLevels);
  return (
    <span className="indent" style={{ width: levels * kIndentPx }}>
      {depth > kMaxIndentLevels && <span className="deep">{depth}</span>}
    </span>
  );
}

function NodeRow({ row, props }: { row: Extract<Row<ObservationSummary>, { kind: 'node' }>; props: Props }) {
  const { node } = row;
  const obs = node.obs;
  const bar = layoutBar(node.startUs, node.endUs, props.traceStartUs, props.traceEndUs,
    parseTimeUs(obs.completion_start_time));
  const error = isError(obs);
  const critical = props.critical?.has(obs.id) ?? false;
  const selfMs = props.selfMs?.[obs.id];
  return (
    <>
      <div className="tree-cell">
        <Indent depth={row.depth} />
        {row.expandable
          ? <button className="toggle" aria-label={row.expanded ? 'Collapse' : 'Expand'} onClick={(e) => { e.stopPropagation(); props.onToggleNode(node); }}>{row.expanded ? '▾' : '▸'}</button>
          : <span className="toggle" />}
        <TypeIcon type={obs.type} />
        <span className="node-name" title={obs.name}>{obs.name}</span>
        {critical && <span className="critical-mark" title="on the critical path">◆</span>}
        {error && <span className="error-mark" title="error">!</span>}
        {node.rootReason && <span className="muted small" title={`shown as a root: ${node.rootReason}`}>({node.rootReason})</span>}
        <span className="node-meta">
          {obs.usage.total_tokens > 0 && <span>{formatTokens(obs.usage.total_tokens)} tok</span>}
          {obs.cost.total > 0 && <span>{formatCost(obs.cost.total)}</span>}
          <span title={selfMs !== undefined ? `self time ${formatDurationMs(selfMs)}` : undefined}>{formatDurationMs(obs.latency_ms)}</span>
        </span>
      </div>
      <div className="bar-cell">
        <div className={`bar bar-${obs.type}${error ? ' bar-error' : ''}${critical ? ' bar-critical' : ''}`} style={{ left: `${bar.leftPct}%`, width: `${bar.widthPct}%` }}>
          {bar.firstTokenPct !== null && <span className="ttft" style={{ left: `${bar.firstTokenPct}%` }} title="first token" />}
        </div>
      </div>
    </>
  );
}

function FoldRow({ row, props }: { row: Extract<Row<ObservationSummary>, { kind: 'fold' }>; props: Props }) {
  const { group } = row;
  const bar = layoutBar(group.startUs, group.endUs, props.traceStartUs, props.traceEndUs);
  return (
    <>
      <div className="tree-cell">
        <Indent depth={row.depth} />
        <button className="toggle" aria-label={row.expanded ? 'Collapse' : 'Expand'} onClick={(e) => { e.stopPropagation(); props.onToggleFold(group); }}>{row.expanded ? '▾' : '▸'}</button>
        <TypeIcon type={group.type} />
        <span className="node-name fold-name">{group.name} × {group.members.length}, p95 {formatDurationMs(group.p95Ms)}</span>
        {group.errors > 0 && <span className="error-mark" title={`${group.errors} errors`}>!</span>}
        <span className="node-meta">
          {group.totalTokens > 0 && <span>{formatTokens(group.totalTokens)} tok</span>}
          {group.totalCost > 0 && <span>{formatCost(group.totalCost)}</span>}
        </span>
      </div>
      <div className="bar-cell">
        <div className={`bar bar-fold bar-${group.type}`} style={{ left: `${bar.leftPct}%`, width: `${bar.widthPct}%` }} />
      </div>
    </>
  );
}

export function TreeTimeline(props: Props) {
  const { rows, selected, selectedNodes, onSelect } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  const isSelected = (row: Row<ObservationSummary>) => row.kind === 'node'
    ? row.node === selected || selectedNodes.has(row.node)
    : row.group === selected || selectedNodes.has(row.group.members[0]);
  // Bring the selection into view when another view selected it (and when this view opens).
  useEffect(() => {
    const el = scroller.current!;
    const index = rows.findIndex(isSelected);
    if (index < 0) return;
    const y = index * kRowHeightPx;
    if (y < el.scrollTop || y + kRowHeightPx > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, y - el.clientHeight / 2);
    }
  }, [selected]); // only a new selection scrolls, not expanding or scrolling by hand
  useLayoutEffect(() => {
    const el = scroller.current!;
    const update = () => setView({ top: el.scrollTop, height: el.clientHeight });
    update();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    el.addEventListener('scroll', update, { passive: true });
    return () => { observer.disconnect(); el.removeEventListener('scroll', update); };
  }, []);
  const first = Math.max(0, Math.floor(view.top / kRowHeightPx) - kOverscanRows);
  const last = Math.min(rows.length, Math.ceil((view.top + view.height) / kRowHeightPx) + kOverscanRows);
  const durationUs = props.traceEndUs - props.traceStartUs;
  const ticks = axisTicks(durationUs);

  return (
    <div className="tree-timeline">
      <div className="tt-header">
        <div className="tree-cell">Step</div>
        <div className="bar-cell axis">
          {ticks.map((t) => (
            <span key={t.offsetUs} className="tick" style={{ left: `${t.pct}%` }}>{formatDurationMs(t.offsetUs / 1000)}</span>
          ))}
        </div>
      </div>
      <div className="tt-rows" ref={scroller} role="tree">
        <div className="tt-spacer" style={{ height: rows.length * kRowHeightPx }}>
          {rows.slice(first, last).map((row, i) => {
            const item = row.kind === 'node' ? row.node : row.group;
            const key = row.kind === 'node' ? `n:${row.node.obs.id}:${first + i}` : `f:${row.group.id}`;
            const rowSelected = isSelected(row);
            return (
              <div key={key} role="treeitem" aria-selected={rowSelected} aria-level={row.depth + 1}
                className={`tt-row${rowSelected ? ' selected' : ''}`}
                style={{ top: (first + i) * kRowHeightPx, height: kRowHeightPx }}
                onClick={() => onSelect(item)}>
                {row.kind === 'node' ? <NodeRow row={row} props={props} /> : <FoldRow row={row} props={props} />}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
