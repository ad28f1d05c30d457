import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import * as fontkit from 'fontkit';
import { PDFDocument, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import QRCode from 'qrcode';

/**
 * A one-page certificate as a PDF (pdf-lib and fontkit): A4 landscape, Noto Sans SC and Noto Sans KR embedded
 * as subsets (only the glyphs the page uses), so Chinese, Japanese and Korean names and titles
 * print as entered, and a QR code of the verification URL drawn as vector squares.
 *
 * @example
 * const pdf = await certificatePdf({ heading: 'Certificate of completion', subheading: '结业证书', name: '张伟', lines: ['has completed the course', '职业道德', '4 credits'], footer: ['Issued by Acme'], verifyUrl: 'https://lrs.example.com/certificates/…', issuedAt: new Date() });
 */
export interface CertificateLayout {
  heading: string;
  /** A second, smaller heading under the first (the heading in Chinese). */
  subheading: string;
  name: string;
  /** Centered lines under the name: what was achieved (the second line large), credits, date. */
  lines: string[];
  /** Small print at the bottom: issuer, id, verification URL. */
  footer: string[];
  /** What the QR code holds. */
  verifyUrl: string;
  /** The document's creation date (the certificate's issue time, not the time it is drawn). */
  issuedAt: Date;
}

const WIDTH = 842;
const HEIGHT = 595;
const INK = rgb(0.11, 0.15, 0.2);
const MUTED = rgb(0.36, 0.4, 0.46);
const ACCENT = rgb(0.06, 0.44, 0.87);

type Weight = 'regular' | 'bold';
type Face = 'sc' | 'kr';

// Noto Sans SC covers Latin, Chinese (all of CJK Unified Ideographs and Extension A) and
// Japanese kana; Noto Sans KR adds Hangul. Each character is drawn with the first that has it.
const require = createRequire(import.meta.url);
const FILES: Record<Face, Record<Weight, string>> = {
  sc: { regular: '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf', bold: '@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf' },
  kr: { regular: '@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf', bold: '@expo-google-fonts/noto-sans-kr/700Bold/NotoSansKR_700Bold.ttf' },
};
const FACES: Face[] = ['sc', 'kr'];

interface LoadedFont {
  bytes: Uint8Array;
  parsed: fontkit.Font;
}

// Fonts are read and parsed once per process. pdf-lib is handed them through a fontkit of our own
// that returns the parsed font, so each certificate only pays for its subset. That fontkit is
// upstream fontkit 2: the fork pdf-lib ships (@pdf-lib/fontkit 1.1.1) writes TrueType subsets with
// a short loca table that loses glyphs (pdf-lib issue #1232); fontkit 2 keeps the font's format.
// pdf-lib 1.17 still reads a subset as a stream, which fontkit 2 gives as one buffer.
const loaded = new Map<string, Promise<LoadedFont>>();
function load(face: Face, weight: Weight): Promise<LoadedFont> {
  const file = FILES[face][weight];
  let font = loaded.get(file);
  if (!font) {
    font = readFile(require.resolve(file)).then((buf) => {
      const parsed = fontkit.create(buf) as fontkit.Font;
      const createSubset = parsed.createSubset.bind(parsed);
      parsed.createSubset = () => {
        const subset = createSubset();
        return Object.assign(subset, { encodeStream: () => Readable.from([subset.encode()]) });
      };
      return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), parsed };
    });
    font.catch(() => loaded.delete(file));
    loaded.set(file, font);
  }
  return font;
}
const parsedByBytes = new WeakMap<Uint8Array, fontkit.Font>();
const pdfFontkit = {
  create: (data: Uint8Array) => {
    const parsed = parsedByBytes.get(data);
    if (!parsed) throw new Error('certificate fonts are embedded through load()');
    return parsed as never;
  },
};

/** Which face draws a character: null when none of the embedded fonts has it. */
async function faceFor(char: string, weight: Weight): Promise<Face | null> {
  const code = char.codePointAt(0)!;
  for (const face of FACES) if ((await load(face, weight)).parsed.hasGlyphForCodePoint(code)) return face;
  return null;
}

/**
 * Whether every character of `text` can be drawn in the certificate's fonts (Latin, Chinese,
 * Japanese, Korean: yes; e.g. Thai, Arabic or rare Latin letters such as Ł: no).
 */
export async function drawable(text: string): Promise<boolean> {
  for (const ch of text) if (!/\s/.test(ch) && !(await faceFor(ch, 'regular')) && !(await faceFor(ch, 'bold'))) return false;
  return true;
}

/** Text cut into runs that one face draws; characters no face has become "?". */
async function runs(text: string, weight: Weight): Promise<{ face: Face; text: string }[]> {
  const out: { face: Face; text: string }[] = [];
  for (const ch of text) {
    const face = /\s/.test(ch) ? (out.at(-1)?.face ?? 'sc') : await faceFor(ch, weight);
    const [f, c] = face ? [face, ch] : (['sc', '?'] as const);
    const last = out.at(-1);
    if (last?.face === f) last.text += c;
    else out.push({ face: f, text: c });
  }
  return out;
}

export async function certificatePdf(layout: CertificateLayout): Promise<Buffer> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.registerFontkit(pdfFontkit);
  const embedded = new Map<string, PDFFont>();
  const fontOf = async (face: Face, weight: Weight): Promise<PDFFont> => {
    const key = `${face}-${weight}`;
    let font = embedded.get(key);
    if (!font) {
      const { bytes, parsed } = await load(face, weight);
      parsedByBytes.set(bytes, parsed);
      font = await doc.embedFont(bytes, { subset: true });
      embedded.set(key, font);
    }
    return font;
  };
  const page = doc.addPage([WIDTH, HEIGHT]);

  const measure = async (text: string, size: number, weight: Weight) => {
    const parts = await runs(text, weight);
    let width = 0;
    const placed: { font: PDFFont; text: string; width: number }[] = [];
    for (const r of parts) {
      const font = await fontOf(r.face, weight);
      const w = font.widthOfTextAtSize(r.text, size);
      placed.push({ font, text: r.text, width: w });
      width += w;
    }
    return { width, placed };
  };
  /** Draws `text` centered on `cx`, shrinking it to 70% and then shortening it with an ellipsis to fit `max` points. */
  const centered = async (text: string, y: number, size: number, weight: Weight, color = INK, max = WIDTH - 160, cx = WIDTH / 2) => {
    let s = size;
    let m = await measure(text, s, weight);
    while (m.width > max && s > size * 0.7) m = await measure(text, (s -= 1), weight);
    let t = [...text];
    while (m.width > max && t.length > 1) m = await measure(`${(t = t.slice(0, -1)).join('')}\u2026`, s, weight);
    let x = cx - m.width / 2;
    for (const p of m.placed) {
      page.drawText(p.text, { x, y, size: s, font: p.font, color });
      x += p.width;
    }
  };

  // Frame: an outer accent border and a thin inner rule.
  page.drawRectangle({ x: 24, y: 24, width: 794, height: 547, borderColor: ACCENT, borderWidth: 6 });
  page.drawRectangle({ x: 40, y: 40, width: 762, height: 515, borderColor: rgb(0.8, 0.85, 0.9), borderWidth: 1 });
  page.drawRectangle({ x: 361, y: 470, width: 120, height: 3, color: ACCENT });
  await centered('xcredit', 500, 14, 'bold', ACCENT);
  await centered(layout.heading, 424, 32, 'bold');
  await centered(layout.subheading, 398, 14, 'regular', MUTED);
  await centered('This certifies that', 360, 14, 'regular', MUTED);
  await centered(layout.name, 314, 30, 'bold');
  let y = 268;
  for (const [i, line] of layout.lines.entries()) {
    await centered(line, y, i === 1 ? 20 : 14, i === 1 ? 'bold' : 'regular', i === 1 ? INK : MUTED);
    y -= i === 1 ? 34 : 26;
  }
  let fy = 96;
  for (const line of layout.footer) {
    await centered(line, fy, 9, 'regular', MUTED, 500);
    fy -= 14;
  }
  await drawQr(page, layout.verifyUrl, 704, 62, 86);
  await centered('Scan to verify · 扫码验证', 50, 7, 'regular', MUTED, 120, 747);

  doc.setTitle(`${layout.heading}: ${layout.name}`, { showInWindowTitleBar: true });
  doc.setSubject(layout.verifyUrl);
  doc.setProducer('xcredit');
  doc.setCreator('xcredit');
  doc.setCreationDate(layout.issuedAt);
  doc.setModificationDate(layout.issuedAt);
  return Buffer.from(await doc.save());
}

/** The URL as a QR code (error correction M), `size` points square with its quiet zone inside, lower left corner at x, y. */
async function drawQr(page: PDFPage, url: string, x: number, y: number, size: number): Promise<void> {
  const { modules } = QRCode.create(url, { errorCorrectionLevel: 'M' });
  const cell = size / (modules.size + 8);
  const black = rgb(0, 0, 0);
  for (let row = 0; row < modules.size; row++) {
    // One rectangle per run of dark modules in a row.
    for (let col = 0; col < modules.size; ) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < modules.size && modules.get(row, col)) col++;
      page.drawRectangle({ x: x + (start + 4) * cell, y: y + size - (row + 5) * cell, width: (col - start) * cell, height: cell, color: black });
    }
  }
}
