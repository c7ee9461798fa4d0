export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface Band {
  name: string;
  color: string;
  /** Each point is [x, low, high]. */
  points: [number, number, number][];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  yMin?: number;
  yMax?: number;
  series: Series[];
  bands?: Band[];
}

const WIDTH = 780;
const HEIGHT = 400;
const MARGIN = { left: 90, right: 220, top: 40, bottom: 50 };
const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
const format = (value: number) =>
  Math.abs(value) >= 1e6
    ? `${+(value / 1e6).toPrecision(3)}M`
    : Math.abs(value) >= 1e3
      ? `${+(value / 1e3).toPrecision(3)}k`
      : `${+value.toPrecision(3)}`;

/** A small self-contained SVG line chart with optional shaded bands, for the benchmark report. */
export function lineChart(spec: ChartSpec): string {
  const xs = [
    ...spec.series.flatMap((s) => s.points.map((p) => p[0])),
    ...(spec.bands ?? []).flatMap((b) => b.points.map((p) => p[0])),
  ];
  const ys = [
    ...spec.series.flatMap((s) => s.points.map((p) => p[1])),
    ...(spec.bands ?? []).flatMap((b) => b.points.flatMap((p) => [p[1], p[2]])),
  ];
  const tx = (x: number) => (spec.logX ? Math.log10(Math.max(x, 1e-9)) : x);
  const [x0, x1] = [Math.min(...xs.map(tx)), Math.max(...xs.map(tx))];
  const [y0, y1] = [spec.yMin ?? Math.min(0, ...ys), spec.yMax ?? Math.max(...ys) * 1.05];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + ((tx(x) - x0) / (x1 - x0 || 1)) * plotW;
  // Values outside the y range are drawn on its edge.
  const py = (y: number) =>
    MARGIN.top + plotH - ((Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0 || 1)) * plotH;
  const path = (points: [number, number][]) =>
    points.map(([x, y], i) => `${i ? "L" : "M"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join("");

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2 - MARGIN.right / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(spec.title)}</text>`,
  ];
  for (const band of spec.bands ?? []) {
    const upper = band.points.map(([x, , high]) => [x, high] as [number, number]);
    const lower = band.points.map(([x, low]) => [x, low] as [number, number]).reverse();
    parts.push(
      `<path d="${path([...upper, ...lower])}Z" fill="${band.color}" fill-opacity="0.25" stroke="none"/>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const y = y0 + ((y1 - y0) * i) / 5;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`,
    );
    parts.push(`<text x="${MARGIN.left - 6}" y="${py(y) + 4}" text-anchor="end">${format(y)}</text>`);
  }
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  const shown =
    xTicks.length <= 8
      ? xTicks
      : Array.from({ length: 6 }, (_, i) => xTicks[Math.round((i * (xTicks.length - 1)) / 5)] as number);
  for (const x of shown)
    parts.push(`<text x="${px(x)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${format(x)}</text>`);
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
  );
  const legend = [
    ...(spec.bands ?? []).map((b) => ({ name: b.name, color: b.color, band: true, dashed: false })),
    ...spec.series.map((s) => ({ name: s.name, color: s.color, band: false, dashed: s.dashed ?? false })),
  ];
  legend.forEach((entry, i) => {
    const y = MARGIN.top + 10 + i * 20;
    const x = WIDTH - MARGIN.right + 12;
    parts.push(
      entry.band
        ? `<rect x="${x}" y="${y - 6}" width="18" height="10" fill="${entry.color}" fill-opacity="0.25"/>`
        : `<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${entry.color}" stroke-width="2"${entry.dashed ? ' stroke-dasharray="4 3"' : ""}/>`,
      `<text x="${x + 24}" y="${y + 4}">${escapeXml(entry.name)}</text>`,
    );
  });
  for (const series of spec.series) {
    parts.push(
      `<path d="${path(series.points)}" fill="none" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="4 3"' : ""}/>`,
    );
  }
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
