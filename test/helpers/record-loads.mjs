// A module-loader hook (registered with `node --import`) that appends the URL of every module Node loads through the
// ESM loader to the file named by SNAGSYNC_LOADS_FILE, synchronously, so nothing is lost when the process exits.
// CommonJS files required from CommonJS do not pass through here: read `require.cache` for those.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

if (process.env.SNAGSYNC_LOADS_FILE && !import.meta.url.includes('?hooks')) {
  register(`${import.meta.url}?hooks`, { data: { file: process.env.SNAGSYNC_LOADS_FILE } });
}

let file;
export function initialize(data) {
  file = data.file;
}

export async function load(url, context, next) {
  appendFileSync(file, `${url}\n`);
  return next(url, context);
}
