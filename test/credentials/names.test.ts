import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SnagError } from '../../src/core/errors.js';
import { INVISIBLE_NAMES } from '../core/invisible-names.js';
import { harness, rejection, type Harness } from './helpers.js';

/**
 * Issue 19 item 1 through the library: the credential service, and the store every face saves sources and
 * destinations (data sinks) through, refuse a name with an invisible character, and find a record by any Unicode
 * spelling of its name. No network: nothing here verifies a token.
 */

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  await h.cleanup();
});

const TOKEN = 'tok-aaaa-1111';
const credential = (name: string) => h.service.createCredential({ name, token: TOKEN }, { verify: false });

function expectNameRefusal(e: SnagError, what: string, char: string, position: number) {
  expect(e.code).toBe('config');
  expect(e.exitCode).toBe(3);
  expect(e.details.field).toBe('name');
  expect(e.message).toContain(`The ${what} name contains ${char} at position ${position}`);
  expect(e.hint).toBeTruthy();
}

describe('a credential name with an invisible character', () => {
  it.each(INVISIBLE_NAMES)('%s: refused by createCredential, nothing saved', async (_what, raw, char, position) => {
    const e = await rejection(credential(raw));
    expectNameRefusal(e, 'credential', char, position);
    expect(await h.service.listCredentials()).toEqual([]);
  });

  it('is refused on rename too, and the credential keeps its name', async () => {
    const { credential: c } = await credential('Prod');
    const e = await rejection(h.service.updateCredential('Prod', { name: 'Pro\u200Bd' }, { verify: false }));
    expectNameRefusal(e, 'credential', 'U+200B (zero width space)', 4);
    expect((await h.service.getCredential(c.id)).name).toBe('Prod');
  });

  it('a look-alike of an existing name cannot be made: "Prod" and "Pro\\u200Bd" are not two credentials', async () => {
    await credential('Prod');
    await rejection(credential('Pro\u200Bd'));
    expect((await h.service.listCredentials()).map((c) => c.name)).toEqual(['Prod']);
  });
});

describe('sources and destinations follow the same rule (the store every face saves through)', () => {
  it.each(INVISIBLE_NAMES)('%s: a source and a destination are refused', async (_what, raw, char, position) => {
    const { credential: c } = await credential('Prod');
    const source = await rejection(
      h.runtime.store.sources.create({
        name: raw,
        credential_id: c.id,
        config: {},
        destination: `sqlite:${join(h.home, 'b.db')}`,
      }),
    );
    expectNameRefusal(source, 'source', char, position);
    expect(source.details).toMatchObject({ code_point: char.split(' ')[0], position });
    const sink = await rejection(h.runtime.store.sinks.create({ name: raw, credential_id: c.id, config: {} }));
    expectNameRefusal(sink, 'destination', char, position);
    expect(await h.runtime.store.sources.list()).toEqual([]);
    expect(await h.runtime.store.sinks.list()).toEqual([]);
  });
});

describe('names people write', () => {
  it('accents, emoji and CJK are accepted for all three, as typed', async () => {
    const name = 'Équipe 東京 \u{1F680} \u{1F469}\u200D\u{1F4BB}';
    const { credential: c } = await credential(name);
    expect(c.name).toBe(name);
    const s = await h.runtime.store.sources.create({
      name,
      credential_id: c.id,
      config: {},
      destination: `sqlite:${join(h.home, 'b.db')}`,
    });
    expect(s.name).toBe(name);
    expect((await h.runtime.store.sinks.create({ name, credential_id: c.id, config: {} })).name).toBe(name);
  });

  it('a decomposed (NFD) name is stored composed, and found by either spelling in any case', async () => {
    const nfd = 'Équipe Café'.normalize('NFD');
    expect(nfd).not.toBe('Équipe Café');
    const { credential: c } = await credential(nfd);
    expect(c.name).toBe('Équipe Café');
    for (const ref of [nfd, 'Équipe Café', 'ÉQUIPE CAFÉ'.normalize('NFD'), ' équipe café ']) {
      expect((await h.service.getCredential(ref)).id).toBe(c.id);
    }
    // The NFC spelling of a taken name is taken.
    const taken = await rejection(credential('Équipe Café'));
    expect(taken.code).toBe('conflict');

    const s = await h.runtime.store.sources.create({
      name: nfd,
      credential_id: c.id,
      config: {},
      destination: `sqlite:${join(h.home, 'b.db')}`,
    });
    expect(s.name).toBe('Équipe Café');
    expect((await h.runtime.store.sources.findByNameOrId('Équipe Café')).id).toBe(s.id);
    const d = await h.runtime.store.sinks.create({ name: nfd, credential_id: c.id, config: {} });
    expect(d.name).toBe('Équipe Café');
    expect((await h.runtime.store.sinks.findByNameOrId('équipe café'.normalize('NFD'))).id).toBe(d.id);
  });
});
