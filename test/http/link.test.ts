import { describe, expect, it } from 'vitest';
import { findNextLink, parseLinkHeader } from '../../src/http/link.js';

const next = (value: string, name = 'Link') => findNextLink(new Headers({ [name]: value }));

describe('Link header parsing', () => {
  it('reads the single rel="next" entry Bugsnag sends', () => {
    expect(next('<https://api.bugsnag.com/projects/p/releases?offset=5>; rel="next"')).toBe(
      'https://api.bugsnag.com/projects/p/releases?offset=5',
    );
  });

  it('finds next in a comma list, whatever its position', () => {
    const h = '<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next", <https://x/a?page=9>; rel="last"';
    expect(next(h)).toBe('https://x/a?page=3');
  });

  it('accepts ;rel= without a space, unquoted and in any case', () => {
    expect(next('<https://x/a?o=1>;rel=next')).toBe('https://x/a?o=1');
    expect(next('<https://x/a?o=2>; REL="Next"')).toBe('https://x/a?o=2');
    expect(next('<https://x/a?o=3> ;  rel = "next"')).toBe('https://x/a?o=3');
  });

  it('accepts several relation types in one rel', () => {
    expect(next('<https://x/a?o=4>; rel="last next"')).toBe('https://x/a?o=4');
  });

  it('keeps commas and semicolons inside the URL', () => {
    const url = 'https://x/a?filters%5Bf%5D%5B%5D%5Bvalue%5D=a,b;c&offset=2';
    expect(next(`<https://x/a?o=0>; rel="prev", <${url}>; rel="next"`)).toBe(url);
  });

  it('ignores a comma inside a quoted parameter', () => {
    expect(next('<https://x/a?o=0>; title="a, b"; rel="prev", <https://x/a?o=5>; rel="next"')).toBe('https://x/a?o=5');
  });

  it('reads the header whatever the case of its name', () => {
    expect(next('<https://x/a?o=6>; rel="next"', 'link')).toBe('https://x/a?o=6');
    expect(next('<https://x/a?o=7>; rel="next"', 'LINK')).toBe('https://x/a?o=7');
  });

  it('has no next when the header is missing or has only other relations', () => {
    expect(findNextLink(new Headers())).toBeUndefined();
    expect(next('<https://x/a?o=1>; rel="prev"')).toBeUndefined();
    expect(next('')).toBeUndefined();
    expect(next('garbage')).toBeUndefined();
  });

  it('returns the URL and all its parameters', () => {
    expect(parseLinkHeader('<https://x/a>; rel="next"; title="More"')).toEqual([
      { url: 'https://x/a', rels: ['next'], params: { rel: 'next', title: 'More' } },
    ]);
  });
});
