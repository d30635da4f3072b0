import { describe, expect, it } from 'vitest';
import { axisTicks, kLastTickPct, kMinBarPct, layoutBar } from './timeline';

describe('layoutBar', () => {
  it('places a bar by its share of the trace', () => {
    expect(layoutBar(250, 750, 0, 1000)).toEqual({ leftPct: 25, widthPct: 50, firstTokenPct: null });
  });
  it('widens a tiny bar and keeps it inside the axis', () => {
    const bar = layoutBar(1_000_000, 1_000_000, 0, 1_000_000);
    expect(bar.widthPct).toBe(kMinBarPct);
    expect(bar.leftPct + bar.widthPct).toBeLessThanOrEqual(100);
  });
  it('marks time to first token inside the bar', () => {
    expect(layoutBar(0, 1000, 0, 1000, 250).firstTokenPct).toBe(25);
    expect(layoutBar(0, 1000, 0, 1000, 5000).firstTokenPct).toBeNull();
  });
  it('survives a zero-length trace', () => {
    expect(layoutBar(5, 5, 5, 5).leftPct).toBeLessThanOrEqual(100 - kMinBarPct);
  });
});

describe('axisTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect(axisTicks(1_000_000, 5).map((t) => t.offsetUs)).toEqual([0, 200_000, 400_000, 600_000, 800_000]);
    expect(axisTicks(3_000, 6).map((t) => t.offsetUs)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
  });
  it('leaves out ticks whose label would run past the end of the axis', () => {
    expect(axisTicks(1_000, 10).map((t) => t.offsetUs)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(axisTicks(950, 10).at(-1)!.pct).toBeLessThanOrEqual(kLastTickPct);
  });
  it('has one tick for an empty duration', () => {
    expect(axisTicks(0)).toEqual([{ pct: 0, offsetUs: 0 }]);
  });
});
