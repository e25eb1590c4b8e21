/**
 * `leedz invoke NAME --help`'s description of a function (src/server/cli-describe.ts), from the input
 * an HTTP function is described with (src/leedz/functions/route-input.ts).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { createMarketplace } from '../../src/leedz/marketplace.js';
import { describeFunction } from '../../src/server/cli-describe.js';
import { localDeps } from '../helpers/local-deps.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('leedz-cli-describe-');
const store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
const marketplace = createMarketplace(localDeps(store, dir.path));

afterAll(() => {
  store.close();
  dir.cleanup();
});

const help = (name: string) => {
  const fn = marketplace.functions.find((f) => f.name === name)!;
  return describeFunction({ name, kind: fn.kind, config: { timeoutSeconds: 10 }, inputs: fn.describeInput() } as never);
};

describe('invoke NAME --help of an HTTP function', () => {
  it('says a query number is sent as text, and its example sends text', () => {
    const text = help('upcomingLeedz');
    expect(text).toMatch(/\n {4}limit +text of integer, 1–1000\n/);
    expect(text).toContain('"limit":"1"');
  });

  it('names the caller of a route with a session, and its example is signed in', () => {
    const text = help('getMe');
    expect(text).toMatch(/\n {2}caller +object \(required\)\n {4}username +string \(required\)\n {4}email +string, email \(required\)\n/);
    expect(text).toContain(`leedz invoke getMe --payload '{"caller":{"username":"pat","email":"pat@example.com"},"params":{}}'`);
  });
});
