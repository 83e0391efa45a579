import type { Reply } from './reply.js';

/** A tiny path-template router: `/projects/{project_id}/errors/{error_id}`. Templates double as stats keys. */
export interface Route<C> {
  method: string;
  template: string;
  segments: string[];
  handler: (ctx: C, params: Record<string, string>) => Reply | Promise<Reply>;
}

export interface Match<C> {
  route: Route<C>;
  params: Record<string, string>;
}

export class Router<C> {
  private readonly routes: Route<C>[] = [];

  add(method: string, template: string, handler: Route<C>['handler']): this {
    this.routes.push({ method, template, segments: split(template), handler });
    return this;
  }

  match(method: string, pathname: string): Match<C> | null {
    const parts = split(pathname);
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith('{')) {
          try {
            params[seg.slice(1, -1)] = decodeURIComponent(part);
          } catch {
            ok = false;
            break;
          }
        } else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (ok) return { route, params };
    }
    return null;
  }
}

function split(path: string): string[] {
  // Rails ignores one trailing slash; the docs even show `…/pivots/?offset=`.
  return path
    .replace(/\/+$/, '')
    .split('/')
    .filter((s, i) => i > 0 || s !== '');
}
