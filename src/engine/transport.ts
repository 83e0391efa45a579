/**
 * The engine's transport is the client's: node:http(s) with keep-alive behind the address guard. It lives in
 * src/http/node-transport.ts; this name stays for the engine and its tests.
 */
export { type NodeTransportOptions, nodeTransport } from '../http/node-transport.js';
