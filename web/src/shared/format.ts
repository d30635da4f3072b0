// Text for numbers, times and durations, shared by every page. Pure functions.

// "2026-11-22T02:28:49.557123Z" → microseconds since the epoch (Date.parse keeps only ms).
// NaN when the text is not an RFC 3339 time.
export function parseTimeUs(text: string | null | undefined): number {
  if (!text) return NaN;
  // Fast path for the API's own form, "YYYY-MM-DDTHH:MM:SS.ffffffZ" (100k-span traces).
  if (text.length === 27 && text[19] === '.' && text[26] === 'Z') {
    const fraction = Number(text.slice(20, 26));
    const ms = Date.parse(text.slice(0, 19) + 'Z');
    if (Number.isInteger(fraction) && !Number.isNaN(ms)) return ms * 1000 + fraction;
  }
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return NaN;
  const ms = Date.parse(m[1] + m[3]);
  if (Number.isNaN(ms)) return NaN;
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return ms * 1000 + Number(fraction);
}

// 0.4 → "400 µs", 12 → "12 ms", 1234 → "1.23 s", 125000 → "2m 5s".
export function formatDurationMs(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '–';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

// 0 → "0", 1234 → "1,234", 1234567 → "1.23M".
export function formatTokens(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(2)}M`;
  return n.toLocaleString('en-US');
}

// USD with enough digits to tell small model calls apart: 0.00045 → "$0.00045", 12.5 → "$12.50".
export function formatCost(usd: number | null | undefined): string {
  if (usd == null || !Number.isFinite(usd)) return '–';
  if (usd === 0) return '$0';
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  if (usd >= 0.01) return `$${usd.toFixed(4)}`;
  return `$${Number(usd.toPrecision(2))}`;
}

// A share (0..1) as a percentage: 0.2 → "20%", 0.0123 → "1.2%", 0.0004 → "0.04%".
export function formatPercent(share: number | null | undefined): string {
  if (share == null || !Number.isFinite(share)) return '–';
  const percent = share * 100;
  if (percent === 0 || percent >= 10) return `${Math.round(percent)}%`;
  return `${Number(percent.toPrecision(2))}%`;
}

// A start time as local "YYYY-MM-DD HH:MM:SS".
export function formatTime(text: string | null | undefined): string {
  const us = parseTimeUs(text);
  if (Number.isNaN(us)) return text ?? '–';
  const d = new Date(us / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// Nearest-rank percentile (p in 0..100) of `values`; NaN for an empty list.
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
