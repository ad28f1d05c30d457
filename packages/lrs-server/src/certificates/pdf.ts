/**
 * A one-page certificate as a PDF, written by hand: A4 landscape, the standard Helvetica fonts
 * (no font files to embed), WinAnsi text. Characters outside WinAnsi cannot be shown by those
 * fonts, so callers pass a Latin fallback for them (the verification page shows every script).
 *
 * @example
 * const pdf = certificatePdf({ heading: 'Certificate of completion', name: 'Ana Silva', lines: ['completed', 'Ethics'], footer: ['https://…'] });
 */
export interface CertificateLayout {
  heading: string;
  name: string;
  /** Centered lines under the name: what was achieved, credits, date. */
  lines: string[];
  /** Small print at the bottom: issuer, id, verification URL. */
  footer: string[];
}

const WIDTH = 842;
const HEIGHT = 595;

// Helvetica advance widths (1/1000 em) for ASCII 32–126, from the standard font metrics.
const HELVETICA = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722,
  278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333,
  500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/** Whether every character of `text` can be drawn with the standard fonts. */
export function isWinAnsi(text: string): boolean {
  return /^[\x20-\x7e\xa0-\xff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac]*$/.test(text);
}

const WIN_ANSI_EXTRA: Record<string, number> = { '\u2013': 0x96, '\u2014': 0x97, '\u2018': 0x91, '\u2019': 0x92, '\u201c': 0x93, '\u201d': 0x94, '\u2022': 0x95, '\u2026': 0x85, '\u20ac': 0x80 };

function textWidth(text: string, size: number, bold: boolean): number {
  let w = 0;
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    w += code >= 32 && code <= 126 ? HELVETICA[code - 32]! : 556;
  }
  return (w * size * (bold ? 1.06 : 1)) / 1000;
}

/** A PDF string literal in WinAnsi bytes (as a latin1 JS string). */
function literal(text: string): string {
  let out = '';
  for (const ch of text) {
    const mapped = WIN_ANSI_EXTRA[ch];
    const code = mapped ?? ch.charCodeAt(0);
    const c = code <= 0xff && (mapped !== undefined || isWinAnsi(ch)) ? String.fromCharCode(code) : '?';
    out += c === '(' || c === ')' || c === '\\' ? `\\${c}` : c;
  }
  return `(${out})`;
}

/** Shortens `text` with an ellipsis until it fits `max` points. */
function fit(text: string, size: number, bold: boolean, max: number): string {
  if (textWidth(text, size, bold) <= max) return text;
  let t = text;
  while (t.length > 1 && textWidth(`${t}\u2026`, size, bold) > max) t = t.slice(0, -1);
  return `${t}\u2026`;
}

export function certificatePdf(layout: CertificateLayout): Buffer {
  const ops: string[] = [];
  const centered = (text: string, y: number, size: number, font: 'F1' | 'F2', color = '0.11 0.15 0.2') => {
    const t = fit(text, size, font === 'F2', WIDTH - 160);
    const x = (WIDTH - textWidth(t, size, font === 'F2')) / 2;
    ops.push(`BT ${color} rg /${font} ${size} Tf ${x.toFixed(2)} ${y} Td ${literal(t)} Tj ET`);
  };
  // Frame: an outer accent border and a thin inner rule.
  ops.push('0.06 0.44 0.87 RG 6 w 24 24 794 547 re S', '0.8 0.85 0.9 RG 1 w 40 40 762 515 re S');
  ops.push('0.06 0.44 0.87 rg 361 470 120 3 re f');
  centered('xcredit', 500, 14, 'F2', '0.06 0.44 0.87');
  centered(layout.heading, 420, 32, 'F2');
  centered('This certifies that', 370, 14, 'F1', '0.36 0.4 0.46');
  centered(layout.name, 320, 30, 'F2');
  let y = 270;
  for (const [i, line] of layout.lines.entries()) {
    centered(line, y, i === 1 ? 20 : 14, i === 1 ? 'F2' : 'F1', i === 1 ? '0.11 0.15 0.2' : '0.36 0.4 0.46');
    y -= i === 1 ? 34 : 26;
  }
  let fy = 96;
  for (const line of layout.footer) {
    centered(line, fy, 9, 'F1', '0.36 0.4 0.46');
    fy -= 14;
  }
  const content = ops.join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${WIDTH} ${HEIGHT}] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    `<< /Title ${literal(`${layout.heading}: ${layout.name}`)} /Producer (xcredit) >>`,
  ];
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
