/**
 * Stopping the server while a client keeps a connection alive: the operations console asks every two
 * seconds on one kept-alive connection, and Node's `server.close()` waits for every connection that
 * was busy when it was called. Without closing those once they fall idle, a console left open kept
 * the server from ever stopping (Ctrl-C said "finishing running invocations…" and nothing more).
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { resolveServerConfig } from '../../src/server/config.js';
import { startServer } from '../../src/server/serve.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('leedz-serve-close-');
afterEach(() => dir.cleanup());

it('stops while a client goes on asking on a kept-alive connection that had a request in flight', async () => {
  const server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_SEED: 'false' }));
  const host = new URL(server.url).host;
  const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
  await once(socket, 'connect');
  let answered = '';
  socket.on('data', (chunk: Buffer) => {
    answered += chunk.toString('latin1');
  });
  socket.on('error', () => {});

  // A request in flight when the server is told to stop: its body is still on its way.
  const body = JSON.stringify({ email: 'pat@example.com' });
  socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
  await delay(200);
  const stopped = server.close().then(() => 'stopped' as const);
  socket.write(body.slice(5));
  // What the console does: ask again, on the same connection, every half second.
  const polling = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write(`GET /api/trades HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  }, 500);
  try {
    const outcome = await Promise.race([stopped, delay(15_000).then(() => 'still running' as const)]);
    expect(outcome).toBe('stopped');
    // The request in flight was answered before its connection closed.
    expect(answered).toMatch(/^HTTP\/1\.1 202 /);
  } finally {
    clearInterval(polling);
    socket.destroy();
    await stopped;
  }
}, 60_000);
