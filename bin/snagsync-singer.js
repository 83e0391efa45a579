#!/usr/bin/env node
// `snagsync singer`, under the name a Singer runner (Meltano's `executable`) calls: the tap's flags follow.
process.argv.splice(2, 0, 'singer');
await import('../dist/cli/run.js');
