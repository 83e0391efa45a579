// tsc compiles src/ to dist/ but copies nothing else: the web UI's static files (one JS file, one CSS file, the
// icon) are copied here, next to the compiled src/server/static-files.js that serves them.
import { cpSync } from 'node:fs';

cpSync(new URL('../src/server/static', import.meta.url), new URL('../dist/server/static', import.meta.url), {
  recursive: true,
});
