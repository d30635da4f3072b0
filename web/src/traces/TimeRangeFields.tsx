// The time range part of a filter form (the trace list's, the dashboard's): a preset from
// kTimeRanges, or "Custom…" with from/to inputs. It holds no state of its own beyond whether the
// custom inputs show; the enclosing form reads `range`, `from` and `to` with readFilterForm.
// Picking a preset submits the form at once.
import { useState } from 'react';
import { kTimeRanges, toLocalInput, type TraceFilters } from './filters';

// `anyTime` offers "Any time" (no range at all); without it an absent range shows as `fallback`.
export function TimeRangeFields({ filters, anyTime = false, fallback = '' }: {
  filters: TraceFilters; anyTime?: boolean; fallback?: string;
}) {
  const [range, setRange] = useState(filters.range ?? (filters.from || filters.to ? 'custom' : fallback));
  return (
    <>
      <label className="inline">
        <span>Time</span>
        <select name="range" value={range} aria-label="Time range"
          onChange={(e) => {
            setRange(e.target.value);
            if (e.target.value !== 'custom') e.currentTarget.form?.requestSubmit();
          }}>
          {anyTime && <option value="">Any time</option>}
          {Object.entries(kTimeRanges).map(([value, [label]]) => <option key={value} value={value}>{label}</option>)}
          <option value="custom">Custom…</option>
        </select>
      </label>
      {range === 'custom' && (
        <>
          <label className="inline"><span>From</span>
            <input type="datetime-local" name="from" defaultValue={toLocalInput(filters.from)} aria-label="From" /></label>
          <label className="inline"><span>To</span>
            <input type="datetime-local" name="to" defaultValue={toLocalInput(filters.to)} aria-label="To" /></label>
        </>
      )}
    </>
  );
}
