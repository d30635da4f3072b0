// A line chart over time buckets, drawn by uPlot on a canvas. uPlot sets its sizes and positions
// through element.style (allowed by the CSP's style-src 'self', unlike style attributes or
// <style> elements) and its stylesheet is bundled with ours. The legend under the chart names
// every series and shows its value at the cursor.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatTick, formatValue, type ChartData, type Unit } from './metrics';

const kHeight = 220;
// Distinguishable on white and in print; "other" is grey.
const kColors = ['#3b5bdb', '#e8590c', '#2b8a3e', '#ae3ec9', '#1098ad', '#d6336c', '#f59f00'];
const kOtherColor = '#868e96';
// Steps between axis ticks for whole numbers (counts, tokens): no "0.5 traces".
const kWholeSteps = Array.from({ length: 13 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

// `utc`: label the time axis and legend in UTC (day buckets are UTC days).
export function TimeChart({ data, unit, utc }: { data: ChartData; unit: Unit; utc: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const show = (v: number | null) => (v == null ? '–' : formatValue(unit, v));
    const options: uPlot.Options = {
      width: el.clientWidth,
      height: kHeight,
      ...(utc ? { tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') } : {}),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => uPlot.rangeNum(0, Math.max(max, 0), 0.1, true) } },
      series: [
        { label: utc ? 'Time (UTC)' : 'Time' },
        ...data.series.map((s, i) => ({
          label: s.label,
          stroke: s.other ? kOtherColor : kColors[i % kColors.length],
          width: 2,
          ...(s.other ? { dash: [6, 4] } : {}),
          // Percentiles have gaps where nothing ran: points keep a lone bucket visible.
          ...(unit === 'duration' ? { points: { show: true, size: 5 } } : {}),
          value: (_u: uPlot, v: number | null) => show(v),
        })),
      ],
      axes: [
        {},
        {
          size: 72,
          values: (_u, splits) => splits.map((v) => formatTick(unit, v)),
          ...(unit === 'count' || unit === 'tokens' ? { incrs: kWholeSteps } : {}),
        },
      ],
    };
    const plot = new uPlot(options, [data.times.map((t) => t / 1000), ...data.series.map((s) => s.values)], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: kHeight }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data, unit, utc]);
  return <div className="chart" ref={box} />;
}
