// Small SVG and CSS charts shared by the reports and the money screen: horizontal bars and columns.
import { html, useApp } from "./ui.js";

export function Bars({ items, max, mono }) {
  const { t } = useApp();
  if (items.length === 0) return html`<p class="muted">${t("empty")}</p>`;
  const top = max ?? Math.max(1, ...items.map((i) => i.value));
  return html`<ul class="bars">
    ${items.map(
      (i) =>
        html`<li>
          <span class=${`bl ${mono ? "mono small" : ""}`}>${i.label}</span
          ><span class="bt"><span class="bf" style=${{ width: `${Math.min(100, (i.value / top) * 100)}%` }}></span></span
          ><span class="bv">${i.text}</span>
        </li>`,
    )}
  </ul>`;
}

export function Columns({ items }) {
  const top = Math.max(1, ...items.map((i) => i.value));
  const w = 100 / Math.max(1, items.length);
  return html`<svg class="columns" viewBox="0 0 100 44" preserveAspectRatio="none" role="img">
      ${items.map((i, k) => {
        const hgt = (i.value / top) * 40;
        return html`<rect x=${k * w + w * 0.1} y=${40 - hgt} width=${w * 0.8} height=${hgt}><title>${i.label}: ${i.title}</title></rect>`;
      })}
      <line x1="0" y1="40" x2="100" y2="40" />
    </svg>
    <div class="col-labels"><span>${items[0]?.label}</span><span>${items.at(-1)?.label}</span></div>`;
}
