import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RECORDED_ORIGIN, type Exchange } from './cassettes.js';

export interface ReceivedRequest {
  method: string;
  /** Path and query exactly as the client sent them. */
  pathAndQuery: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Headers that describe the recorded transfer, not the answer; the server sets its own. */
const HOP_HEADERS = new Set([
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'connection',
  'keep-alive',
  'alt-svc',
]);

/**
 * A local node:http server that answers with one recorded exchange at a time, with every `https://api.bugsnag.com`
 * in bodies and Link headers rewritten to itself. Requests are matched on method, path and query (order-free);
 * `per_page` and a first-page `offset=0` are left out of the match (page size is the client's choice) and `name[]`
 * matches `name`. The recorded next link (whose own answer was not recorded) is answered with an empty last page,
 * so a test can check that the client followed it byte for byte. Anything else is answered like an unrouted path:
 * 404 {"status":404,"error":"Not Found"}.
 */
export class ReplayServer {
  readonly received: ReceivedRequest[] = [];
  private server: Server | undefined;
  private current: Exchange | undefined;
  private nextLink: string | undefined;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const got: ReceivedRequest = {
          method: req.method ?? '',
          pathAndQuery: req.url ?? '',
          headers: req.headers,
          body,
        };
        this.received.push(got);
        const ex = this.current;
        if (ex && got.method === ex.method && matchKey(got.pathAndQuery) === matchKey(ex.pathAndQuery)) {
          const headers: Record<string, string[]> = {};
          for (const [name, value] of ex.headers) {
            if (HOP_HEADERS.has(name.toLowerCase())) continue;
            (headers[name] ??= []).push(this.rewrite(value));
          }
          res.writeHead(ex.status, headers);
          res.end(this.rewrite(ex.body));
          return;
        }
        if (this.nextLink !== undefined && got.method === 'GET' && got.pathAndQuery === this.nextLink) {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
          res.end('[]');
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
        res.end('{"status":404,"error":"Not Found"}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answer `exchange` from now on; `nextLink` is the path+query of its rewritten next link, if any. */
  serve(exchange: Exchange, nextLink?: string): void {
    this.current = exchange;
    this.nextLink = nextLink;
    this.received.length = 0;
  }

  rewrite(text: string): string {
    return text.split(RECORDED_ORIGIN).join(this.origin);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.server?.close((e) => (e ? reject(e) : resolve())));
  }
}

/** Method-independent match key for a path and query: decoded pairs, order-free, `[]` folded, page size ignored. */
export function matchKey(pathAndQuery: string): string {
  const u = new URL(pathAndQuery, 'http://x');
  const pairs: string[] = [];
  for (const [k, v] of u.searchParams) {
    const key = k.replace(/\[\]$/, '');
    if (key === 'per_page' || (key === 'offset' && v === '0')) continue;
    pairs.push(`${key}=${v}`);
  }
  return `${u.pathname}?${pairs.sort().join('&')}`;
}
