import { createHash } from 'node:crypto';

/**
 * Which version of each record a JSONL stream holds, so that a record read again unchanged (the look-back window of
 * an incremental sync, a full-refresh stream) is not appended a second time.
 *
 * Memory matters (a million events): keys are 63-bit hashes of the record key and values 32-bit hashes of the
 * record's JSON, in an open-addressing table over typed arrays — 12 bytes a slot, about 24 MB for a million keys.
 * A wrong "unchanged" needs two different keys with the same 63-bit hash AND the same 32-bit content hash.
 */
export interface KeyEntry {
  hi: number;
  lo: number;
  content: number;
}

export const ENTRY_BYTES = 12;

export function entryOf(key: string, json: string): KeyEntry {
  const k = createHash('sha1').update(key).digest();
  const c = createHash('sha1').update(json).digest();
  return { hi: (k.readUInt32LE(0) | 0x80000000) >>> 0, lo: k.readUInt32LE(4), content: c.readUInt32LE(0) };
}

export class KeyIndex {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private val: Uint32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 1024;
    while (cap < capacity * 2) cap *= 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** The content hash stored for the key, or undefined. (hi always has its top bit set, so 0 marks a free slot.) */
  get(hi: number, lo: number): number | undefined {
    for (let i = lo & this.mask; ; i = (i + 1) & this.mask) {
      const h = this.hi[i]!;
      if (h === 0) return undefined;
      if (h === hi && this.lo[i] === lo) return this.val[i];
    }
  }

  set(hi: number, lo: number, content: number): void {
    if ((this.size + 1) * 2 > this.hi.length) this.grow();
    this.place(hi, lo, content);
  }

  /** Loads entries as written in a `.keys` file (12 bytes each: hi, lo, content; little-endian). */
  load(buf: Buffer): void {
    for (let off = 0; off + ENTRY_BYTES <= buf.length; off += ENTRY_BYTES) {
      this.set(buf.readUInt32LE(off), buf.readUInt32LE(off + 4), buf.readUInt32LE(off + 8));
    }
  }

  private place(hi: number, lo: number, content: number): void {
    for (let i = lo & this.mask; ; i = (i + 1) & this.mask) {
      const h = this.hi[i]!;
      if (h === 0) {
        this.hi[i] = hi;
        this.lo[i] = lo;
        this.val[i] = content;
        this.size++;
        return;
      }
      if (h === hi && this.lo[i] === lo) {
        this.val[i] = content;
        return;
      }
    }
  }

  private grow(): void {
    const { hi, lo, val } = this;
    const cap = hi.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.val = new Uint32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < hi.length; i++) if (hi[i] !== 0) this.place(hi[i]!, lo[i]!, val[i]!);
  }
}

export function writeEntry(buf: Buffer, offset: number, e: KeyEntry): void {
  buf.writeUInt32LE(e.hi, offset);
  buf.writeUInt32LE(e.lo, offset + 4);
  buf.writeUInt32LE(e.content, offset + 8);
}
