import { readFileSync } from 'node:fs';
import { SnagError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import { ROLES, type Role } from '../../store/users.js';

/**
 * OpenID Connect sign-in settings: from `buildServer({ oidc })`, or from the environment of `snagsync serve`:
 *
 *   SNAGSYNC_OIDC_ISSUER              the provider's issuer URL (https; http only on loopback, for tests)
 *   SNAGSYNC_OIDC_CLIENT_ID           the client registered for snagsync
 *   SNAGSYNC_OIDC_CLIENT_SECRET_FILE  a file holding the client secret (or SNAGSYNC_OIDC_CLIENT_SECRET); never argv
 *   SNAGSYNC_OIDC_REDIRECT_URL        https://snagsync.example.com/login/oidc/callback (default: this request's host)
 *   SNAGSYNC_OIDC_NAME                shown on the button, "Sign in with NAME" (default: the issuer's host)
 *   SNAGSYNC_OIDC_ROLE_CLAIM          the claim holding the groups (default `groups`)
 *   SNAGSYNC_OIDC_ROLES               JSON: {"admin": ["snag-admins"], "editor": [...], "viewer": [...]}
 *
 * A user whose groups map to no role is refused.
 */
export interface OidcOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl?: string;
  name?: string;
  roleClaim?: string;
  roles: Partial<Record<Role, string[]>>;
}

export interface OidcSettings extends Required<Omit<OidcOptions, 'redirectUrl'>> {
  issuerUrl: URL;
  redirectUrl: string | null;
  /** The issuer speaks plain http on a loopback address (a test provider): allowed, and only then. */
  insecureLoopback: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

function configError(message: string, field: string): SnagError {
  return new SnagError('config', message, {
    hint: 'See docs/team.md, "OpenID Connect", for the settings and an example.',
    details: { field },
  });
}

export function oidcSettings(o: OidcOptions): OidcSettings {
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(o.issuer);
  } catch {
    throw configError(`The OpenID issuer "${o.issuer}" is not a URL.`, 'SNAGSYNC_OIDC_ISSUER');
  }
  const insecureLoopback = issuerUrl.protocol === 'http:' && LOOPBACK.has(issuerUrl.hostname);
  if (issuerUrl.protocol !== 'https:' && !insecureLoopback) {
    throw configError(
      `The OpenID issuer ${issuerUrl.origin} does not use https: sign-in tokens would cross the network in the clear. Plain http is accepted only for a provider on this machine (127.0.0.1, ::1, localhost).`,
      'SNAGSYNC_OIDC_ISSUER',
    );
  }
  if (!o.clientId) throw configError('The OpenID client id is missing.', 'SNAGSYNC_OIDC_CLIENT_ID');
  if (!o.clientSecret) {
    throw configError(
      'The OpenID client secret is missing: put it in a file named by SNAGSYNC_OIDC_CLIENT_SECRET_FILE.',
      'SNAGSYNC_OIDC_CLIENT_SECRET_FILE',
    );
  }
  for (const role of Object.keys(o.roles)) {
    if (!(ROLES as readonly string[]).includes(role)) {
      throw configError(
        `"${role}" in the OpenID role mapping is not a role: use ${ROLES.join(', ')}.`,
        'SNAGSYNC_OIDC_ROLES',
      );
    }
  }
  registerSecret(o.clientSecret);
  return {
    issuer: o.issuer,
    issuerUrl,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    redirectUrl: o.redirectUrl ?? null,
    name: o.name ?? issuerUrl.host,
    roleClaim: o.roleClaim ?? 'groups',
    roles: o.roles,
    insecureLoopback,
  };
}

/** The settings from the environment, or null when SNAGSYNC_OIDC_ISSUER is not set. */
export function oidcFromEnv(env: NodeJS.ProcessEnv): OidcOptions | null {
  const issuer = env.SNAGSYNC_OIDC_ISSUER?.trim();
  if (!issuer) return null;
  let clientSecret = env.SNAGSYNC_OIDC_CLIENT_SECRET ?? '';
  const file = env.SNAGSYNC_OIDC_CLIENT_SECRET_FILE;
  if (file) {
    try {
      clientSecret = readFileSync(file, 'utf8').trim();
    } catch (e) {
      throw configError(
        `The OpenID client secret file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
        'SNAGSYNC_OIDC_CLIENT_SECRET_FILE',
      );
    }
  }
  let roles: Partial<Record<Role, string[]>> = {};
  if (env.SNAGSYNC_OIDC_ROLES) {
    try {
      roles = JSON.parse(env.SNAGSYNC_OIDC_ROLES) as Partial<Record<Role, string[]>>;
    } catch {
      throw configError('SNAGSYNC_OIDC_ROLES is not JSON such as {"admin": ["snag-admins"]}.', 'SNAGSYNC_OIDC_ROLES');
    }
  }
  return {
    issuer,
    clientId: env.SNAGSYNC_OIDC_CLIENT_ID ?? '',
    clientSecret,
    ...(env.SNAGSYNC_OIDC_REDIRECT_URL ? { redirectUrl: env.SNAGSYNC_OIDC_REDIRECT_URL } : {}),
    ...(env.SNAGSYNC_OIDC_NAME ? { name: env.SNAGSYNC_OIDC_NAME } : {}),
    ...(env.SNAGSYNC_OIDC_ROLE_CLAIM ? { roleClaim: env.SNAGSYNC_OIDC_ROLE_CLAIM } : {}),
    roles,
  };
}

/** The highest role any of the user's groups maps to; null when none does. */
export function mappedRole(settings: OidcSettings, claimValue: unknown): Role | null {
  const groups = Array.isArray(claimValue)
    ? claimValue.map(String)
    : typeof claimValue === 'string'
      ? [claimValue]
      : [];
  for (const role of ['admin', 'editor', 'viewer'] as const) {
    if ((settings.roles[role] ?? []).some((g) => groups.includes(g))) return role;
  }
  return null;
}
