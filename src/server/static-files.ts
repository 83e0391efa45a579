import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * The app's static files: one vanilla JS file, one CSS file and the icon, read once at start and served from memory.
 * They live in `src/server/static/` and the build copies them to `dist/server/static/` (tsc does not copy them), so
 * this module finds them next to itself in both. URLs carry a content hash (`/static/app.js?v=…`): a matching
 * version is cached for a year as immutable, anything else revalidates with the ETag.
 */

export interface Asset {
  name: string;
  body: Buffer;
  type: string;
  hash: string;
}

export interface Assets {
  /** The versioned URL to put in pages. */
  url(name: AssetName): string;
  get(name: string): Asset | undefined;
}

export const ASSET_NAMES = ['app.js', 'app.css', 'favicon.svg'] as const;
export type AssetName = (typeof ASSET_NAMES)[number];

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

export function staticDir(): string {
  return fileURLToPath(new URL('./static/', import.meta.url));
}

export function loadAssets(dir: string = staticDir()): Assets {
  const map = new Map<string, Asset>();
  for (const name of ASSET_NAMES) {
    const body = readFileSync(`${dir}${name}`);
    const ext = name.slice(name.lastIndexOf('.') + 1);
    map.set(name, {
      name,
      body,
      type: TYPES[ext] ?? 'application/octet-stream',
      hash: createHash('sha256').update(body).digest('hex').slice(0, 16),
    });
  }
  return {
    url: (name) => `/static/${name}?v=${map.get(name)!.hash}`,
    get: (name) => map.get(name),
  };
}

export function registerStaticRoutes(app: FastifyInstance): void {
  app.get<{ Params: { file: string }; Querystring: { v?: string } }>(
    '/static/:file',
    { config: { public: true } },
    async (request, reply) => {
      const asset = app.snag.assets.get(request.params.file);
      if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
      const etag = `"${asset.hash}"`;
      reply.header('etag', etag).type(asset.type);
      reply.header(
        'cache-control',
        request.query.v === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(asset.body);
    },
  );
}
