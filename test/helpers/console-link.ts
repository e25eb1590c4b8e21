/**
 * Open a console sign-in link as a browser does: the link's page (a GET spends nothing), then its
 * button, a POST from that page (src/server/serve.ts). The answer is the page's when it refused the
 * link (401), else the button's (303 to /console, with the operator's cookie).
 *
 * @example
 * const { cookie } = await openConsoleLink(t.server.consoleUrl());
 */
import { OPERATOR_COOKIE } from '../../src/runtime/operator-sessions.js';

export async function openConsoleLink(link: string, headers: Record<string, string> = {}): Promise<{ response: Response; setCookie: string | undefined; cookie: string | undefined }> {
  const url = new URL(link);
  let response = await fetch(url, { redirect: 'manual', headers });
  if (response.status === 200) {
    const token = /name="token" value="([^"]+)"/.exec(await response.text())?.[1];
    if (token === undefined) throw new Error(`${link}: the sign-in page has no button`);
    response = await fetch(new URL('/console', url), {
      method: 'POST',
      redirect: 'manual',
      headers: { ...headers, origin: url.origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
  }
  const setCookie = response.headers.getSetCookie().find((line) => line.startsWith(`${OPERATOR_COOKIE}=`));
  return { response, setCookie, cookie: setCookie?.split(';')[0] };
}
