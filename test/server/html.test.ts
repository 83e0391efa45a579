import { describe, expect, it } from 'vitest';
import { attrs, html, raw } from '../../src/server/html.js';
import { manageTile } from '../../src/server/components/tiles.js';
import type { CredentialView } from '../../src/credentials/index.js';

/** The escaping template every page is built with. */

describe('html``', () => {
  it('escapes every interpolated value unless it is SafeHtml', () => {
    const evil = `<script>alert("x")</script>' onload=\`x\``;
    const out =
      html`<p title="${evil}">${evil}</p>${raw('<br>')}${[html`<i>${'<b>'}</i>`, 'a&b']}${null}${undefined}${false}`
        .value;
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#96;x&#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#96;x&#96;</p><br><i>&lt;b&gt;</i>a&amp;b',
    );
  });

  it('attrs() drops false/null, writes bare true, escapes values, refuses bad names', () => {
    expect(attrs({ id: 'a"b', hidden: true, disabled: false, title: null, n: 3 }).value).toBe(
      ' id="a&quot;b" hidden n="3"',
    );
    expect(() => attrs({ 'on x': '1' })).toThrow();
  });

  it('a credential named like markup is shown as text in its tile', () => {
    const view: CredentialView = {
      id: 'cred_1',
      name: '<img src=x onerror=alert(1)>',
      description: '"><script>1</script>',
      connector: 'bugsnag',
      host: 'https://api.bugsnag.com',
      token_last4: '<&>',
      verified_status: 'FAILED',
      verified_at: '2026-05-01T10:00:00.000Z',
      verify_error: { error: 'auth_invalid', message: '<b>bad</b>' },
      organizations: [{ id: 'o', name: '<u>Org</u>', slug: null }],
      rate_limit: null,
      sources_count: 0,
      created_at: '2026-05-01T10:00:00.000Z',
      updated_at: '2026-05-01T10:00:00.000Z',
    };
    const out = manageTile(view, { now: Date.parse('2026-05-01T10:05:00Z'), csrf: 'tok"en' }).value;
    expect(out).not.toMatch(/<img|<script|<b>|<u>/);
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('value="tok&quot;en"');
    expect(out).toContain('5 minutes ago');
  });
});
