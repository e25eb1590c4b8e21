/**
 * A small SVG line chart for evenly spaced samples over a time window: a few gridlines, a y axis in
 * the series' unit, the window's start and end on the x axis, and the latest value of each series.
 * Screen readers get a one-line summary (latest and peak of each series).
 */
export interface Series {
  label: string;
  color: string;
  /** One value per sample, oldest first; `null` where nothing was measured. */
  values: (number | null)[];
}

const W = 640;
const H = 200;
const PAD = { left: 52, right: 14, top: 12, bottom: 26 };

export function LineChart({ title, series, windowLabel, format, integer = false }: { title: string; series: Series[]; windowLabel: string; format: (v: number) => string; integer?: boolean }) {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const peak = all.length === 0 ? 0 : Math.max(...all);
  // Counts get whole-number gridlines: a top that is a multiple of 4.
  const yMax = integer ? Math.max(4, Math.ceil(peak / 4) * 4) : niceCeiling(peak);
  const samples = Math.max(1, ...series.map((s) => s.values.length));
  const x = (i: number) => PAD.left + (samples <= 1 ? 0 : (i / (samples - 1)) * (W - PAD.left - PAD.right));
  const y = (v: number) => H - PAD.bottom - (yMax === 0 ? 0 : (v / yMax) * (H - PAD.top - PAD.bottom));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  const summary = series
    .map((s) => {
      const values = s.values.filter((v): v is number => v !== null);
      const latest = values.at(-1);
      return `${s.label}: now ${latest === undefined ? 'no data' : format(latest)}, peak ${values.length === 0 ? 'no data' : format(Math.max(...values))}`;
    })
    .join('; ');

  return (
    <figure class="chart card">
      <figcaption>
        <strong>{title}</strong>
        <span class="legend-list">
          {series.map((s) => (
            <span key={s.label} class="legend-item">
              <span class="legend-line" style={{ background: s.color }} aria-hidden="true" />
              {s.label}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} over ${windowLabel}. ${summary}`} preserveAspectRatio="none" class="chart-svg">
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="#e3e6eb" />
            <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end" class="tick">
              {format(t)}
            </text>
          </g>
        ))}
        <text x={PAD.left} y={H - 6} class="tick">
          −{windowLabel}
        </text>
        <text x={W - PAD.right} y={H - 6} text-anchor="end" class="tick">
          now
        </text>
        {series.map((s) => (
          <polyline key={s.label} fill="none" stroke={s.color} stroke-width="2" stroke-linejoin="round" points={points(s.values, x, y)} />
        ))}
      </svg>
      <p class="chart-summary small muted">{summary}</p>
    </figure>
  );
}

/** Gaps (`null`) are drawn as 0 for counts; the caller decides what a gap means. */
function points(values: (number | null)[], x: (i: number) => number, y: (v: number) => number): string {
  return values.map((v, i) => `${x(i).toFixed(1)},${y(v ?? 0).toFixed(1)}`).join(' ');
}

/** 0 → 1; 7 → 8; 130 → 150: a round top for the y axis. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}
