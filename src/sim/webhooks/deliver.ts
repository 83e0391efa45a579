import { request } from 'node:http';

/** One delivery attempt's outcome: a status (2xx counts as delivered) or the connection error. */
export type Attempt = { ok: true; status: number } | { ok: false; status: number | null; error: string };

export interface InFlightPost {
  done: Promise<Attempt>;
  abort(): void;
}

const ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * POST one JSON body to a loopback URL with node:http (never fetch: the simulator must not share the client's HTTP
 * stack). The response body is read and dropped; anything but 2xx, a reset or a timeout is a failed attempt.
 */
export function postJson(url: URL, body: string): InFlightPost {
  let abort = () => {};
  const done = new Promise<Attempt>((resolve) => {
    const req = request(
      {
        method: 'POST',
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || 80,
        path: `${url.pathname}${url.search}`,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(body)),
          'User-Agent': 'Bugsnag',
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        res.once('end', () =>
          resolve(
            status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` },
          ),
        );
        res.once('error', (err) => resolve({ ok: false, status, error: err.message }));
      },
    );
    req.setTimeout(ATTEMPT_TIMEOUT_MS, () => req.destroy(new Error('timed out')));
    req.once('error', (err) => resolve({ ok: false, status: null, error: err.message }));
    abort = () => req.destroy(new Error('aborted'));
    req.end(body);
  });
  return { done, abort: () => abort() };
}

/** Only loopback targets: the simulator sends nothing off this machine. */
export function loopbackUrl(text: string): URL | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' || url.username || url.password) return null;
  const host = url.hostname;
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return loopback ? url : null;
}
