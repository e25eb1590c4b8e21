/**
 * JSON over fetch, for the marketplace API (`/api`, errors `{error: {code, message, fields?}}`) and
 * the runtime's console endpoints (`/local`, errors `{message, fields?}`). The session is the
 * `leedz_session` cookie the magic link set, sent by the browser with every same-origin request.
 *
 * @example
 * try { await api.post('/api/leedz', body); } catch (e) { if (e instanceof ApiError) e.fieldMessage('title'); }
 */
import type { FieldError } from '../../src/leedz/domain/validation.js';
import { config } from './config.js';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldError[];
  /** Whether the server's endpoint answered (a JSON error body), rather than nothing being there at all. */
  readonly answered: boolean;

  constructor(status: number, code: string, message: string, fields: FieldError[] = [], answered = true) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.answered = answered;
  }

  /** The API's message for one field (`title`, `visibility.clientEmail`), if it named that field. */
  fieldMessage(path: string): string | undefined {
    return this.fields.find((field) => field.path === path)?.message;
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; fields?: FieldError[] };
  message?: string;
  fields?: { parameter: string; message: string }[];
}

/**
 * What API Gateway and CloudFront answer themselves under `/api`, before any function runs, in their
 * own shape (`{"message": "Unauthorized"}`, no `error`): its JWT authorizer refusing a session token
 * that has expired, a throttled route, a function that failed or timed out. Read as the API's own
 * codes, so that a page says on AWS what it says locally (`Unauthorized` alone told nobody to sign in again).
 */
const GATEWAY_ANSWERS: Partial<Record<number, { code: string; message?: string }>> = {
  401: { code: 'UNAUTHENTICATED' },
  429: { code: 'RATE_LIMITED', message: 'too many requests just now; wait a minute and try again' },
  500: { code: 'UNAVAILABLE', message: 'the Leedz could not answer just now; try again in a moment' },
};

/** Dispatched on `window` when the API answers that the request had no session (a session that ended). */
export const SESSION_ENDED_EVENT = 'leedz:session-ended';

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  // The API takes a change only as JSON (what another site's form cannot send), a body or not.
  if (method === 'POST' || method === 'PATCH') headers['content-type'] = 'application/json';
  if (body !== undefined) init.body = JSON.stringify(body);
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    // Running it is the reader's own business only where the site serves the console (the local server).
    throw new ApiError(0, 'NETWORK', config().operationsConsole ? 'the server cannot be reached; check that it is running' : 'the Leedz cannot be reached; check your connection and try again');
  }
  const text = await response.text();
  let data: unknown;
  try {
    data = text.length === 0 ? undefined : JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const failure = (data ?? {}) as ErrorBody;
    const fields = failure.error?.fields ?? failure.fields?.map((f) => ({ path: f.parameter, message: f.message })) ?? [];
    const gateway = failure.error === undefined && path.startsWith('/api/') ? GATEWAY_ANSWERS[response.status >= 500 ? 500 : response.status] : undefined;
    const message = gateway?.message ?? failure.error?.message ?? failure.message ?? `${response.status} ${response.statusText}`;
    const code = gateway?.code ?? failure.error?.code ?? String(response.status);
    // The page that shows someone signed in hears it (web/app/app.tsx), and says how to sign in again.
    if (code === 'UNAUTHENTICATED') window.dispatchEvent(new Event(SESSION_ENDED_EVENT));
    throw new ApiError(response.status, code, message, fields, data !== undefined);
  }
  return data as T;
}

const prefetched = new Map<string, Promise<unknown>>();

/** Start a GET now; the next `api.get` of the same path takes its answer (once). */
export function prefetch(path: string): void {
  if (prefetched.has(path)) return;
  const pending = request('GET', path);
  pending.catch(() => undefined);
  prefetched.set(path, pending);
}

export const api = {
  get: <T>(path: string): Promise<T> => {
    const pending = prefetched.get(path);
    if (pending === undefined) return request<T>('GET', path);
    prefetched.delete(path);
    return pending as Promise<T>;
  },
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};

/** `/api/leedz/<trade>/<id>` with both parts escaped (trade names have spaces). */
export function leedApiPath(trade: string, id: string): string {
  return `/api/leedz/${encodeURIComponent(trade)}/${encodeURIComponent(id)}`;
}

/** The message to show for any failure. */
export function messageOf(error: unknown): string {
  // The API's words are for API clients ("a valid session token (Authorization: Bearer …)"); a page says what to do.
  if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') return SIGNED_OUT;
  return error instanceof Error ? error.message : String(error);
}

/** What a page says when its session has ended under it (the page's notice above links to the sign-in). */
export const SIGNED_OUT =
  'you are signed out (your session has ended). Sign in again in a new tab (the link at the top of the page), then try once more: what you typed stays on this page';
