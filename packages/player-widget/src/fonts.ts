/** Id of the document-level <style> holding video.js's icon font. */
export const FONT_STYLE_ID = 'xcredit-player-fonts';

/**
 * Splits `@font-face` rules out of a stylesheet: browsers ignore them inside shadow roots,
 * so they go to the document and the rest stays in the shadow root.
 *
 * @example
 * splitFontFaces('@font-face{font-family:X;src:url(x)} .a{color:red}');
 * // { fontFaces: '@font-face{font-family:X;src:url(x)}', rest: ' .a{color:red}' }
 */
export function splitFontFaces(css: string): { fontFaces: string; rest: string } {
  const faces: string[] = [];
  // Font data is base64 in a url(), so a face never contains a closing brace.
  const rest = css.replace(/@font-face\s*\{[^}]*\}/g, (rule) => {
    faces.push(rule);
    return '';
  });
  return { fontFaces: faces.join('\n'), rest };
}

/** Adds the font faces to the document once, however many players the page has. */
export function installDocumentFonts(doc: Document, fontFaces: string): void {
  if (!fontFaces || doc.getElementById(FONT_STYLE_ID)) return;
  const style = doc.createElement('style');
  style.id = FONT_STYLE_ID;
  style.textContent = fontFaces;
  doc.head.append(style);
}
