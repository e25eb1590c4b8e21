/**
 * The web UI (`web/`): bundled with esbuild when the server starts — in memory, so there is no
 * build command to remember and nothing is written to disk — and served by the same HTTP server:
 * the marketplace at `/` (and its deep links: `/leedz/:trade/:id`, `/receipts/:trade/:id`, …) and
 * the operations console at `/console`.
 *
 * Assets are content-hashed (`/assets/app-3KQ2V7.js`) and served with a year of caching, gzipped
 * once at build time. Pages are small HTML shells that carry the marketplace's rules the browser
 * needs (radius choices, the subscription limit, badge names…) as JSON taken from the domain
 * modules, so the UI cannot disagree with the API and the bundle carries no schema library.
 *
 * @example
 * const app = new Hono();
 * mountWebApp(app, buildWebAssets(), log); // routes now; pages answer when the bundle is built
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import type { Context, Hono } from 'hono';
import { BADGE_NAMES } from '../leedz/domain/badges.js';
import { DEFAULT_VISIBILITY, HIDEABLE_FIELDS, MAX_PRICE_CENTS, MIN_PAID_PRICE_CENTS, TEXT_MAX_LENGTH, TITLE_MAX_LENGTH } from '../leedz/domain/leed.js';
import { PLATFORM_FEE_PERCENT } from '../leedz/domain/money.js';
import { ABOUT_MAX_LENGTH, MAX_SUBSCRIPTIONS, RADIUS_MILES } from '../leedz/domain/user.js';
import type { WebConfig } from '../../web/shared/config.js';
import { APP_PATHS } from './app-paths.js';
import { LAMBDA_API_PATH } from './browser-guards.js';

/** The `web/` folder (sources of the UI). */
export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/** The pages of the UI: each is one entry point of the bundle. */
export type WebEntry = 'app' | 'console';

export interface WebAsset {
  contentType: string;
  body: Uint8Array<ArrayBuffer>;
  /** The same bytes gzipped (level 9), sent to clients that accept gzip. */
  gzip: Uint8Array<ArrayBuffer>;
}

export interface WebAssets {
  /** By file name under `/assets/`. */
  files: ReadonlyMap<string, WebAsset>;
  /** The JS and CSS file names each page loads. */
  entries: Readonly<Record<WebEntry, { js: string; css: string | undefined; imports: string[] }>>;
  /** Milliseconds esbuild took. */
  buildMs: number;
}

const ENTRY_POINTS: Record<WebEntry, string> = {
  app: join(WEB_DIR, 'app', 'main.tsx'),
  console: join(WEB_DIR, 'console', 'main.tsx'),
};

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

let building: Promise<WebAssets> | undefined;

/**
 * The bundle, built once per process (every server of a test run shares it). A failed build is not
 * remembered, so the next call tries again.
 */
export function buildWebAssets(): Promise<WebAssets> {
  building ??= bundle().catch((error: unknown) => {
    building = undefined;
    throw error;
  });
  return building;
}

async function bundle(): Promise<WebAssets> {
  const started = performance.now();
  // `outdir` only names the outputs: with write: false nothing is written.
  const outdir = join(WEB_DIR, '.bundle');
  const result = await build({
    entryPoints: ENTRY_POINTS,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    write: false,
    metafile: true,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    // Evergreen browsers of the last few years (ES2022: class fields, top-level await, `at()`).
    target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(WEB_DIR, 'tsconfig.json'),
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const files = new Map<string, WebAsset>();
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    const extension = name.slice(name.lastIndexOf('.'));
    const body = new Uint8Array(file.contents);
    files.set(name, { contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream', body, gzip: new Uint8Array(gzipSync(body, { level: 9 })) });
  }
  return { files, entries: entriesOf(result.metafile), buildMs: performance.now() - started };
}

function entriesOf(metafile: Metafile): WebAssets['entries'] {
  const entries: Partial<Record<WebEntry, { js: string; css: string | undefined; imports: string[] }>> = {};
  for (const [path, output] of Object.entries(metafile.outputs)) {
    if (output.entryPoint === undefined) continue;
    const entry = (Object.keys(ENTRY_POINTS) as WebEntry[]).find((name) => output.entryPoint!.endsWith(`${name}/main.tsx`));
    if (entry === undefined) continue;
    entries[entry] = {
      js: basename(path),
      css: output.cssBundle === undefined ? undefined : basename(output.cssBundle),
      imports: output.imports.filter((i) => i.kind === 'import-statement').map((i) => basename(i.path)),
    };
  }
  const missing = (Object.keys(ENTRY_POINTS) as WebEntry[]).filter((name) => entries[name] === undefined);
  if (missing.length > 0) throw new Error(`web bundle: no output for ${missing.join(', ')}`);
  return entries as WebAssets['entries'];
}

/** The rules the browser needs, from the domain modules (see web/shared/config.ts). */
export function webConfig(options: { operationsConsole: boolean }): WebConfig {
  return {
    radiusMiles: RADIUS_MILES,
    maxSubscriptions: MAX_SUBSCRIPTIONS,
    badgeNames: BADGE_NAMES,
    hideableFields: HIDEABLE_FIELDS,
    defaultVisibility: { ...DEFAULT_VISIBILITY },
    limits: { title: TITLE_MAX_LENGTH, text: TEXT_MAX_LENGTH, about: ABOUT_MAX_LENGTH, minPaidPriceCents: MIN_PAID_PRICE_CENTS, maxPriceCents: MAX_PRICE_CENTS },
    platformFeePercent: PLATFORM_FEE_PERCENT,
    operationsConsole: options.operationsConsole,
  };
}

/**
 * Mount the assets and the pages on `app`, at once (before the server takes requests: hono builds
 * its matcher on the first request and takes no routes after). They answer once `assets` is built;
 * a failed build is logged and every page answers 500 with esbuild's message.
 */
export function mountWebApp(app: Hono, assets: Promise<WebAssets>, log: (line: string) => void = () => {}): void {
  const config = webConfig({ operationsConsole: true });
  const pages = assets.then((built) => ({
    app: page(renderShell('app', 'The Leedz', built, config)),
    console: page(renderShell('console', 'Operations console · The Leedz', built, config)),
  }));
  pages.catch((error: unknown) => log(`web UI: the bundle did not build: ${(error as Error).message}`));

  app.get('/assets/:file', async (c) => {
    const file = (await assets).files.get(c.req.param('file'));
    if (file === undefined) return c.text('not found', 404);
    const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    const headers: Record<string, string> = {
      'content-type': file.contentType,
      // Names change with the content: a cached copy is never stale.
      'cache-control': 'public, max-age=31536000, immutable',
      vary: 'accept-encoding',
    };
    if (gzip) headers['content-encoding'] = 'gzip';
    return c.body(gzip ? file.gzip : file.body, 200, headers);
  });

  const servePage = (entry: WebEntry, status: 200 | 404 = 200) => async (c: Context) => {
    let html: string;
    let etag: string;
    try {
      ({ html, etag } = (await pages)[entry]);
    } catch (error) {
      return c.text(`The web UI did not build:\n\n${(error as Error).message}`, 500);
    }
    if (status === 200 && c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.html(html, status, status === 200 ? { etag, 'cache-control': 'no-cache' } : { 'cache-control': 'no-cache' });
  };
  for (const path of APP_PATHS) app.get(path, servePage('app'));
  app.get('/console', servePage('console'));
  // A page that does not exist, asked for by a browser: the app's own "Page not found", with its
  // header and a way back, under a 404. Anything else (an API client, an asset) gets a plain 404.
  // On AWS the same page shows under the same 404 (infra/web-site.ts: CloudFront answers every path
  // with index.html, and a viewer-response function sets 404 on a path that is not in APP_PATHS).
  const appNotFound = servePage('app', 404);
  app.notFound((c) => {
    const path = c.req.path;
    const forBrowser = c.req.method === 'GET' && /\btext\/html\b/.test(c.req.header('accept') ?? '') && !/^\/(api|local|assets)(\/|$)/.test(path) && !LAMBDA_API_PATH.test(path);
    return forBrowser ? appNotFound(c) : c.text('404 Not Found', 404);
  });
}

/**
 * The marketplace as static files for a CDN (the CDK stack puts them in S3 behind CloudFront):
 * `index.html` (the app's page, which answers every app path) and `assets/*`. The console is not
 * included: it reads the local runtime's `/local/*` endpoints, which exist only on the local server.
 * Replaces whatever `dir` held.
 */
export async function writeWebSite(dir: string): Promise<{ files: number; bytes: number }> {
  const built = await buildWebAssets();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'assets'), { recursive: true });
  const consoleOnly = new Set([built.entries.console.js, built.entries.console.css].filter((name) => name !== undefined).flatMap((name) => [name, `${name}.map`]));
  let bytes = 0;
  let files = 0;
  for (const [name, file] of built.files) {
    if (consoleOnly.has(name)) continue;
    files += 1;
    writeFileSync(join(dir, 'assets', name), file.body);
    bytes += file.body.byteLength;
  }
  // No console on AWS (it reads the local runtime): the app links to none.
  const html = renderShell('app', 'The Leedz', built, webConfig({ operationsConsole: false }));
  writeFileSync(join(dir, 'index.html'), html);
  return { files: files + 1, bytes: bytes + Buffer.byteLength(html) };
}

function page(html: string): { html: string; etag: string } {
  return { html, etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 16)}"` };
}

/**
 * API calls a page makes first, fetched while its script downloads (`crossorigin="anonymous"` is
 * the credentials mode of the app's same-origin fetch, so the session cookie goes along and the
 * app's own request reuses the response).
 */
const PRELOADS: Partial<Record<WebEntry, string[]>> = { app: ['/api/session', '/api/trades'] };

const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d4ed8"/><text x="16" y="23" font-family="sans-serif" font-size="20" font-weight="700" fill="#fff" text-anchor="middle">L</text></svg>';

function renderShell(entry: WebEntry, title: string, assets: WebAssets, config: WebConfig): string {
  const { js, css, imports } = assets.entries[entry];
  // JSON inside <script>: `<` escaped so that no value can close the element.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${title}</title>
<link rel="icon" href="data:image/svg+xml,${encodeURIComponent(FAVICON)}">
${css === undefined ? '' : `<link rel="stylesheet" href="/assets/${css}">\n`}${(PRELOADS[entry] ?? []).map((path) => `<link rel="preload" as="fetch" href="${path}" crossorigin="anonymous">\n`).join('')}${imports.map((chunk) => `<link rel="modulepreload" href="/assets/${chunk}">\n`).join('')}<script type="module" src="/assets/${js}"></script>
</head>
<body>
<div id="root"></div>
<noscript><p style="padding:1rem">The Leedz needs JavaScript turned on.</p></noscript>
<script type="application/json" id="leedz-config">${json}</script>
</body>
</html>
`;
}
