// Event data request downloads: a simulator project of N events exported in one request, read by the client
// (create → waitUntilComplete → readPages) in pages of 500, with the process's peak RSS and heap; then the same gzip
// body, saved to a file, read twice — by a bare loop that only gunzips and counts bytes, and by the streaming JSON
// array reader (jsonArrayPages) — so the reader's cost is a ratio against a baseline measured in the same run.
// Run: npx tsx bench/edr-download.ts [events=200000]   (prints one JSON line; docs/simulator-edr.md)
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { createBugsnagClient } from '../src/bugsnag/index.js';
import { gunzipIfNeeded, jsonArrayPages } from '../src/http/json-array.js';
import { startSimulator } from '../src/sim/index.js';

const events = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'snagsync-edr-bench-'));
const sim = await startSimulator({
  seed: 1,
  orgs: 1,
  projects: 1,
  errors: 200,
  events,
  edrPrepareMs: 0,
  edrMaxEvents: events,
  rateLimit: 1_000_000,
});
try {
  const admin = sim.tokens.find((t) => t.role === 'admin')!;
  const client = createBugsnagClient({ token: admin.token, host: sim.url, logger: false });
  const project = sim.info().organizations[0]!.projects[0]!.id;
  const created = await client.eventDataRequests.create(project);
  const { url, total } = await client.eventDataRequests.waitUntilComplete(project, created.id, { initialDelayMs: 10 });

  let peakHeap = 0;
  const started = performance.now();
  let records = 0;
  let wire = 0;
  for await (const page of client.eventDataRequests.readPages(url, {
    pageSize: 500,
    onProgress: (p) => (wire = p.bytes),
  })) {
    records += page.length;
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  const clientMs = performance.now() - started;
  if (records !== total) throw new Error(`read ${records} records, the request said ${total}`);

  // The same body, gzipped, saved once; then the two readers over the file.
  const file = join(dir, 'export.json.gz');
  await new Promise<void>((resolve, reject) => {
    request(url, { headers: { 'Accept-Encoding': 'gzip' } }, (res) =>
      pipeline(res, createWriteStream(file)).then(resolve, reject),
    )
      .on('error', reject)
      .end();
  });
  let t = performance.now();
  let bytes = 0;
  for await (const chunk of createReadStream(file).pipe(createGunzip())) bytes += (chunk as Buffer).length;
  const bareMs = performance.now() - t;
  t = performance.now();
  let parsed = 0;
  for await (const page of jsonArrayPages(gunzipIfNeeded(createReadStream(file)), 500)) parsed += page.length;
  const readerMs = performance.now() - t;
  if (parsed !== total) throw new Error(`the reader found ${parsed} records in the file, expected ${total}`);

  console.log(
    JSON.stringify({
      events: total,
      client: {
        ms: Math.round(clientMs),
        records_per_s: Math.round((records / clientMs) * 1000),
        wire_mb: +(wire / 1e6).toFixed(1),
      },
      json_mb: +(bytes / 1e6).toFixed(1),
      gzip_mb: +(statSync(file).size / 1e6).toFixed(1),
      reader: {
        bare_gunzip_ms: Math.round(bareMs),
        reader_ms: Math.round(readerMs),
        mb_per_s: +(bytes / 1e6 / (readerMs / 1000)).toFixed(1),
      },
      peak_heap_mb: Math.round(peakHeap / 1e6),
      // Node reports ru_maxrss in kilobytes.
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      simulator: sim.stats().downloads,
    }),
  );
} finally {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
