/**
 * The Identity contract (`Identity` in `src/leedz/ports.ts`), run on every adapter: the local
 * magic-link identity (and Cognito when it exists). Only what the port promises is checked here;
 * lifetimes that need a controlled clock are each adapter's own tests.
 *
 * @example
 * describeIdentityContract('local', async () => {
 *   const dir = tempDir();
 *   const db = new Database(join(dir.path, 'leedz.db'));
 *   return { identity: createLocalIdentity({ db, keyDir: dir.path }), teardown: async () => { db.close(); dir.cleanup(); } };
 * });
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../src/leedz/ports.js';

export interface IdentityFixture {
  identity: Identity;
  teardown(): Promise<void>;
}

/** A JWT's parts, re-assembled after a change to one of them. */
function reassemble(token: string, change: (parts: { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string }) => void): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const parts = {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>,
    signature,
  };
  change(parts);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(parts.header)}.${encode(parts.payload)}.${parts.signature}`;
}

export function describeIdentityContract(name: string, setup: () => Promise<IdentityFixture>): void {
  describe(`Identity contract: ${name}`, () => {
    let fixture: IdentityFixture;
    let identity: Identity;

    beforeEach(async () => {
      fixture = await setup();
      identity = fixture.identity;
    });

    afterEach(async () => {
      await fixture.teardown();
    });

    it('a login token redeems once, to the email it was issued for', async () => {
      const token = await identity.issueLoginToken('ada@example.com');
      expect(await identity.redeemLoginToken(token)).toBe('ada@example.com');
      expect(await identity.redeemLoginToken(token)).toBeUndefined();
    });

    it('two clicks on one link at the same moment sign in once', async () => {
      const token = await identity.issueLoginToken('ada@example.com');
      const results = await Promise.all([identity.redeemLoginToken(token), identity.redeemLoginToken(token), identity.redeemLoginToken(token)]);
      expect(results.filter((r) => r !== undefined)).toEqual(['ada@example.com']);
    });

    it('tokens are unguessable and independent: a second link for the same email works on its own', async () => {
      const first = await identity.issueLoginToken('ada@example.com');
      const second = await identity.issueLoginToken('ada@example.com');
      expect(second).not.toBe(first);
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(await identity.redeemLoginToken(second)).toBe('ada@example.com');
      expect(await identity.redeemLoginToken(first)).toBe('ada@example.com');
    });

    it('an unknown or malformed login token redeems to nothing', async () => {
      const real = await identity.issueLoginToken('ada@example.com');
      const altered = `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`;
      for (const token of [altered, '', 'x', 'not a token at all', 'A'.repeat(43), '%'.repeat(43), 'a'.repeat(10_000)]) {
        expect(await identity.redeemLoginToken(token)).toBeUndefined();
      }
    });

    it('a session token verifies to the caller it was issued for, with or without a username', async () => {
      const named = await identity.issueSession({ email: 'ada@example.com', username: 'ada' });
      expect(await identity.verifySession(named)).toEqual({ email: 'ada@example.com', username: 'ada' });
      const unnamed = await identity.issueSession({ email: 'new@example.com' });
      expect(await identity.verifySession(unnamed)).toEqual({ email: 'new@example.com' });
    });

    it('a missing or malformed session token is no caller, and verifying never throws', async () => {
      for (const token of [undefined, '', 'garbage', 'a.b.c', '...', 'eyJhbGciOiJFUzI1NiJ9.e30.', `${'x'.repeat(5_000)}.y.z`]) {
        expect(await identity.verifySession(token)).toBeUndefined();
      }
    });

    it('a session token with a changed payload (another email, another username) is refused', async () => {
      const token = await identity.issueSession({ email: 'ada@example.com', username: 'ada' });
      const otherEmail = reassemble(token, (p) => (p.payload.sub = 'mallory@example.com'));
      const otherUser = reassemble(token, (p) => (p.payload.username = 'admin'));
      expect(await identity.verifySession(otherEmail)).toBeUndefined();
      expect(await identity.verifySession(otherUser)).toBeUndefined();
    });

    it('an unsigned session token (alg "none") is refused', async () => {
      const token = await identity.issueSession({ email: 'ada@example.com', username: 'ada' });
      const unsigned = reassemble(token, (p) => {
        p.header = { alg: 'none', typ: 'JWT' };
        p.signature = '';
      });
      expect(await identity.verifySession(unsigned)).toBeUndefined();
    });
  });
}
