// Everything about the selected observation (or folded group of repeated steps).
import type { ReactNode } from 'react';
import { JsonView } from '../shared/JsonView';
import { LongText } from '../shared/Markdown';
import { formatCost, formatDurationMs, formatTime, formatTokens, parseTimeUs } from '../shared/format';
import type { Json, Observation, ObservationSummary, Score } from '../shared/model';
import { StatusBadge, TypeIcon } from '../shared/TypeIcon';
import { Conversation } from './Conversation';
import { asConversation, asDocuments } from './detail';
import type { FoldGroup } from './fold';
import { ScoreTable } from './ScoreTable';
import type { TreeNode } from './tree';

function Facts({ rows }: { rows: [string, ReactNode][] }) {
  const shown = rows.filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (shown.length === 0) return null;
  return (
    <dl className="facts">
      {shown.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}
    </dl>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return <section className="detail-section"><h3>{title}</h3>{children}</section>;
}

const isEmpty = (v: Json | undefined) =>
  v === null || v === undefined || (typeof v === 'object' && Object.keys(v).length === 0);

// Input or output: a conversation, retrieval documents, plain text, or JSON.
function Payload({ title, value }: { title: string; value: Json }) {
  if (isEmpty(value)) return null;
  const conversation = asConversation(value);
  if (conversation) return <Section title={title}><Conversation messages={conversation} /></Section>;
  const documents = asDocuments(value);
  if (documents) {
    return (
      <Section title={`${title}: ${documents.length} documents`}>
        <ol className="documents">
          {documents.map((d, i) => (
            <li key={i}>
              <div className="muted">{d.id ?? `#${i + 1}`}{d.score !== null && <> · score <strong>{d.score.toFixed(3)}</strong></>}</div>
              <LongText text={d.content} />
              {!isEmpty(d.metadata) && <JsonView value={d.metadata} openDepth={0} />}
            </li>
          ))}
        </ol>
      </Section>
    );
  }
  if (typeof value === 'string') return <Section title={title}><LongText text={value} /></Section>;
  return <Section title={title}><JsonView value={value} openDepth={3} /></Section>;
}

function ObservationDetail({ obs, scores }: { obs: Observation; scores: readonly Score[] }) {
  const ttftMs = (parseTimeUs(obs.completion_start_time) - parseTimeUs(obs.start_time)) / 1000;
  const u = obs.usage;
  const exceptions = obs.events.filter((e) => e.name === 'exception');
  return (
    <>
      <h2 className="detail-title"><TypeIcon type={obs.type} /> <span>{obs.name}</span> <StatusBadge status={obs.status} /></h2>
      {(obs.status_message || obs.error_type) && (
        <div className="error-box">
          {obs.error_type && <strong>{obs.error_type}</strong>} {obs.status_message}
        </div>
      )}
      {exceptions.map((e, i) => {
        const stack = e.attributes['exception.stacktrace'];
        return typeof stack === 'string' ? <pre key={i} className="stack">{stack}</pre> : null;
      })}
      <Facts rows={[
        ['Type', obs.type],
        ['Start', formatTime(obs.start_time)],
        ['Duration', formatDurationMs(obs.latency_ms)],
        ['Time to first token', Number.isFinite(ttftMs) ? formatDurationMs(ttftMs) : null],
        ['Model', obs.model],
        ['Provider', obs.provider],
        ['Tool', obs.tool?.name ?? null],
        ['Tool call id', obs.tool?.call_id ?? null],
        ['Prompt', obs.prompt ? `${obs.prompt.name} v${String(obs.prompt.version ?? '?')}` : null],
        ['Level', obs.level !== 'DEFAULT' ? obs.level : null],
        ['Retries', obs.retry_count ? String(obs.retry_count) : null],
        ['Redacted', obs.redactions ? `${obs.redactions} ${obs.redactions === 1 ? 'value' : 'values'}` : null],
        ['Service', obs.service_name],
        ['Environment', obs.environment],
        ['Release', obs.release],
        ['Id', <code>{obs.id}</code>],
      ]} />
      {scores.length > 0 && <Section title="Scores"><ScoreTable scores={scores} /></Section>}
      {u.total_tokens > 0 && (
        <Section title="Usage">
          <Facts rows={[
            ['Input tokens', formatTokens(u.input_tokens)],
            ['Output tokens', formatTokens(u.output_tokens)],
            ['Total tokens', formatTokens(u.total_tokens)],
            ['Cache read', u.cache_read_tokens ? formatTokens(u.cache_read_tokens) : null],
            ['Cache write', u.cache_write_tokens ? formatTokens(u.cache_write_tokens) : null],
            ['Reasoning', u.reasoning_tokens ? formatTokens(u.reasoning_tokens) : null],
          ]} />
        </Section>
      )}
      {(obs.cost.total > 0 || obs.cost.price_id || obs.cost.note) && (
        <Section title="Cost">
          <Facts rows={[
            ['Total', formatCost(obs.cost.total)],
            ['Input', formatCost(obs.cost.input)],
            ['Output', formatCost(obs.cost.output)],
            ['Source', obs.cost.source],
            ['Price', obs.cost.price_id ? <code>{obs.cost.price_id}</code> : null],
            ['Cache savings', obs.cost.cache_savings ? formatCost(obs.cost.cache_savings) : null],
            ['Note', obs.cost.note ?? null],
          ]} />
        </Section>
      )}
      {obs.payload_expired && (
        <p className="muted payload-expired">
          Input, output, events, metadata and attributes of this step have expired under the project's
          retention; its timing, tokens and cost are kept.
        </p>
      )}
      {!isEmpty(obs.model_parameters) && <Section title="Model parameters"><JsonView value={obs.model_parameters} /></Section>}
      <Payload title={obs.type === 'tool' ? 'Arguments' : 'Input'} value={obs.input} />
      <Payload title={obs.type === 'tool' ? 'Result' : 'Output'} value={obs.output} />
      {obs.events.length > 0 && <Section title="Events"><JsonView value={obs.events as unknown as Json} openDepth={1} /></Section>}
      {!isEmpty(obs.metadata) && <Section title="Metadata"><JsonView value={obs.metadata} /></Section>}
      {!isEmpty(obs.attributes) && <Section title="Attributes"><JsonView value={obs.attributes} /></Section>}
    </>
  );
}

// Runs listed for a group; more are reachable in the tree.
const kMaxListedRuns = 100;

function GroupDetail({ group, onSelect }: { group: FoldGroup<ObservationSummary>; onSelect: (node: TreeNode<ObservationSummary>) => void }) {
  return (
    <>
      <h2 className="detail-title"><TypeIcon type={group.type} /> <span>{group.name}</span> × {group.members.length}</h2>
      <p className="muted">Runs of one step (same type, name and model). Pick one below or in the tree.</p>
      <Facts rows={[
        ['Count', String(group.members.length)],
        ['p95 duration', formatDurationMs(group.p95Ms)],
        ['Tokens', formatTokens(group.totalTokens)],
        ['Cost', formatCost(group.totalCost)],
        ['Errors', String(group.errors)],
      ]} />
      <Section title="Runs">
        <ol className="runs">
          {group.members.slice(0, kMaxListedRuns).map((m) => (
            <li key={m.obs.id}>
              <button className="link" onClick={() => onSelect(m)}>{formatTime(m.obs.start_time)}</button>
              {' '}<span className="muted">{formatDurationMs(m.obs.latency_ms)}</span>
              {m.obs.cost.total > 0 && <span className="muted"> · {formatCost(m.obs.cost.total)}</span>}
              {' '}<StatusBadge status={m.obs.status} />
            </li>
          ))}
        </ol>
        {group.members.length > kMaxListedRuns && <p className="muted">and {group.members.length - kMaxListedRuns} more</p>}
      </Section>
    </>
  );
}

// A selected step is shown once its full observation has been fetched ('node'); until then
// ('loading') or if that failed ('failed') the panel names it from its summary.
export type Selection =
  | { kind: 'node'; obs: Observation }
  | { kind: 'loading'; obs: ObservationSummary }
  | { kind: 'failed'; obs: ObservationSummary; error: Error }
  | { kind: 'fold'; group: FoldGroup<ObservationSummary> }
  | null;

function PendingDetail({ obs, error }: { obs: ObservationSummary; error?: Error }) {
  return (
    <>
      <h2 className="detail-title"><TypeIcon type={obs.type} /> <span>{obs.name || obs.id}</span> <StatusBadge status={obs.status} /></h2>
      {error
        ? <p className="bad" role="alert">Could not load this step: {error.message}</p>
        : <p className="loading">Loading details…</p>}
    </>
  );
}

// `scores`: the scores of each observation (scoresByObservation).
export function DetailPanel({ selection, scores, onSelect }: {
  selection: Selection;
  scores: ReadonlyMap<string, Score[]>;
  onSelect: (node: TreeNode<ObservationSummary>) => void;
}) {
  return (
    <aside className="detail-panel" aria-label="Details">
      {selection === null && <p className="empty">Select a step.</p>}
      {selection?.kind === 'node' && <ObservationDetail obs={selection.obs} scores={scores.get(selection.obs.id) ?? []} />}
      {selection?.kind === 'loading' && <PendingDetail obs={selection.obs} />}
      {selection?.kind === 'failed' && <PendingDetail obs={selection.obs} error={selection.error} />}
      {selection?.kind === 'fold' && <GroupDetail group={selection.group} onSelect={onSelect} />}
    </aside>
  );
}
