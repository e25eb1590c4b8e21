/**
 * The month search keeps its answer until a write touches one of its trades (issue 10, point 2):
 * the answer a vendor sees after a post, an edit, a withdrawal or a sale is never the one from before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.server.marketplace!.store.addTrades([{ name: 'caricatures' }, { name: 'magician' }, { name: 'juggler' }]);
}, 60_000);

afterAll(async () => {
  await t.close();
});

function month(): { from: string; to: string } {
  const from = new Date(Date.now());
  const to = new Date(from.getTime() + 60 * 86_400_000);
  return { from: from.toISOString(), to: to.toISOString() };
}

async function search(trades: string, extra = ''): Promise<{ text: string; ids: string[] }> {
  const { from, to } = month();
  const response = await fetch(`${t.url}/api/leedz?trades=${encodeURIComponent(trades)}&from=${from.slice(0, 13)}:00:00Z&to=${to.slice(0, 13)}:00:00Z${extra}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const text = await response.text();
  return { text, ids: (JSON.parse(text) as { leedz: { id: string }[] }).leedz.map((leed) => leed.id) };
}

describe('the month search', () => {
  it('answers the same bytes again until a post, an edit or a withdrawal of its trade, and then the new answer', async () => {
    const poster = await t.signIn('cache-poster@example.com');
    const first = await search('caricatures');
    expect((await search('caricatures')).text).toBe(first.text);

    const posted = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody() });
    expect(posted.status).toBe(201);
    const afterPost = await search('caricatures');
    expect(afterPost.ids).toEqual([...first.ids, posted.body.id]);

    const edited = await t.api('PATCH', `/api/leedz/caricatures/${posted.body.id}`, { token: poster.token, body: { title: 'Retitled after the search was kept' } });
    expect(edited.status).toBe(200);
    expect((await search('caricatures')).text).toContain('Retitled after the search was kept');

    // Another trade's write leaves this answer as it was.
    const other = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'magician', location: '9 Elm Street, Springfield, IL 62701' }) });
    expect(other.status).toBe(201);
    expect((await search('caricatures')).ids).toEqual(afterPost.ids);
    expect((await search('caricatures,magician')).ids.sort()).toEqual([...afterPost.ids, other.body.id].sort());

    const withdrawn = await t.api('DELETE', `/api/leedz/caricatures/${posted.body.id}`, { token: poster.token });
    expect(withdrawn.status).toBeLessThan(300);
    expect((await search('caricatures')).ids).toEqual(first.ids);
  });

  it('answers a radius search the same way, and a signed-in vendor’s own leedz join it however far', async () => {
    const poster = await t.signIn('cache-far@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'juggler', location: '1 Main Street, Beverly Hills, CA 90210' }) });
    expect(posted.status).toBe(201);
    const near = await search('juggler', '&zip=62701&radius=20');
    expect(near.ids).not.toContain(posted.body.id);
    const { from, to } = month();
    const own = await t.api('GET', `/api/leedz?trades=juggler&from=${from.slice(0, 13)}:00:00Z&to=${to.slice(0, 13)}:00:00Z&zip=62701&radius=20`, { token: poster.token });
    expect(own.body.leedz.map((leed: { id: string }) => leed.id)).toContain(posted.body.id);
    // …and the anonymous answer kept before is not the signed-in one.
    expect((await search('juggler', '&zip=62701&radius=20')).ids).not.toContain(posted.body.id);
  });
});
