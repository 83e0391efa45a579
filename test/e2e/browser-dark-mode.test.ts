import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, useBrowserSuite, type WebServer } from '../helpers/browser.js';
import { requireService } from '../helpers/services.js';

/**
 * Dark mode follows the system: with Chromium's colour scheme set to dark, the page's background and text turn dark
 * and light (CSS only, no script involved), and every text colour keeps 4.5:1 against the surfaces it is used on.
 */
const enabled = requireService('chromium');

type Rgb = [number, number, number];

function rgb(css: string): Rgb {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const hex = /^#([0-9a-f]{6})$/i.exec(css.trim());
  if (!hex) throw new Error(`not a colour: ${css}`);
  const n = Number.parseInt(hex[1]!, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe.skipIf(!enabled)('web UI: dark mode (Chromium)', () => {
  const web = useBrowserSuite({ beforeAll, afterEach, afterAll });
  let server: WebServer;
  beforeAll(async () => {
    server = await startWebServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  const look = async (colorScheme: 'dark' | 'light') => {
    const page = await web.page({ colorScheme });
    await page.goto(`${server.url}/login`);
    const background = rgb(await page.evaluate<string>('getComputedStyle(document.documentElement).backgroundColor'));
    const text = rgb(await page.evaluate<string>('getComputedStyle(document.documentElement).color'));
    const vars = JSON.parse(
      await page.evaluate<string>(
        "JSON.stringify(Object.fromEntries(['bg','surface','text','muted','brand','brand-ink','focus','ok','ok-bg','bad','bad-bg','warn-bg','unknown','unknown-bg'].map((n) => [n, getComputedStyle(document.documentElement).getPropertyValue('--' + n).trim()])))",
      ),
    ) as Record<string, string>;
    return { background, text, v: (name: string) => rgb(vars[name]!) };
  };

  it('turns dark with the system, keeping text contrast', async () => {
    const light = await look('light');
    expect(light.background).toEqual([246, 247, 251]);
    const dark = await look('dark');
    expect(dark.background).toEqual([18, 19, 25]);
    expect(luminance(dark.background)).toBeLessThan(0.02);
    expect(luminance(dark.text)).toBeGreaterThan(0.7);
    const pairs: Array<[string, string]> = [
      ['text', 'bg'],
      ['text', 'surface'],
      ['muted', 'bg'],
      ['muted', 'surface'],
      ['brand', 'surface'],
      ['brand-ink', 'brand'],
      ['focus', 'surface'],
      ['ok', 'ok-bg'],
      ['bad', 'bad-bg'],
      ['bad', 'surface'],
      ['text', 'warn-bg'],
      ['unknown', 'unknown-bg'],
    ];
    for (const [fg, bg] of pairs) {
      expect(`${fg} on ${bg}: ${contrast(dark.v(fg), dark.v(bg)) >= 4.5}`).toBe(`${fg} on ${bg}: true`);
    }
  });
});
