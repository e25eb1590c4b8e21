import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { InvokeError, type Transport } from '../../src/framework/transport.js';
import { createOutboxRelay } from '../../src/leedz/outbox-relay.js';
import { aLeed, anOutboxMessage } from '../helpers/builders.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let path: string;
let store: SqliteStore;

beforeEach(async () => {
  dir = tempDir();
  path = join(dir.path, 'leedz.db');
  store = createSqliteStore({ path });
  await store.addTrades([{ name: 'dj' }]);
  await store.createUser({ username: 'ada', email: 'ada@example.com', createdAt: new Date().toISOString() }, []);
});

afterEach(() => {
  store.close();
  dir.cleanup();
});

function recordingTransport(fail: (target: string) => boolean = () => false): Transport & { sent: { target: string; payload: unknown }[] } {
  const sent: { target: string; payload: unknown }[] = [];
  return {
    sent,
    async invoke(target, payload, type) {
      expect(type).toBe('Event');
      if (fail(target)) throw new InvokeError('ServiceException', 'the runtime is shutting down');
      sent.push({ target, payload });
      return { statusCode: 202 };
    },
  };
}

describe('the outbox relay', () => {
  it('work committed before a crash, and never invoked, is invoked after the restart', async () => {
    const message = anOutboxMessage({ target: 'emailHelper' });
    await store.insertLeed(aLeed({ creator: 'ada' }), [message]);
    // The process dies here: the leed and its work are committed, nothing was invoked.
    store.close();

    store = createSqliteStore({ path });
    const transport = recordingTransport();
    const relay = createOutboxRelay({ store, transport });
    expect(await relay.relayOnce()).toBe(1);
    expect(transport.sent).toEqual([{ target: 'emailHelper', payload: message.payload }]);
    expect(await store.pendingOutbox(10)).toEqual([]);
    expect(await relay.relayOnce()).toBe(0);
  });

  it('a message whose invoke fails stays pending and goes out on the next run', async () => {
    const good = anOutboxMessage({ target: 'bookkeeping' });
    const bad = anOutboxMessage({ target: 'emailHelper' });
    await store.insertLeed(aLeed({ creator: 'ada' }), [good, bad]);
    let down = true;
    const transport = recordingTransport((target) => down && target === 'emailHelper');
    const errors: unknown[] = [];
    const relay = createOutboxRelay({ store, transport, onError: (error) => errors.push(error) });

    expect(await relay.relayOnce()).toBe(1);
    expect((await store.pendingOutbox(10)).map((m) => m.id)).toEqual([bad.id]);
    expect(errors).toHaveLength(1);

    down = false;
    expect(await relay.relayOnce()).toBe(1);
    expect(transport.sent.map((s) => s.target)).toEqual(['bookkeeping', 'emailHelper']);
    expect(await store.pendingOutbox(10)).toEqual([]);
  });

  it('nudges that arrive while a run is under way lead to one more run, not to lost messages', async () => {
    const transport = recordingTransport();
    const relay = createOutboxRelay({ store, transport });
    await store.insertLeed(aLeed({ creator: 'ada' }), [anOutboxMessage()]);
    relay.nudge();
    await store.insertLeed(aLeed({ creator: 'ada', start: '2031-01-01T10:00:00.000Z', end: '2031-01-01T12:00:00.000Z' }), [anOutboxMessage()]);
    relay.nudge();
    await relay.stop();
    await relay.relayOnce();
    expect(transport.sent).toHaveLength(2);
  });
});
