// Timeline (waterfall) layout: where each bar sits on the trace's shared time axis, and the
// axis ticks. Positions are percentages of the trace's duration, so the component only sets
// CSS left/width. Pure.

export interface Bar {
  leftPct: number;
  widthPct: number;
  // Time to first token as a percentage of the bar's own width, null when not known.
  firstTokenPct: number | null;
}

// Bars narrower than this are widened so that a 1 µs step in an hour-long trace stays visible.
export const kMinBarPct = 0.3;

export function layoutBar(
  startUs: number, endUs: number, traceStartUs: number, traceEndUs: number, firstTokenUs = NaN,
): Bar {
  const total = Math.max(traceEndUs - traceStartUs, 1);
  const clamp = (pct: number) => Math.min(100, Math.max(0, pct));
  let leftPct = clamp(((startUs - traceStartUs) / total) * 100);
  let widthPct = clamp(((Math.max(endUs, startUs) - startUs) / total) * 100);
  if (widthPct < kMinBarPct) {
    widthPct = kMinBarPct;
    leftPct = Math.min(leftPct, 100 - kMinBarPct);
  }
  let firstTokenPct: number | null = null;
  if (Number.isFinite(firstTokenUs) && endUs > startUs && firstTokenUs >= startUs && firstTokenUs <= endUs) {
    firstTokenPct = ((firstTokenUs - startUs) / (endUs - startUs)) * 100;
  }
  return { leftPct, widthPct, firstTokenPct };
}

export interface Tick {
  pct: number;
  offsetUs: number;
}

// Labels are drawn to the right of their tick, so a tick in the last part of the axis would run
// its label past the end (or, pulled back, over its neighbour's): those ticks are left out.
export const kLastTickPct = 90;

// Ticks at a 1-2-5 step so that at most `maxTicks` + 1 fit in the duration, starting at 0 and
// ending at or before kLastTickPct.
export function axisTicks(durationUs: number, maxTicks = 6): Tick[] {
  if (!(durationUs > 0)) return [{ pct: 0, offsetUs: 0 }];
  const rough = durationUs / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  const ticks: Tick[] = [];
  for (let offsetUs = 0; (offsetUs / durationUs) * 100 <= kLastTickPct; offsetUs += step) {
    ticks.push({ pct: (offsetUs / durationUs) * 100, offsetUs });
  }
  return ticks;
}
