import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type OidcAccount } from 'oidc-provider';

/**
 * A real OpenID provider (oidc-provider@9) on 127.0.0.1, for the sign-in tests: one confidential client for
 * snagsync (PKCE required), its development login form (any login, any password: the login is the account id), and
 * accounts whose email and groups the test chooses. Its port is known before the client is registered, so a test can
 * start snagsync in between and register snagsync's own callback URL.
 */

export const OIDC_CLIENT = { id: 'snagsync-test', secret: 'oidc-client-secret-0123456789abcdef' };

export interface TestAccount {
  email: string;
  email_verified?: boolean;
  groups: string[];
}

export interface TestProvider {
  issuer: string;
  /** Registers snagsync's callback and starts answering. */
  start(redirectUris: string[]): void;
  close(): Promise<void>;
}

export async function listenProvider(accounts: Record<string, TestAccount>): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    start(redirectUris) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: OIDC_CLIENT.id,
            client_secret: OIDC_CLIENT.secret,
            redirect_uris: redirectUris,
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
        pkce: { required: () => true },
        scopes: ['openid', 'email', 'profile'],
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['groups'] },
        features: { devInteractions: { enabled: true } },
        cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
        findAccount: async (_ctx: unknown, id: string): Promise<OidcAccount | undefined> => {
          const account = accounts[id];
          if (!account) return undefined;
          return {
            accountId: id,
            claims: async () => ({
              sub: id,
              email: account.email,
              email_verified: account.email_verified ?? true,
              groups: account.groups,
            }),
          };
        },
      });
      server.on('request', provider.callback());
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
