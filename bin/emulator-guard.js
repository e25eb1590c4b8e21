// Preloaded into the Node emulators' processes (`node --import bin/emulator-guard.js …`, from
// src/server/emulators.ts): every HTTP server they create answers through the browser guard of
// src/server/emulator-guard.ts, which refuses requests that web pages of other sites send.
import http from 'node:http';
import { register } from 'tsx/esm/api';

register();
const { guardRequests } = await import('../src/server/emulator-guard.ts');

const createServer = http.createServer;
http.createServer = function guardedCreateServer(...args) {
  const at = args.findIndex((arg) => typeof arg === 'function');
  if (at === -1) throw new Error('emulator-guard: a server created without a request listener would not be guarded');
  args[at] = guardRequests(args[at]);
  return createServer.apply(this, args);
};
