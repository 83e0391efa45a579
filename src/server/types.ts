import type { Logger } from '../core/log.js';
import type { CredentialService } from '../credentials/service.js';
import type { Runtime } from '../runtime.js';
import type { Role, User } from '../store/users.js';
import type { KeyGuard } from './key-guard.js';
import type { Requirement } from './permissions.js';
import type { Assets } from './static-files.js';
import type { RunRegistry } from './runs/registry.js';
import type { SinkRunRegistry } from './sinks/registry.js';
import type { Session, SessionStore } from './sessions.js';
import type { SseStreams } from './sse.js';
import type { WebhookDeps } from './hooks/index.js';

/** How a request proved who it is: the API key (scripts), a session cookie (the browser), or not at all (public). */
export type AuthState =
  | { kind: 'key' }
  /** A browser session; `user` is null for one opened with the server key (the owner), else the user's current row. */
  | { kind: 'session'; session: Session; sessionId: string; user: User | null }
  /** A user's API token; `role` is the lower of the user's role and the token's scope. */
  | { kind: 'token'; tokenId: string; user: User; role: Role }
  | { kind: 'none' };

/** What every route module reaches through `app.snag`: the runtime and the services over it. */
export interface ServerDeps {
  runtime: Runtime;
  credentials: CredentialService;
  sessions: SessionStore;
  assets: Assets;
  apiKey: string;
  /** Counts wrong keys (API and login page) and slows them down; the right key is never refused. */
  keyGuard: KeyGuard;
  /** Cookies get `Secure` (the server speaks TLS, or is told it sits behind a TLS proxy). */
  secureCookies: boolean;
  logger: Logger;
  now: () => number;
  /** The runs this process executes (UI, API, embedded scheduler): their live events and cancellation. */
  runs: RunRegistry;
  /** The write-back runs of data sinks this process applies: their live events and shutdown. */
  sinkRuns: SinkRunRegistry;
  /** Open server-sent event streams (at most `max` at once), closed before the server stops. */
  eventStreams: SseStreams;
  sse: { heartbeatMs: number; pollMs: number };
  /** Whether this server runs scheduled sources itself (`snagsync serve --no-scheduler` turns it off). */
  scheduler: { enabled: boolean };
  /** Bugsnag webhooks: whether this server receives them (`--no-webhooks` turns it off), and the inbox it applies. */
  webhooks: WebhookDeps;
  /** Every route registered (HEAD twins left out): for the tests that check auth and the OpenAPI document cover all. */
  routes: Array<{ method: string; url: string; public: boolean }>;
}

declare module 'fastify' {
  interface FastifyInstance {
    snag: ServerDeps;
  }
  interface FastifyRequest {
    auth: AuthState;
  }
  interface FastifyContextConfig {
    /** Reachable without authentication (the login page, static files). Everything else needs the key or a session. */
    public?: boolean;
    /** What the route needs, for routes the table in permissions.ts does not name (an embedding app's). */
    permission?: Requirement;
  }
}
