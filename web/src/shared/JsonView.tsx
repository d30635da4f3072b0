// A collapsible JSON viewer. Keys and values are hostile text: they are rendered as React text
// nodes only (escaped), never as HTML. Levels below `openDepth` start closed and render nothing
// until opened, so a huge or deeply nested value costs only what is shown.
import { useState } from 'react';
import type { Json } from './model';

const kLongString = 2000;

function JsonString({ value }: { value: string }) {
  const [full, setFull] = useState(false);
  if (value.length <= kLongString || full) return <span className="json-string">"{value}"</span>;
  return (
    <span className="json-string">
      "{value.slice(0, kLongString)}…"{' '}
      <button className="link" onClick={() => setFull(true)}>show all {value.length.toLocaleString()} characters</button>
    </span>
  );
}

function JsonNode({ value, depth, openDepth }: { value: Json; depth: number; openDepth: number }) {
  const [open, setOpen] = useState(depth < openDepth);
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === 'string') return <JsonString value={value} />;
  if (typeof value !== 'object') return <span className={`json-${typeof value}`}>{String(value)}</span>;
  const entries: [string, Json][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  const [openBracket, closeBracket] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return <span>{openBracket + closeBracket}</span>;
  return (
    <span>
      <button className="json-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
        {open ? '▾' : '▸'} {openBracket}{open ? '' : ` ${entries.length} ${entries.length === 1 ? 'item' : 'items'} ${closeBracket}`}
      </button>
      {open && (
        <>
          <div className="json-children">
            {entries.map(([key, child]) => (
              <div key={key}>
                {!Array.isArray(value) && <span className="json-key">"{key}"</span>}
                {!Array.isArray(value) && ': '}
                <JsonNode value={child} depth={depth + 1} openDepth={openDepth} />
              </div>
            ))}
          </div>
          <span>{closeBracket}</span>
        </>
      )}
    </span>
  );
}

export function JsonView({ value, openDepth = 2 }: { value: Json | undefined; openDepth?: number }) {
  return (
    <div className="json-view">
      <JsonNode value={value ?? null} depth={0} openDepth={openDepth} />
    </div>
  );
}
