import { hash, hashString, pickBy } from '../prng.js';
import { isoZ } from '../format.js';
import type { ProjectSeed, World } from './world.js';

/**
 * Feature flags (with their variants and error overviews) and BugSnag Performance span groups of a project, generated
 * from the seed and the project alone: the same seed gives the same flags and spans. Figures (errors per flag, span
 * durations) are generated, not derived from the simulated events. Shapes: SmartBear's OpenAPI description
 * (FeatureFlag, FeatureFlagVariant, FeatureFlagErrorSummary, SpanGroup, PageLoadSpanGroup, ProjectNetworkGroupingRuleset).
 */
const DAY = 86_400;

const FLAG_NAMES = [
  'new_checkout_flow',
  'dark_mode',
  'search_v2',
  'onboarding_experiment',
  'payments_provider',
  'image_cdn',
  'recommendations_model',
] as const;
const VARIANT_NAMES = ['control', 'treatment', 'blue_button', 'green_button', 'v1', 'v2'] as const;

export interface FlagSeed {
  index: number;
  id: string;
  name: string;
  variants: Array<{ index: number; id: string; name: string }>;
}

export interface FlagInStage {
  flag: FlagSeed;
  firstSeenSec: number;
  active: boolean;
  starred: boolean;
  /** Per variant index: first seen in this stage. */
  variantFirstSeenSec: number[];
}

export function featureFlagsOf(world: World, p: ProjectSeed): FlagSeed[] {
  const seed = hash(world.opts.seed, hashString('feature-flags'), p.gi);
  const n = 3 + (seed % 3);
  const out: FlagSeed[] = [];
  for (let k = 0; k < n; k++) {
    const h = hash(seed, k);
    const v = 1 + (h % 3);
    const start = hash(seed, k, 7) % VARIANT_NAMES.length;
    out.push({
      index: k,
      id: world.ids.encode('featureFlag', p.gi, k),
      name: pickBy(FLAG_NAMES, (seed % FLAG_NAMES.length) + k),
      variants: Array.from({ length: v }, (_, j) => ({
        index: j,
        id: world.ids.encode('featureFlagVariant', p.gi, k * 64 + j),
        name: VARIANT_NAMES[(start + j) % VARIANT_NAMES.length]!,
      })),
    });
  }
  return out;
}

/** The flags seen in a release stage (every flag in the first stage, most in the others), by name. */
export function flagsInStage(world: World, p: ProjectSeed, stage: string): FlagInStage[] {
  const si = p.releaseStages.indexOf(stage);
  if (si < 0) return [];
  const created = Math.floor(p.createdMs / 1000);
  return featureFlagsOf(world, p)
    .filter((f) => si === 0 || hash(world.opts.seed, p.gi, f.index, si) % 4 !== 0)
    .map((f) => {
      const h = hash(world.opts.seed, hashString('flag-stage'), p.gi, f.index, si);
      const firstSeenSec = created + (10 + f.index * 7 + si) * DAY + (h % DAY);
      return {
        flag: f,
        firstSeenSec,
        active: f.index === 0 || h % 3 !== 0,
        starred: f.index === 0,
        variantFirstSeenSec: f.variants.map((v) => firstSeenSec + v.index * 3_600 + (hash(h, v.index) % 3_600)),
      };
    })
    .sort((a, b) => (a.flag.name < b.flag.name ? -1 : a.flag.name > b.flag.name ? 1 : a.flag.index - b.flag.index));
}

export function flagView(f: FlagInStage, withVariantSummary: boolean): Record<string, unknown> {
  const names = f.flag.variants.map((v) => v.name).sort();
  return {
    id: f.flag.id,
    name: f.flag.name,
    first_seen: isoZ(f.firstSeenSec),
    is_starred: f.starred,
    is_active: f.active,
    ...(withVariantSummary ? { variant_summary: { variant_count: names.length, first_variant_name: names[0]! } } : {}),
  };
}

export function variantView(f: FlagInStage, j: number): Record<string, unknown> {
  const v = f.flag.variants[j]!;
  return { id: v.id, name: v.name, first_seen: isoZ(f.variantFirstSeenSec[j]!) };
}

/** Errors seen with the flag on (or one variant: `variant` ≥ 0), and exclusively with it, in the stage. */
export function errorOverview(world: World, p: ProjectSeed, f: FlagInStage, variant = -1): Record<string, unknown> {
  const h = hash(world.opts.seed, hashString('flag-errors'), p.gi, f.flag.index, variant + 1, f.firstSeenSec);
  const seen = variant < 0 ? 2 + (h % 9) : 1 + (h % 5);
  const lastSec = world.opts.anchorSec - (h % (5 * DAY));
  return {
    errors_seen: seen,
    exclusive_errors: h % (seen + 1),
    last_seen: isoZ(Math.max(lastSec, f.firstSeenSec)),
  };
}

type Category = 'app_start' | 'view_load' | 'full_page_load' | 'route_change' | 'network' | 'custom' | 'inbound_http';

const ROUTES = ['/', '/checkout', '/search', '/products/{id}', '/account', '/cart'] as const;
const SCREENS = ['HomeActivity', 'CheckoutActivity', 'SearchFragment', 'ProfileScreen', 'SettingsScreen'] as const;
const ENDPOINTS = ['orders', 'orders/{id}', 'users/{id}', 'search', 'cart', 'payments', 'images/{id}', 'feed'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;

export interface SpanGroupSeed {
  index: number;
  category: Category;
  name: string;
  displayName: string;
}

/** The span groups a project's platform produces (many network groups, so a list can take several pages). */
export function spanGroupSeeds(world: World, p: ProjectSeed): SpanGroupSeed[] {
  const seed = hash(world.opts.seed, hashString('span-groups'), p.gi);
  const out: SpanGroupSeed[] = [];
  const add = (category: Category, name: string, displayName = name) =>
    out.push({ index: out.length, category, name, displayName });
  const platform = p.kind.platform;
  if (platform === 'mobile') {
    add('app_start', 'AppStart/Cold', 'AppStart - Cold');
    add('app_start', 'AppStart/Warm', 'AppStart - Warm');
    for (const s of SCREENS) add('view_load', `ViewLoad/Activity/${s}`, s);
  } else if (platform === 'browser') {
    for (const r of ROUTES) add('full_page_load', `[FullPageLoad]${r}`, r);
    for (const r of ROUTES.slice(1)) add('route_change', `[RouteChange]${r}`, r);
  } else {
    for (const e of ENDPOINTS.slice(0, 5)) add('inbound_http', `[HTTP/${METHODS[hash(seed, e.length) % 2]}]/${e}`);
  }
  const network = 12 + (seed % 25);
  for (let i = 0; i < network; i++) {
    const method = METHODS[hash(seed, i, 1) % METHODS.length]!;
    const host = i % 3 === 0 ? 'cdn.example.com' : 'api.example.com';
    const path = ENDPOINTS[i % ENDPOINTS.length]!;
    add('network', `[HTTP/${method}]https://${host}/v${1 + Math.floor(i / ENDPOINTS.length)}/${path}`);
  }
  add('custom', 'checkout.total', 'checkout.total');
  return out;
}

export function spanGroupId(g: SpanGroupSeed): string {
  return `1.${g.category}.${g.name}`;
}

export function spanGroupView(world: World, p: ProjectSeed, g: SpanGroupSeed): Record<string, unknown> {
  const h = hash(world.opts.seed, hashString('span-stats'), p.gi, g.index);
  const base = g.category === 'network' ? 40 + (h % 400) : 200 + (h % 2_500);
  const total = 50 + (h % 20_000);
  const stats: Record<string, unknown> = {
    duration_statistics: {
      p50: base,
      p75: Math.round(base * 1.3),
      p90: Math.round(base * 1.8),
      p95: Math.round(base * 2.2),
      p99: Math.round(base * 3.5),
    },
    total_spans: total,
    estimated_spans: total * (1 + (h % 4)),
    last_seen: isoZ(world.opts.anchorSec - (h % (2 * DAY))),
  };
  if (g.category === 'full_page_load')
    stats.category_statistics = {
      full_page_load: {
        largest_contentful_paint: Math.round(base * 1.1),
        first_input_delay: 5 + (h % 120),
        cumulative_layout_shift: ((h % 300) + 1) / 1000,
        time_to_first_byte: 30 + (h % 400),
        first_contentful_paint: Math.round(base * 0.6),
      },
    };
  if (g.category === 'network' || g.category === 'inbound_http') {
    const c5 = h % 20;
    const c4 = (h >>> 5) % 60;
    const c3 = (h >>> 11) % 30;
    stats.http_statistics = {
      response_codes: {
        total_spans: total,
        codes_1xx: 0,
        codes_2xx: total - c5 - c4 - c3,
        codes_3xx: c3,
        codes_4xx: c4,
        codes_5xx: c5,
      },
    };
  }
  return {
    id: spanGroupId(g),
    category: g.category,
    name: g.name,
    display_name: g.displayName,
    is_starred: g.index === 0,
    statistics: stats,
  };
}

/** Browser projects: one virtual group per route, joining its full page load and its route change. */
export function pageLoadViews(world: World, p: ProjectSeed): Array<Record<string, unknown>> {
  const groups = spanGroupSeeds(world, p);
  const out: Array<Record<string, unknown>> = [];
  for (const full of groups.filter((g) => g.category === 'full_page_load')) {
    const route = groups.find((g) => g.category === 'route_change' && g.displayName === full.displayName);
    if (!route) continue;
    out.push({
      id: `1.page_load.${full.displayName}`,
      display_name: full.displayName,
      is_starred: false,
      full_page_load_span_group: spanGroupView(world, p, full),
      route_change_span_group: spanGroupView(world, p, route),
    });
  }
  return out;
}

export function networkGroupingView(p: ProjectSeed): Record<string, unknown> {
  return {
    project_id: p.id,
    endpoints: [
      'https://api.example.com/v1/orders/{id}',
      'https://api.example.com/v1/users/{id}',
      'https://cdn.example.com/*',
    ],
  };
}
