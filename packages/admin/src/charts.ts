import { svg, type TemplateResult } from 'lit';

const W = 460;

/** Horizontal bars with an optional target tick per bar (e.g. average earned vs target). */
export function barChart(items: { label: string; value: number; target?: number | null }[], options: { unit?: string; label: string }): TemplateResult {
  const max = Math.max(1, ...items.map((i) => Math.max(i.value, i.target ?? 0)));
  const row = 26;
  const left = 150;
  const width = W - left - 50;
  const h = items.length * row + 8;
  return svg`<svg viewBox="0 0 ${W} ${h}" width="100%" role="img" aria-label=${options.label}>
    ${items.map((item, i) => {
      const y = 4 + i * row;
      const bw = (item.value / max) * width;
      const tx = item.target === undefined || item.target === null ? null : left + (item.target / max) * width;
      return svg`<g class="bar">
        <text x=${left - 8} y=${y + 15} text-anchor="end" class="label">${item.label.length > 22 ? `${item.label.slice(0, 21)}…` : item.label}</text>
        <rect x=${left} y=${y + 3} width=${Math.max(1, bw)} height=${row - 10} rx="3" class="fill"></rect>
        ${tx === null ? null : svg`<line x1=${tx} x2=${tx} y1=${y} y2=${y + row - 4} class="target"></line>`}
        <text x=${left + bw + 6} y=${y + 15} class="value">${item.value}${options.unit ?? ''}</text>
      </g>`;
    })}
  </svg>`;
}

/** Vertical columns (a histogram): one per bucket. */
export function columnChart(items: { label: string; value: number }[], options: { label: string }): TemplateResult {
  const max = Math.max(1, ...items.map((i) => i.value));
  const h = 160;
  const base = h - 24;
  const col = W / Math.max(1, items.length);
  return svg`<svg viewBox="0 0 ${W} ${h}" width="100%" role="img" aria-label=${options.label}>
    ${items.map((item, i) => {
      const ch = (item.value / max) * (base - 18);
      const x = i * col + col * 0.15;
      return svg`<g class="bar">
        <rect x=${x} y=${base - ch} width=${col * 0.7} height=${Math.max(1, ch)} rx="3" class="fill"></rect>
        <text x=${x + col * 0.35} y=${base - ch - 4} text-anchor="middle" class="value">${item.value}</text>
        <text x=${x + col * 0.35} y=${h - 8} text-anchor="middle" class="label">${item.label}</text>
      </g>`;
    })}
  </svg>`;
}

/** One bar split into coloured parts, with a legend (e.g. learners met / on track / at risk). */
export function stackedBar(parts: { label: string; value: number; cls: string }[], options: { label: string }): TemplateResult {
  const total = Math.max(1, parts.reduce((s, p) => s + p.value, 0));
  let x = 0;
  return svg`<svg viewBox="0 0 ${W} 64" width="100%" role="img" aria-label=${options.label}>
    ${parts.map((p) => {
      const w = (p.value / total) * W;
      const out = svg`<rect x=${x} y="4" width=${w} height="24" class=${p.cls}></rect>`;
      x += w;
      return out;
    })}
    ${parts.map((p, i) => svg`<g transform="translate(${i * (W / parts.length)}, 44)"><rect width="10" height="10" class=${p.cls}></rect><text x="14" y="9" class="label">${p.label} ${p.value}</text></g>`)}
  </svg>`;
}
