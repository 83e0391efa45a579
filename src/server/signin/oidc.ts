import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { SnagError } from '../../core/errors.js';
import { INVITATION_PREFIX, newSecret, secretHash } from '../../store/team/secrets.js';
import type { Role, User } from '../../store/users.js';
import { safeNext } from '../auth.js';
import { html } from '../html.js';
import { pageHeading } from '../pages/layout.js';
import { sendPage } from '../pages/respond.js';
import { auditSignIn } from './audit.js';
import { mappedRole, type OidcOptions, type OidcSettings, oidcSettings } from './oidc-config.js';
import { startSession } from './session-cookie.js';

/**
 * Sign-in with OpenID Connect (openid-client): the authorization code flow with PKCE, state and nonce.
 * `GET /login/oidc` sends the browser to the provider with a fresh verifier, state and nonce kept in a short-lived
 * HttpOnly cookie (SameSite=Lax: the provider's redirect back is a cross-site navigation), so the callback may land on
 * any server of the store. `GET /login/oidc/callback` exchanges the code, checks state, nonce and the ID token, reads
 * the user's email (verified only) and groups, and maps the groups to a role; a user with no mapped role is refused.
 * The user is matched by email, or created, and gets the mapped role at every sign-in.
 */

const FLOW_COOKIE = 'snagsync_oidc';
const services = new WeakMap<FastifyInstance, OidcService>();

export class OidcService {
  readonly settings: OidcSettings;
  private config: Promise<client.Configuration> | null = null;

  constructor(options: OidcOptions) {
    this.settings = oidcSettings(options);
  }

  get name(): string {
    return this.settings.name;
  }

  /** Discovery, once; a failed discovery is retried on the next sign-in. */
  configuration(): Promise<client.Configuration> {
    this.config ??= client
      .discovery(
        this.settings.issuerUrl,
        this.settings.clientId,
        undefined,
        client.ClientSecretPost(this.settings.clientSecret),
        this.settings.insecureLoopback ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        this.config = null;
        throw new SnagError(
          'network',
          `The OpenID provider at ${this.settings.issuerUrl.origin} could not be reached or described itself wrongly (${(err as Error).message}).`,
          { hint: 'Check SNAGSYNC_OIDC_ISSUER, and that this server can reach the provider; then try again.' },
        );
      });
    return this.config;
  }
}

export function configureOidc(app: FastifyInstance, options: OidcOptions | null | undefined): void {
  if (options) services.set(app, new OidcService(options));
}

export function oidcOf(app: FastifyInstance): OidcService | null {
  return services.get(app) ?? null;
}

interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
}

function redirectUrl(service: OidcService, request: FastifyRequest): string {
  return service.settings.redirectUrl ?? `${request.protocol}://${request.host}/login/oidc/callback`;
}

export function registerOidcRoutes(app: FastifyInstance): void {
  app.get<{ Querystring: { next?: string } }>('/login/oidc', { config: { public: true } }, async (request, reply) => {
    const service = oidcOf(app);
    if (!service) return notConfigured(request, reply);
    const config = await service.configuration();
    const flow: Flow = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      next: safeNext(request.query.next),
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUrl(service, request),
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    reply.setCookie(FLOW_COOKIE, Buffer.from(JSON.stringify(flow)).toString('base64url'), {
      path: '/login/oidc',
      httpOnly: true,
      sameSite: 'lax',
      secure: app.snag.secureCookies,
      maxAge: 600,
    });
    return reply.redirect(url.href, 303);
  });

  app.get('/login/oidc/callback', { config: { public: true }, logLevel: 'warn' }, async (request, reply) => {
    const service = oidcOf(app);
    if (!service) return notConfigured(request, reply);
    const flow = readFlow(request.cookies[FLOW_COOKIE]);
    reply.clearCookie(FLOW_COOKIE, { path: '/login/oidc' });
    if (!flow) {
      return refusedPage(request, reply, 400, 'The sign-in took too long or was not started here.', service);
    }
    const config = await service.configuration();
    const current = new URL(redirectUrl(service, request));
    current.search = new URL(request.url, 'http://x').search;
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims()!;
      const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      claims = { ...idClaims, ...info };
    } catch (err) {
      request.log.warn({ err }, 'OpenID sign-in failed');
      return refusedPage(request, reply, 401, `${service.name} did not confirm the sign-in.`, service);
    }
    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : null;
    if (!email || claims.email_verified !== true) {
      await auditSignIn(app, request, {
        actor: email ?? 'unknown',
        route: '/login/oidc/callback',
        status: 403,
        outcome: 'refused',
        what: 'oidc (no verified email)',
      });
      return refusedPage(
        request,
        reply,
        403,
        `${service.name} did not give a verified email address for this account.`,
        service,
      );
    }
    const role = mappedRole(service.settings, claims[service.settings.roleClaim]);
    if (!role) {
      await auditSignIn(app, request, {
        actor: email,
        route: '/login/oidc/callback',
        status: 403,
        outcome: 'refused',
        what: 'oidc (no role)',
      });
      return refusedPage(
        request,
        reply,
        403,
        `${email} has no snagsync role: none of its ${service.settings.roleClaim} at ${service.name} is mapped to one.`,
        service,
        'Ask an admin to add you to a group that snagsync maps to a role.',
      );
    }
    const user = await matchUser(app, email, role);
    await startSession(app, request, reply, user.id, 'oidc');
    await auditSignIn(app, request, {
      actor: user.email,
      route: '/login/oidc/callback',
      status: 303,
      outcome: 'ok',
      what: 'oidc',
    });
    return reply.redirect(flow.next, 303);
  });
}

/** The user with this email, given the mapped role; created when new (with an invitation nobody holds). */
async function matchUser(app: FastifyInstance, email: string, role: Role): Promise<User> {
  const users = app.snag.runtime.store.users;
  const found = await users.credentialsOf(email);
  if (!found) {
    return users.add({
      email,
      role,
      invitation_sha256: secretHash(newSecret(INVITATION_PREFIX)),
      invitation_expires_at: 0,
    });
  }
  if (found.user.role === role) return found.user;
  try {
    return await users.setRole(found.user.id, role);
  } catch (err) {
    // The last admin keeps their role (the store refuses to leave the team without one).
    if (err instanceof SnagError && err.code === 'conflict') return found.user;
    throw err;
  }
}

function readFlow(value: string | undefined): Flow | null {
  if (!value || value.length > 2000) return null;
  try {
    const f = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<Flow>;
    if (typeof f.state !== 'string' || typeof f.nonce !== 'string' || typeof f.verifier !== 'string') return null;
    return { state: f.state, nonce: f.nonce, verifier: f.verifier, next: safeNext(f.next) };
  } catch {
    return null;
  }
}

function notConfigured(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendPage(request, reply, {
    status: 404,
    title: 'Not configured',
    active: null,
    bare: true,
    body: () => html`<section class="login" aria-labelledby="page-title">
${pageHeading('Single sign-on is not set up')}
<p>This server has no OpenID Connect provider configured. <a href="/login">Sign in</a> with your email and password.</p>
</section>`,
  });
}

function refusedPage(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  service: OidcService,
  hint = 'Try again; if it keeps failing, ask whoever runs snagsync.',
): FastifyReply {
  return sendPage(request, reply, {
    status,
    title: 'Sign-in refused',
    active: null,
    bare: true,
    body: () => html`<section class="login" aria-labelledby="page-title">
${pageHeading('Sign-in refused')}
<p><strong>${message}</strong></p>
<p>${hint}</p>
<p><a href="/login/oidc">Sign in with ${service.name}</a> · <a href="/login">Other ways to sign in</a></p>
</section>`,
  });
}
