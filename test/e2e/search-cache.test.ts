/**
 * The month search keeps its answer until a write touches one of its trades (issue 10, point 2):
 * the answer a vendor sees after a post, an edit, a withdrawal or a sale is never the one from before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await t.server.marketplace!.store.addTrades([{ name: 'caricatures' }, { name: 'magician' }, { name: 'juggler' }, { name: 'face painting' }]);
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

  it('with perDay answers the first leedz of each day where the gig is and every day’s count, kept until a write', async () => {
    const poster = await t.signIn('per-day@example.com');
    const day = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const next = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    const post = async (start: string, street: number) => {
      // Springfield, IL is on Chicago time: 18:00 there is after midnight in UTC, the next UTC day.
      const body = newLeedBody({ trade: 'face painting', location: `${street} Oak Street, Springfield, IL 62701`, start, end: `${start.slice(0, 11)}${String(Number(start.slice(11, 13)) + 1).padStart(2, '0')}:00` });
      const posted = await t.api('POST', '/api/leedz', { token: poster.token, body });
      expect(posted.status).toBe(201);
      return posted.body.id as string;
    };
    const evening = [await post(`${day}T18:00`, 1), await post(`${day}T19:00`, 2), await post(`${day}T20:00`, 3), await post(`${day}T21:00`, 4)];
    const noon = await post(`${next}T12:00`, 5);
    const range = `trades=face%20painting&from=${day}T00:00:00Z&to=${next}T23:59:59Z`;
    const bounded = async () => (await t.api('GET', `/api/leedz?${range}&perDay=2`)).body as { leedz: { id: string }[]; days: Record<string, number> };

    const first = await bounded();
    expect(first.days).toEqual({ [day]: 4, [next]: 1 });
    expect(first.leedz.map((leed) => leed.id)).toEqual([evening[0], evening[1], noon]);
    // Without perDay: every leed, and no counts.
    const full = await t.api('GET', `/api/leedz?${range}`);
    expect(full.body.leedz.map((leed: { id: string }) => leed.id)).toEqual([...evening, noon]);
    expect(full.body.days).toBeUndefined();

    // A post earlier that evening is first of its day at once, and the day counts it.
    const earlier = await post(`${day}T17:00`, 6);
    const after = await bounded();
    expect(after.days).toEqual({ [day]: 5, [next]: 1 });
    expect(after.leedz.map((leed) => leed.id)).toEqual([earlier, evening[0], noon]);
    // `limit` caps the leedz listed, not the days counted: a busy month shows every day's count.
    const capped = await t.api('GET', `/api/leedz?${range}&perDay=2&limit=1`);
    expect(capped.body).toEqual({ leedz: [expect.objectContaining({ id: earlier })], days: { [day]: 5, [next]: 1 } });

    for (const perDay of ['0', '101', '2.5', 'three']) {
      const refused = await t.api('GET', `/api/leedz?${range}&perDay=${perDay}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error.fields).toEqual([{ path: 'perDay', message: 'must be a whole number from 1 to 100' }]);
    }
  });
});
