import { hash, hashString, mix32, Rng } from './prng.js';

/**
 * Record ids look like Bugsnag's (24-hex Mongo ObjectIds) but encode what they point at, so any id a client sends back
 * can be resolved to its record in O(1) without storing an index: (kind, parent, index) is packed into 64 bits,
 * scrambled with a seed-keyed Feistel permutation (ids look random and differ between seeds), and prefixed with 32
 * bits derived from the payload, which doubles as a check that rejects made-up ids.
 */
export const KIND = {
  organization: 1,
  project: 2,
  error: 3,
  event: 4,
  release: 5,
  releaseGroup: 6,
  user: 7,
  team: 8,
  comment: 9,
  savedSearch: 10,
  eventDataRequest: 11,
  featureFlag: 12,
  featureFlagVariant: 13,
} as const;

export type Kind = keyof typeof KIND;

export interface DecodedId {
  kind: Kind;
  /** Parent number (global project index for project-owned records, org index for teams, 0 otherwise). */
  parent: number;
  /** Index within the parent. */
  index: number;
}

const MAX_PARENT = 1 << 20;
const MAX_INDEX = 2 ** 40;
const KIND_BY_CODE = new Map<number, Kind>(Object.entries(KIND).map(([k, v]) => [v, k as Kind]));

export class IdCodec {
  private readonly keys: number[];
  private readonly seed: number;

  constructor(seed: number) {
    this.seed = seed;
    this.keys = [0, 1, 2, 3].map((i) => hash(seed, hashString('feistel'), i));
  }

  encode(kind: Kind, parent: number, index: number): string {
    if (parent < 0 || parent >= MAX_PARENT || index < 0 || index >= MAX_INDEX || !Number.isInteger(index)) {
      throw new RangeError(`id out of range: ${kind} ${parent} ${index}`);
    }
    const hiIndex = Math.floor(index / 0x1_0000_0000);
    let l = ((KIND[kind] << 28) | (parent << 8) | hiIndex) >>> 0;
    let r = index >>> 0;
    for (const k of this.keys) {
      const next = (l ^ this.round(r, k)) >>> 0;
      l = r;
      r = next;
    }
    const prefix = this.prefix(l, r);
    return hex8(prefix) + hex8(l) + hex8(r);
  }

  /** Null when the id is not one this simulator (with this seed) could have produced. */
  decode(id: string): DecodedId | null {
    if (!/^[0-9a-f]{24}$/.test(id)) return null;
    const prefix = Number.parseInt(id.slice(0, 8), 16);
    let l = Number.parseInt(id.slice(8, 16), 16);
    let r = Number.parseInt(id.slice(16, 24), 16);
    if (this.prefix(l, r) !== prefix) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const prev = (r ^ this.round(l, this.keys[i]!)) >>> 0;
      r = l;
      l = prev;
    }
    const kind = KIND_BY_CODE.get(l >>> 28);
    if (!kind) return null;
    const parent = (l >>> 8) & 0xfffff;
    const index = (l & 0xff) * 0x1_0000_0000 + r;
    return { kind, parent, index };
  }

  decodeAs(kind: Kind, id: string): DecodedId | null {
    const d = this.decode(id);
    return d && d.kind === kind ? d : null;
  }

  private round(x: number, key: number): number {
    return mix32((x ^ key) + 0x632be5ab);
  }

  /** 0x5f000000…0x65000000 reads like an ObjectId created between 2020 and 2023. */
  private prefix(l: number, r: number): number {
    return (0x5f000000 + (hash(this.seed, l, r) % 0x06000000)) >>> 0;
  }
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** A personal auth token in the UUID shape Bugsnag issues. */
export function tokenFor(seed: number, n: number): string {
  const h = new Rng(hash(seed, hashString('personal-auth-token'), n)).hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** 32 hex characters: the shape of a project notifier API key (which must be refused as a token). */
export function apiKeyFor(seed: number, kind: string, n: number): string {
  return new Rng(hash(seed, hashString(kind), n)).hex(32);
}
