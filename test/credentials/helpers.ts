import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { createCredentialService, type CredentialService } from '../../src/credentials/index.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { tempDir } from '../store/helpers.js';

/** A small simulator (fast to start) with a rate limit no test trips over unless it means to. */
export function startSmallSim(): Promise<Simulator> {
  return startSimulator({
    rateLimit: 1_000_000,
    orgs: 2,
    projects: 2,
    errors: 2,
    events: 10,
    releases: 2,
    anchor: '2026-01-15T00:00:00Z',
  });
}

export interface Harness {
  home: string;
  runtime: Runtime;
  service: CredentialService;
  cleanup(): Promise<void>;
}

/** A fresh snagsync home (real SQLite file, real key file), or a second view of an existing one, and a service over it. */
export function harness(env: NodeJS.ProcessEnv = {}, existingHome?: string): Harness {
  const t = existingHome ? { dir: existingHome, cleanup: () => undefined } : tempDir('snagsync-cred-');
  const runtime = openRuntime({ home: t.dir, env });
  const service = createCredentialService({
    store: runtime.store,
    vault: runtime.vault,
    home: runtime.home,
    env,
    verify: { logger: false },
  });
  return {
    home: t.dir,
    runtime,
    service,
    cleanup: async () => {
      await runtime.close();
      t.cleanup();
    },
  };
}

export interface FakeServer {
  url: string;
  /** Headers of every request received, in order. */
  requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** A local HTTP server that answers every request the same way (an HTML page, wrong JSON, an unrouted 404…). */
export async function fakeServer(status: number, body: string, contentType: string): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A loopback port nothing listens on (bound, then released): connecting to it is refused. */
export async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** The project notifier API key of the simulator's first project (32 hex; 401 when used as a token). */
export function notifierKey(sim: Simulator): string {
  const key = sim.info().organizations[0]?.projects[0]?.api_key;
  if (!key) throw new Error('the simulator has no project');
  return key;
}

/** The SnagError a call rejects with (any other outcome fails the test). */
export async function rejection(p: Promise<unknown>): Promise<SnagError> {
  try {
    await p;
  } catch (err) {
    if (isSnagError(err)) return err;
    throw err;
  }
  throw new Error('expected a SnagError, but the call succeeded');
}

/**
 * An HTTPS server with a throwaway self-signed certificate (made with the openssl CLI; null when it is missing), to
 * see a certificate the client must refuse.
 */
export async function selfSignedServer(): Promise<FakeServer | null> {
  const dir = mkdtempSync(join(tmpdir(), 'snagsync-cert-'));
  try {
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    if (made.status !== 0) return null;
    const server = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('[]');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `https://127.0.0.1:${port}`,
      requests: [],
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
