/**
 * RFC 8288 `Link` header parsing. Bugsnag sends one `<url>; rel="next"` entry today, but the header is a comma list,
 * `rel` may be unquoted, spaced or not, in any case, and may hold several space-separated relation types. URLs can
 * contain commas and semicolons, so entries are split on `<…>` boundaries, never on a bare comma.
 */
export interface LinkEntry {
  url: string;
  rels: string[];
  params: Record<string, string>;
}

export function parseLinkHeader(header: string | null | undefined): LinkEntry[] {
  if (!header) return [];
  const entries: LinkEntry[] = [];
  let i = 0;
  const n = header.length;
  while (i < n) {
    const open = header.indexOf('<', i);
    if (open === -1) break;
    const close = header.indexOf('>', open + 1);
    if (close === -1) break;
    const url = header.slice(open + 1, close).trim();
    // Parameters run until the next comma that is not inside quotes.
    let j = close + 1;
    let inQuotes = false;
    while (j < n) {
      const c = header[j];
      if (c === '"') inQuotes = !inQuotes;
      else if (c === ',' && !inQuotes) break;
      j++;
    }
    const params: Record<string, string> = {};
    for (const part of header.slice(close + 1, j).split(';')) {
      const eq = part.indexOf('=');
      if (eq === -1) continue;
      const key = part.slice(0, eq).trim().toLowerCase();
      let value = part.slice(eq + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      if (key && !(key in params)) params[key] = value;
    }
    const rels = (params.rel ?? '')
      .split(/\s+/)
      .map((r) => r.toLowerCase())
      .filter(Boolean);
    entries.push({ url, rels, params });
    i = j + 1;
  }
  return entries;
}

/** The `rel="next"` URL exactly as the server wrote it, or undefined when there is no next page. */
export function findNextLink(headers: Headers): string | undefined {
  const entry = parseLinkHeader(headers.get('link')).find((e) => e.rels.includes('next'));
  return entry?.url ? entry.url : undefined;
}
