import { css } from 'lit';

export const shared = css`
  :host { display: block; color: #1d2733; font-family: system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Noto Sans CJK SC', sans-serif; }
  h2 { font-size: 1.05rem; margin: 0 0 10px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
  .card { background: #fff; border: 1px solid #dde3ea; border-radius: 10px; padding: 16px; }
  .note { color: #5b6775; font-size: 0.8rem; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-size: 0.88rem; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eef1f5; vertical-align: top; }
  th { color: #5b6775; font-weight: 600; }
  a { color: #0f6fde; text-decoration: none; } a:hover { text-decoration: underline; }
  button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid #c8d1db; background: #fff; cursor: pointer; }
  button.primary { background: #0f6fde; border-color: #0f6fde; color: #fff; font-weight: 600; }
  button.danger { color: #b3261e; border-color: #e8b4ae; }
  button:disabled { opacity: 0.45; cursor: default; }
  input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #c8d1db; border-radius: 6px; box-sizing: border-box; }
  textarea { font-family: ui-monospace, monospace; font-size: 0.8rem; width: 100%; }
  .error { color: #b3261e; font-size: 0.82rem; margin: 4px 0 0; }
  .ok { color: #17803d; }
  .muted { color: #5b6775; }
  svg .label { font-size: 11px; fill: #5b6775; } svg .value { font-size: 11px; fill: #1d2733; }
  svg .fill { fill: #0f6fde; } svg .target { stroke: #b3261e; stroke-width: 2; }
  svg .met { fill: #17803d; } svg .on_track { fill: #7cb8f2; } svg .at_risk { fill: #d9534f; } svg .no_target { fill: #c8d1db; }
`;
