import type { FastifyInstance } from 'fastify';

/**
 * Headers on every response (pages, API, static files, errors, 404s), set before anything else runs so that even a
 * refused request carries them. The CSP allows only the app's own script and style files: no inline scripts, no
 * inline styles, no `style=""` attributes, no framing — pages and components must keep to that (a test checks).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export function registerSecurityHeaders(app: FastifyInstance, options: { tls: boolean }): void {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    // Pages and API answers hold credential metadata: never cached. Static files override this.
    reply.header('cache-control', 'no-store');
    if (options.tls) reply.header('strict-transport-security', 'max-age=31536000');
  });
}
