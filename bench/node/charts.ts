/** Grouped bar charts as plain SVG (no dependencies, readable on GitHub and in any browser). */

export interface BarChart {
  title: string;
  unit: string;
  groups: string[];
  series: { name: string; values: (number | null)[] }[];
}

const COLORS = ["#2f6fb0", "#7fb3e0", "#d9822b", "#6a9955", "#a05195"];
const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

function niceMax(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

const label = (v: number) => (v === 0 ? "0" : v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function barChart(c: BarChart): string {
  const W = 720;
  const H = 340;
  const left = 60;
  const right = 20;
  const top = 40;
  const bottom = 80;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const max = niceMax(Math.max(0, ...c.series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const groupW = plotW / c.groups.length;
  const barW = Math.min(40, (groupW * 0.8) / c.series.length);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(c.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    out.push(
      `<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${label(v)}</text>`,
    );
  }
  out.push(
    `<text x="14" y="${top + plotH / 2}" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle" fill="#555">${esc(c.unit)}</text>`,
  );
  c.groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - barW * c.series.length) / 2;
    c.series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined) return;
      const x = x0 + si * barW;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"/>`,
        `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${label(v)}</text>`,
      );
    });
    out.push(`<text x="${left + gi * groupW + groupW / 2}" y="${top + plotH + 18}" text-anchor="middle">${esc(g)}</text>`);
  });
  c.series.forEach((s, si) => {
    const x = left + (si % 3) * 220;
    const yy = H - 36 + Math.floor(si / 3) * 18;
    out.push(
      `<rect x="${x}" y="${yy - 10}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/>`,
      `<text x="${x + 18}" y="${yy}">${esc(s.name)}</text>`,
    );
  });
  out.push("</svg>", "");
  return out.join("\n");
}
