/**
 * What video.js's core build needs of `@videojs/xhr`: fetching a captions file. The player's
 * rollup build puts this in its place (the full streaming build keeps the real one, which
 * VHS needs), which keeps the core player inside its size budget.
 */
export interface XhrOptions {
  uri?: string;
  url?: string;
  withCredentials?: boolean;
}

export interface XhrResponse {
  statusCode: number;
  body: string;
  url: string;
}

export default function xhr(options: XhrOptions, callback: (error: Error | null, response: XhrResponse, body: string) => void): void {
  const url = options.uri ?? options.url ?? '';
  fetch(url, { credentials: options.withCredentials ? 'include' : 'same-origin' }).then(
    async (res) => {
      const body = await res.text();
      callback(res.ok ? null : new Error(`HTTP ${res.status} for ${url}`), { statusCode: res.status, body, url: res.url }, body);
    },
    (error: Error) => callback(error, { statusCode: 0, body: '', url }, ''),
  );
}
