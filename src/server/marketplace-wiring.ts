/**
 * The marketplace's composition root on one machine: one adapter per port (SQLite store, outbox
 * mailer plus SMTP when configured, ZIP geocoder, local identity, local payments), the outbox relay,
 * and the HTTP routes that only this server has (the dev outbox, the local checkout page, the API
 * reference).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono, MiddlewareHandler } from 'hono';
import { createOutboxMailer } from '../adapters/mailer/outbox/outbox-mailer.js';
import { createSmtpMailer, createTeeMailer } from '../adapters/mailer/smtp/smtp-mailer.js';
import { createZipGeocoder, zipGeocoderPlaceKey } from '../adapters/geocoder/zip/zip-geocoder.js';
import { createLocalIdentity } from '../adapters/identity/local/local-identity.js';
import { createLocalPayments, type LocalPayments, renderCheckoutPage } from '../adapters/payments/local/local-payments.js';
import { createSqliteIdempotencyStore } from '../adapters/idempotency/sqlite-idempotency-store.js';
import { createSqliteStore, type SqliteStore } from '../adapters/store/sqlite/sqlite-store.js';
import { createIdempotency } from '../framework/idempotency.js';
import { requestBody } from '../runtime/access.js';
import type { Transport } from '../framework/transport.js';
import { DEFAULT_SETTINGS, type MarketplaceDeps } from '../leedz/deps.js';
import { createMarketplace, type Marketplace } from '../leedz/marketplace.js';
import { EMAIL_KINDS, isEmailKind } from '../leedz/emails/kinds.js';
import { invalid, MAX_BODY_BYTES, notFound, problem, type HttpResult } from '../leedz/functions/http.js';
import { createOutboxRelay, type OutboxRelay } from '../leedz/outbox-relay.js';
import { DEFAULT_RETENTION, type Housekeeping } from '../runtime/local-runtime.js';
import { mountApiRoutes } from './api-routes.js';
import { DEFAULT_EMAILS_KEPT, marketplaceHousekeeping } from './marketplace-housekeeping.js';
import { bodyTooLarge, contentTypeRefusal, parseJsonBody, respond } from '../edge/api-app.js';
import { mountApiReference } from '../edge/api-reference.js';

export interface MarketplaceWiringOptions {
  dataDir: string;
  durability: 'process-crash' | 'power-loss';
  publicUrl: string;
  adminEmail: string;
  smtpUrl?: string;
  mailFrom: string;
  now?: () => Date;
  log: (line: string) => void;
  /** What the dev email outbox keeps (default: a week, and 100,000 emails). */
  emailsKept?: { maxAgeHours: number; maxEmails: number };
}

export interface MarketplaceWiring {
  marketplace: Marketplace;
  deps: MarketplaceDeps;
  store: SqliteStore;
  outbox: ReturnType<typeof createOutboxMailer>;
  payments: ReturnType<typeof createLocalPayments>;
  relay: OutboxRelay;
  /** Expired records and old emails, deleted with the runtime's retention (`runtime.addHousekeeping`). */
  housekeeping: Housekeeping;
  /**
   * Mount the API and the local-only pages; `transport` is how routes reach the functions, and
   * `operatorOnly` guards the dev outbox (the operator's session or the runtime's signature).
   */
  mount(app: Hono, transport: Transport, operatorOnly: MiddlewareHandler): void;
  /** Start the relay (after the runtime has started). */
  start(transport: Transport): void;
  close(): Promise<void>;
}

export function wireMarketplace(options: MarketplaceWiringOptions): MarketplaceWiring {
  mkdirSync(options.dataDir, { recursive: true });
  let relay: OutboxRelay | undefined;
  const store = createSqliteStore({
    path: join(options.dataDir, 'leedz.db'),
    durability: options.durability,
    onOutboxWrite: () => relay?.nudge(),
    placeKeyOf: zipGeocoderPlaceKey,
  });
  const outbox = createOutboxMailer({ db: store.db });
  const smtp = options.smtpUrl === undefined ? undefined : createSmtpMailer({ url: options.smtpUrl, from: options.mailFrom });
  // Every email is kept in the outbox (the dev listing and the tests read it); SMTP sends it too when
  // configured, and the outbox notes what the SMTP server made of it.
  const mailer = smtp === undefined ? outbox : createTeeMailer(outbox, outbox.noting(smtp));
  const idempotencyStore = createSqliteIdempotencyStore(store.db);
  const payments = createLocalPayments({ db: store.db, baseUrl: options.publicUrl, webhookSecret: loadOrCreateSecret(join(options.dataDir, 'keys', 'webhook-secret')) });
  const deps: MarketplaceDeps = {
    store,
    mailer,
    geocoder: createZipGeocoder(),
    identity: createLocalIdentity({ db: store.db, keyDir: join(options.dataDir, 'keys') }),
    payments,
    idempotency: createIdempotency({ store: idempotencyStore, scope: 'leedz', expiresAfterSeconds: 7 * 24 * 3600 }),
    now: options.now ?? (() => new Date()),
    settings: { ...DEFAULT_SETTINGS, publicUrl: options.publicUrl, adminEmail: options.adminEmail },
  };
  const marketplace = createMarketplace(deps);

  return {
    marketplace,
    deps,
    store,
    outbox,
    payments,
    housekeeping: marketplaceHousekeeping({
      store,
      idempotency: idempotencyStore,
      emails: outbox,
      kept: options.emailsKept ?? { maxAgeHours: DEFAULT_RETENTION.maxAgeHours, maxEmails: DEFAULT_EMAILS_KEPT },
    }),
    get relay() {
      if (relay === undefined) throw new Error('the relay starts with start()');
      return relay;
    },
    mount(app, transport, operatorOnly) {
      mountApiRoutes(app, { transport, identity: deps.identity, allowedOrigins: [new URL(options.publicUrl).origin], log: options.log });
      mountApiReference(app, options.publicUrl);
      // Development only: the emails the marketplace "sent", as their recipients would see them. They
      // hold sign-in links, so only the operator reads them.
      app.use('/api/dev/*', operatorOnly);
      app.get('/api/dev/outbox', (c) => {
        const rawLimit = c.req.query('limit');
        const limit = rawLimit === undefined ? 100 : Number(rawLimit);
        const to = c.req.query('to');
        const kind = c.req.query('kind');
        const fields = [
          ...(Number.isInteger(limit) && limit >= 1 && limit <= 10_000 ? [] : [{ path: 'limit', message: 'must be a whole number from 1 to 10000' }]),
          ...(kind === undefined || kind === '' || isEmailKind(kind) ? [] : [{ path: 'kind', message: `must be one of ${EMAIL_KINDS.join(', ')}` }]),
        ];
        if (fields.length > 0) return respond(invalid(fields));
        const filter: Parameters<typeof outbox.listEmails>[0] = { limit };
        if (to) filter.to = to;
        if (kind) filter.kind = kind;
        return c.json({ emails: outbox.listEmails(filter), total: outbox.countEmails({ ...(to ? { to } : {}), ...(kind ? { kind } : {}) }) });
      });
      app.get('/api/dev/outbox/:id', (c) => {
        const email = outbox.getEmail(c.req.param('id'));
        if (email === undefined) return respond(notFound('email'));
        if (c.req.query('format') !== 'html') return c.json(email);
        // Shown in the console's frame, as a mail client would: its own inline styles, no scripts, links open the top window.
        return c.html(framedEmail(email.html), 200, {
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; frame-ancestors 'self'; sandbox allow-top-navigation-by-user-activation",
          'x-frame-options': 'SAMEORIGIN',
        });
      });
      mountLocalCheckout(app, payments);
      mountModeration(app, transport, operatorOnly);
    },
    start(transport) {
      relay = createOutboxRelay({ store, transport, onError: (error) => options.log(`outbox relay: ${(error as Error).message}`) });
      relay.start();
    },
    async close() {
      await relay?.stop();
      smtp?.close();
      store.close();
    },
  };
}

/** An email's HTML with `<base target="_top">`, so its links open in the console's window. */
function framedEmail(html: string): string {
  const base = '<base target="_top">';
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => head + base) : base + html;
}

/**
 * The operator's moderation endpoints, for the console's Reports tab: behind the operator's session
 * (or the runtime's signature), exactly as the dev outbox. They invoke the moderation functions
 * through the runtime, so each decision is in the invocation log. Not on AWS: there is no console.
 *
 * - `GET /api/ops/reports?which=open|closed`: reports with their leed.
 * - `POST /api/ops/reports/{id}/resolve {action: 'dismiss' | 'take-down'}`.
 */
export function mountModeration(app: Hono, transport: Transport, operatorOnly: MiddlewareHandler): void {
  app.use('/api/ops/*', operatorOnly);
  const call = async (name: string, input: unknown) => {
    const invocation = await transport.invoke(name, input, 'RequestResponse');
    if (invocation.functionError !== undefined) return respond(problem('INTERNAL', 'the moderation function failed; see its invocation in the console'));
    return respond(invocation.payload as HttpResult);
  };
  app.get('/api/ops/reports', (c) => call('listReports', { which: c.req.query('which') === 'closed' ? 'closed' : 'open' }));
  app.post('/api/ops/reports/:id/resolve', async (c) => {
    const refused = contentTypeRefusal(c);
    if (refused !== undefined) return respond(refused);
    // A signed request's body was read by the signature check; the console's (a session) is read here. The API's cap either way.
    const bytes = await requestBody(c);
    if (bytes === undefined || bytes.length > MAX_BODY_BYTES) return respond(bodyTooLarge());
    const parsed = parseJsonBody(bytes);
    if ('status' in parsed) return respond(parsed);
    const action = (parsed.body as { action?: unknown } | null | undefined)?.action;
    if (action !== 'dismiss' && action !== 'take-down') return respond(invalid([{ path: 'action', message: 'must be "dismiss" or "take-down"' }]));
    return call('resolveReport', { id: c.req.param('id'), action });
  });
}

/**
 * The local payment provider's checkout page, whose Pay button takes the payment and delivers the
 * signed webhook through the public route, exactly as a provider would, signature and all.
 */
export function mountLocalCheckout(app: Hono, payments: LocalPayments): void {
  app.get('/pay/checkout/:id', (c) => {
    const checkout = payments.getCheckout(c.req.param('id'));
    if (checkout === undefined) return c.text('checkout not found', 404);
    // A provider's own page with its own inline style and nothing else: no script may run, no other site may frame it.
    return c.html(renderCheckoutPage(checkout), 200, {
      'content-security-policy': "default-src 'none'; script-src 'none'; object-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'same-origin',
    });
  });
  app.post('/pay/checkout/:id/complete', async (c) => {
    const checkout = payments.getCheckout(c.req.param('id'));
    if (checkout === undefined) return c.text('checkout not found', 404);
    const webhook = payments.completeCheckout(checkout.id);
    // Through the server's own routes, under the host this request came to (the server checks it).
    const response = await app.request('/api/payments/webhook', {
      method: 'POST',
      headers: { host: c.req.header('host') ?? 'localhost', 'content-type': 'application/json', ...webhook.headers },
      body: webhook.body,
    });
    if (!response.ok) return c.text(`the payment was taken but the webhook failed (${response.status}); it will show up as unpaid`, 502);
    return c.redirect(checkout.returnUrl, 303);
  });
}

/** A random secret kept in a file of the data folder (created on first use, readable by its owner only). */
export function loadOrCreateSecret(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(join(path, '..'), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}
