// The trace as a flame graph (icicle: callers on top), weighted by time, tokens or cost. Drawn on
// one canvas the size of the view: only the frames `visibleFrames` returns for the rows in view
// and wider than a pixel are drawn, so a 100k-span trace costs about as much as a small one.
// Click selects a step (in every view), double click zooms onto it; runs of steps too narrow to
// draw are one grey block that zooms in on click.
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { flushSync } from 'react-dom';
import { formatCost, formatDurationMs, formatTokens } from '../shared/format';
import type { ObservationSummary } from '../shared/model';
import { isError } from './fold';
import { frameAt, layoutFlame, visibleFrames, zoomTo, type DrawnFrame, type FlameWeight, type Frame } from './flame';
import type { TraceTree, TreeNode } from './tree';

const kRowPx = 20;
const kWeights: [FlameWeight, string][] = [['time', 'Time'], ['tokens', 'Tokens'], ['cost', 'Cost']];

export function formatWeight(weight: FlameWeight, value: number): string {
  if (weight === 'time') return formatDurationMs(value);
  if (weight === 'tokens') return `${formatTokens(value)} tok`;
  return formatCost(value);
}

// The type colours of app.css (--c-TYPE), read once per draw from the stylesheet.
function typeColors(): (type: string) => string {
  const style = getComputedStyle(document.documentElement);
  const cache = new Map<string, string>();
  return (type) => {
    let color = cache.get(type);
    if (color === undefined) {
      color = style.getPropertyValue(`--c-${type}`).trim() || style.getPropertyValue('--c-other').trim() || '#868e96';
      cache.set(type, color);
    }
    return color;
  };
}

interface Props {
  tree: TraceTree<ObservationSummary>;
  weight: FlameWeight;
  onWeight: (weight: FlameWeight) => void;
  selectedNodes: ReadonlySet<TreeNode<ObservationSummary>>;
  onSelect: (node: TreeNode<ObservationSummary>) => void;
}

export function FlameGraph({ tree, weight, onWeight, selectedNodes, onSelect }: Props) {
  const layout = useMemo(() => layoutFlame(tree, weight), [tree, weight]);
  const [zoom, setZoom] = useState({ x0: 0, x1: 1 });
  const [size, setSize] = useState({ width: 0, height: 0, top: 0 });
  const [hover, setHover] = useState<DrawnFrame<ObservationSummary> | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawn = useRef<DrawnFrame<ObservationSummary>[]>([]);

  useLayoutEffect(() => {
    const el = scroller.current!;
    const update = () => setSize({ width: el.clientWidth, height: el.clientHeight, top: el.scrollTop });
    update();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    el.addEventListener('scroll', update, { passive: true });
    return () => { observer.disconnect(); el.removeEventListener('scroll', update); };
  }, []);

  // A step selected in another view: scroll its row into view, and leave a zoom that hides it.
  useEffect(() => {
    if (selectedNodes.size !== 1) return;
    const [node] = selectedNodes;
    const frame = layout.frames.find((f) => f.node === node);
    const el = scroller.current;
    if (!frame || !el || !(frame.x1 > frame.x0)) return;
    const y = frame.depth * kRowPx;
    if (y < el.scrollTop || y + kRowPx > el.scrollTop + el.clientHeight) el.scrollTop = Math.max(0, y - el.clientHeight / 2);
    setZoom((z) => (frame.x1 <= z.x0 || frame.x0 >= z.x1 ? { x0: 0, x1: 1 } : z));
  }, [layout, selectedNodes]);

  useLayoutEffect(() => {
    const el = canvas.current!;
    const dpr = window.devicePixelRatio || 1;
    el.width = Math.round(size.width * dpr);
    el.height = Math.round(size.height * dpr);
    el.style.width = `${size.width}px`;
    el.style.height = `${size.height}px`;
    const ctx = el.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size.width, size.height);
    const firstDepth = Math.floor(size.top / kRowPx);
    const frames = visibleFrames(layout, {
      ...zoom, widthPx: size.width, firstDepth, lastDepth: firstDepth + Math.ceil(size.height / kRowPx),
    });
    drawn.current = frames;
    el.dataset.frames = String(frames.length);
    const color = typeColors();
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    const charPx = ctx.measureText('abcdefghij').width / 10;
    for (const { frame, depth, count, xPx, wPx } of frames) {
      const y = depth * kRowPx - size.top;
      if (frame === null) {
        // A run of steps too narrow to draw one by one.
        ctx.fillStyle = '#ced4da';
        ctx.fillRect(xPx + 0.5, y + 0.5, Math.max(wPx - 1, 1), kRowPx - 1);
        const label = `${count.toLocaleString('en-US')} small steps`;
        if (wPx > charPx * 8) {
          ctx.fillStyle = '#495057';
          const maxChars = Math.floor((wPx - 8) / charPx);
          ctx.fillText(label.length > maxChars ? `${label.slice(0, maxChars - 1)}…` : label, xPx + 4, y + kRowPx / 2);
        }
        continue;
      }
      const obs = frame.node.obs;
      ctx.fillStyle = color(obs.type);
      ctx.globalAlpha = selectedNodes.size === 0 || selectedNodes.has(frame.node) ? 1 : 0.75;
      ctx.fillRect(xPx + 0.5, y + 0.5, Math.max(wPx - 1, 1), kRowPx - 1);
      ctx.globalAlpha = 1;
      if (isError(obs)) {
        ctx.strokeStyle = '#d6336c';
        ctx.lineWidth = 2;
        ctx.strokeRect(xPx + 1.5, y + 1.5, Math.max(wPx - 3, 1), kRowPx - 3);
      }
      if (selectedNodes.has(frame.node)) {
        ctx.strokeStyle = '#000';
        ctx.lineWidth = 2;
        ctx.strokeRect(xPx + 1, y + 1, Math.max(wPx - 2, 1), kRowPx - 2);
      }
      const maxChars = Math.floor((wPx - 8) / charPx);
      if (maxChars >= 3) {
        const label = `${obs.name} (${formatWeight(weight, frame.value)})`;
        ctx.fillStyle = '#fff';
        ctx.fillText(label.length > maxChars ? `${label.slice(0, maxChars - 1)}…` : label, xPx + 4, y + kRowPx / 2);
      }
    }
  }, [layout, zoom, size, selectedNodes, weight]);

  const frameOfEvent = (e: MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const depth = Math.floor((e.clientY - rect.top + size.top) / kRowPx);
    return frameAt(drawn.current, e.clientX - rect.left, depth);
  };
  const share = (frame: Frame<ObservationSummary>) => (layout.total > 0 ? (frame.value / layout.total) * 100 : 0);

  return (
    <div className="flame">
      <div className="view-toolbar">
        <span className="muted">Weight</span>
        {kWeights.map(([w, label]) => (
          <button key={w} className={w === weight ? 'active' : ''} aria-pressed={w === weight} onClick={() => onWeight(w)}>{label}</button>
        ))}
        <button onClick={() => setZoom({ x0: 0, x1: 1 })} disabled={zoom.x0 === 0 && zoom.x1 === 1}>Reset zoom</button>
        <span className="flame-status muted">
          {hover?.frame
            ? <>{hover.frame.node.obs.name} · {formatWeight(weight, hover.frame.value)} ({share(hover.frame).toFixed(1)}%){hover.frame.self !== hover.frame.value && <>, own {formatWeight(weight, hover.frame.self)}</>}</>
            : hover ? <>{hover.count.toLocaleString('en-US')} steps too small to show one by one · click to zoom in</>
            : layout.total > 0 ? <>Total {formatWeight(weight, layout.total)} · click selects, double click zooms</> : null}
        </span>
      </div>
      {layout.total === 0 && <p className="empty">No step of this trace has {weight === 'time' ? 'a duration' : weight}.</p>}
      <div className="flame-scroll" ref={scroller}>
        <canvas ref={canvas} className="flame-canvas" role="img"
          aria-label={`Flame graph weighted by ${weight}`}
          onClick={(e) => {
            const d = frameOfEvent(e);
            if (d?.frame) onSelect(d.frame.node); else if (d) setZoom(zoomTo(d));
          }}
          onDoubleClick={(e) => setZoom(zoomTo(frameOfEvent(e)))}
          // Rendered within the event (React would otherwise render a mouse move's update later,
          // and fold it into the next move's): a quick pass over narrow frames names each of them.
          onMouseMove={(e) => {
            const frame = frameOfEvent(e);
            flushSync(() => setHover(frame));
          }}
          onMouseLeave={() => setHover(null)} />
        <div style={{ height: Math.max(0, (layout.maxDepth + 1) * kRowPx - size.height) }} />
      </div>
    </div>
  );
}
