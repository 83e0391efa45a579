import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { SnagError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Runtime } from '../runtime.js';
import { resolveServerKey, type ServerKey } from './api-key.js';
import { buildServer, type BuildServerOptions } from './app.js';
import { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';

/**
 * Starting the server for real: the key, the safety rules for the address, TLS, listening. Binding to anything but
 * loopback is refused without TLS (the key and the session cookie would cross the network in clear) and without a
 * key chosen beforehand (a key generated on a public address would be printed to whoever reads this terminal's log
 * first — and nobody has logged in with it yet).
 */

export interface StartOptions {
  runtime: Runtime;
  host?: string;
  port?: number;
  tlsCert?: string;
  tlsKey?: string;
  logger?: Logger;
  /** Extra options for the app (tests). */
  app?: Partial<BuildServerOptions>;
}

export interface StartedServer {
  app: FastifyInstance;
  url: string;
  key: ServerKey;
  close(): Promise<void>;
}

export { DEFAULT_HOST, DEFAULT_PORT };

export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export async function startServer(options: StartOptions): Promise<StartedServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const loopback = isLoopbackAddress(host);
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new SnagError('usage', 'Give both --tls-cert and --tls-key, or neither.');
  }
  const tls = options.tlsCert !== undefined && options.tlsKey !== undefined;
  if (!loopback && !tls) {
    throw new SnagError(
      'config',
      `Refusing to listen on ${host} without TLS: the server key and the session cookie would travel in clear over the network.`,
      {
        hint: 'Give --tls-cert FILE --tls-key FILE (PEM), or keep the default --host 127.0.0.1 and put a TLS reverse proxy in front.',
      },
    );
  }
  // A key is generated only for loopback; elsewhere it must exist already (resolveServerKey says how to set one).
  const key = resolveServerKey({ env: options.runtime.env, home: options.runtime.home, generate: loopback });
  const https = tls
    ? { cert: readPem(options.tlsCert!, '--tls-cert'), key: readPem(options.tlsKey!, '--tls-key') }
    : undefined;
  const app = await buildServer({
    runtime: options.runtime,
    apiKey: key.key,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(https ? { https } : {}),
    ...options.app,
  });
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (/EADDRINUSE|EACCES|EADDRNOTAVAIL/.test(code)) {
      throw new SnagError('config', `Cannot listen on ${host}:${port}: ${code}.`, {
        hint: 'Pick another --port (0 = any free port), or another --host.',
        cause: err,
      });
    }
    throw err;
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    app,
    url: `${tls ? 'https' : 'http'}://${shownHost}:${actualPort}`,
    key,
    close: () => app.close(),
  };
}

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SnagError('config', `Cannot read ${option} ${path}.`, {
      cause: err,
      hint: 'Give the path of a PEM file you can read.',
    });
  }
}
