/** A played interval of media time, in seconds: [start, end] with start <= end. */
export type Segment = readonly [start: number, end: number];

/** Sorts and merges overlapping or touching segments; drops empty and malformed ones. */
export function unionSegments(segments: Iterable<Segment>): Segment[] {
  const sorted = [...segments]
    .filter(([s, e]) => Number.isFinite(s) && Number.isFinite(e) && e > s)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Total length of the union of the segments. */
export function coveredSeconds(segments: Iterable<Segment>): number {
  return unionSegments(segments).reduce((sum, [s, e]) => sum + (e - s), 0);
}

/** Clips every segment to [0, length]. */
export function clipSegments(segments: Iterable<Segment>, length: number): Segment[] {
  const out: Segment[] = [];
  for (const [s, e] of segments) {
    const cs = Math.max(0, s);
    const ce = Math.min(length, e);
    if (ce > cs) out.push([cs, ce]);
  }
  return out;
}

/**
 * Formats segments the way the Video Profile's played-segments extension wants them:
 * `"0[.]10.5[,]20[.]30"`, times rounded to 3 decimals.
 */
export function formatPlayedSegments(segments: Iterable<Segment>): string {
  return [...segments].map(([s, e]) => `${round3(s)}[.]${round3(e)}`).join('[,]');
}

/** Parses a played-segments string; malformed parts are skipped, never guessed. */
export function parsePlayedSegments(text: string): Segment[] {
  if (!text) return [];
  const out: Segment[] = [];
  for (const part of text.split('[,]')) {
    const [a, b, extra] = part.split('[.]');
    if (a === undefined || b === undefined || extra !== undefined) continue;
    const s = Number(a);
    const e = Number(b);
    if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(s) && Number.isFinite(e) && e >= s) out.push([s, e]);
  }
  return out;
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
