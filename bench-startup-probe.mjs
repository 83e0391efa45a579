import { parentPort } from 'node:worker_threads';
await import("/work/wt-offloop/dist/runtime.js");
await import("/work/wt-offloop/dist/engine/run.js");
if (parentPort) parentPort.postMessage('ready'); else { process.send('ready'); process.disconnect(); }
