// Charts of the HTML report as plain SVG, drawn here so that the page needs no
// script and no network: axes with round ticks, line series and bars.

export interface Series {
  readonly name: string;
  readonly color: string;
  /** [x, y] in data units. */
  readonly points: readonly (readonly [number, number])[];
  /** line (default); band: a wide pale stroke, seen around a line drawn over it; dashed: a reference, such as a target. */
  readonly kind?: 'line' | 'band' | 'dashed';
}

export interface Bar {
  readonly from: number;
  readonly to: number;
  readonly value: number;
}

export interface Tick {
  readonly at: number;
  readonly label: string;
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly lines?: readonly Series[];
  readonly bars?: readonly Bar[];
  /** Default: round numbers across the data. */
  readonly xTicks?: readonly Tick[];
  /** How to read the chart, under it. */
  readonly note?: string;
}

const WIDTH = 760;
const HEIGHT = 300;
const MARGIN = { left: 64, right: 32, top: 28, bottom: 44 };

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fixed = (n: number): string => String(Math.round(n * 10) / 10);

/** Round tick values (1, 2 or 5 × 10^k apart) from 0 or `min` to at least `max`. */
export function roundTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min, min + 1];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) as number) * magnitude;
  const ticks: number[] = [];
  for (let at = Math.floor(min / step) * step; at < max + step; at += step) ticks.push(Number(at.toPrecision(12)));
  return ticks;
}

const label = (n: number): string => (Math.abs(n) >= 10_000 ? n.toExponential(1) : String(Number(n.toPrecision(6))));

/** One chart as an inline <svg class="chart">, or a note when there is nothing to draw. */
export function chart(spec: ChartSpec): string {
  const lines = spec.lines ?? [];
  const bars = spec.bars ?? [];
  const xs = [...lines.flatMap((s) => s.points.map((p) => p[0])), ...bars.flatMap((b) => [b.from, b.to])];
  const ys = [...lines.flatMap((s) => s.points.map((p) => p[1])), ...bars.map((b) => b.value)];
  const caption = `<figcaption>${escapeHtml(spec.title)}</figcaption>`;
  if (xs.length === 0) return `<figure>${caption}<p class="empty">No calls completed: nothing to draw.</p></figure>`;
  const xTicks = spec.xTicks ?? roundTicks(Math.min(...xs), Math.max(...xs)).map((at) => ({ at, label: label(at) }));
  const yTicks = roundTicks(0, Math.max(...ys, 0));
  const x0 = Math.min(...xs, ...xTicks.map((t) => t.at));
  const x1 = Math.max(...xs, ...xTicks.map((t) => t.at));
  const y1 = Math.max(...yTicks);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (v: number): number => MARGIN.left + (x1 > x0 ? ((v - x0) / (x1 - x0)) * plotWidth : plotWidth / 2);
  const y = (v: number): number => MARGIN.top + plotHeight - (y1 > 0 ? (v / y1) * plotHeight : 0);
  const parts: string[] = [];
  for (const tick of yTicks) {
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fixed(y(tick))}" y2="${fixed(y(tick))}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${fixed(y(tick) + 4)}" text-anchor="end">${label(tick)}</text>`);
  }
  for (const tick of xTicks) {
    parts.push(`<text class="tick" x="${fixed(x(tick.at))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escapeHtml(tick.label)}</text>`);
  }
  for (const bar of bars) {
    const left = x(bar.from);
    const width = Math.max(1, x(bar.to) - left - 1);
    parts.push(`<rect class="bar" x="${fixed(left)}" y="${fixed(y(bar.value))}" width="${fixed(width)}" height="${fixed(y(0) - y(bar.value))}"><title>${label(bar.from)}–${label(bar.to)}: ${bar.value}</title></rect>`);
  }
  for (const series of lines) {
    if (series.points.length === 1) {
      const [px, py] = series.points[0] as readonly [number, number];
      parts.push(`<circle class="series" data-series="${escapeHtml(series.name)}" data-points="${px},${py}" cx="${fixed(x(px))}" cy="${fixed(y(py))}" r="3" fill="${series.color}"/>`);
      continue;
    }
    const d = series.points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${fixed(x(px))},${fixed(y(py))}`).join('');
    // The points in data units too, for whoever reads the page (and its tests) rather than looks at it.
    const data = series.points.map(([px, py]) => `${Number(px.toFixed(4))},${Number(py.toFixed(4))}`).join(' ');
    parts.push(`<path class="series ${series.kind ?? 'line'}" data-series="${escapeHtml(series.name)}" data-points="${data}" d="${d}" stroke="${series.color}"/>`);
  }
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fixed(y(0))}" y2="${fixed(y(0))}"/>`);
  parts.push(`<text class="label" x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`);
  parts.push(`<text class="label" x="14" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 14 ${MARGIN.top + plotHeight / 2})">${escapeHtml(spec.yLabel)}</text>`);
  const legend = lines.length > 1
    ? lines.map((s, i) => `<text class="legend" x="${MARGIN.left + 8 + i * 140}" y="16" style="fill: ${s.color}">■ ${escapeHtml(s.name)}</text>`).join('')
    : '';
  const note = spec.note === undefined ? '' : `<p class="note">${escapeHtml(spec.note)}</p>`;
  return `<figure>${caption}<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(spec.title)}">${legend}${parts.join('')}</svg>${note}</figure>`;
}
