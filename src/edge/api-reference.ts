/**
 * The API reference page (`/api/docs`), generated from the OpenAPI document, which is generated from
 * the route table: one section per operation with its parameters, request and response as tables of
 * fields (named types linked to their own section, never 300-character patterns), an example of each,
 * and the errors it can return. Self-contained: no CDN, no script; its one stylesheet is allowed by
 * hash in its own Content-Security-Policy ({@link API_REFERENCE_HEADERS}).
 *
 * Served by the local server and, on AWS, by the API's front function through API Gateway's
 * catch-all route (src/lambda/http-handler.ts), at the same two paths.
 *
 * @example
 * mountApiReference(app, 'http://127.0.0.1:3000'); // GET /api/docs and GET /api/openapi.json
 */
import type { Hono } from 'hono';
import { styledPageHeaders } from './content-security-policy.js';
import { EXAMPLES, routeErrors } from '../leedz/functions/api-docs.js';
import { openApiDocument, ROUTES, type RouteSpec } from '../leedz/functions/routes.js';

type Json = Record<string, unknown>;

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;max-width:62rem;margin:0 auto;padding:1rem;color:#1a1a1a}
h1{margin-bottom:.25rem}h2{font-size:1.15rem;margin:1.5rem 0 .25rem}h3{font-size:1rem;margin:1rem 0 .25rem}
section{border-top:1px solid #ddd;padding:.25rem 0 .75rem}
.method{display:inline-block;min-width:4.5rem;text-align:center;border-radius:4px;color:#fff;padding:0 .4rem;font-size:.9rem;font-weight:700}
.get{background:#1f6f43}.post{background:#1d4f91}.patch{background:#7a4b00}.delete{background:#9b1c1c}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.25rem 0}
td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f5f5f5}
td:first-child{white-space:nowrap}
pre{background:#f5f5f5;padding:.5rem;overflow:auto;font-size:.85rem;margin:.25rem 0}
code{word-break:break-word;font-size:.9em}
.muted{color:#555}.toc{columns:2;column-gap:2rem;padding-left:1.2rem}
@media (max-width:640px){.toc{columns:1}td:first-child{white-space:normal}}
a:focus-visible{outline:3px solid #1d4f91;outline-offset:2px}
`;

/** The headers the page is sent with: the site's, its policy allowing its one stylesheet by hash (and no script of its own). */
export const API_REFERENCE_HEADERS: Readonly<Record<string, string>> = styledPageHeaders(STYLE);

/** The reference page (`/api/docs`) and the OpenAPI document (`/api/openapi.json`) of {@link ROUTES}, naming `publicUrl` as the server. */
export function mountApiReference(app: Hono, publicUrl: string): void {
  app.get('/api/openapi.json', (c) => c.json(openApiDocument(publicUrl)));
  app.get('/api/docs', (c) => c.html(renderApiReference(openApiDocument(publicUrl), ROUTES), 200, { ...API_REFERENCE_HEADERS }));
}

const WHO: Record<RouteSpec['auth'], string> = {
  none: 'anyone',
  optional: 'anyone; a signed-in caller may get more',
  session: 'signed in: the session cookie, or Authorization: Bearer <session token>',
  signature: 'the payment provider: a signed webhook',
};

export function renderApiReference(document: Json, routes: readonly RouteSpec[]): string {
  const paths = document.paths as Record<string, Record<string, Json>>;
  const types = ((document.components as Json).schemas ?? {}) as Record<string, Json>;
  const sections = routes.map((route) => {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const operation = paths[path]?.[route.method.toLowerCase()] ?? {};
    const parameters = (operation.parameters ?? []) as { name: string; in: string; required: boolean; schema: Json }[];
    const body = ((operation.requestBody as Json | undefined)?.content as Record<string, Json> | undefined)?.['application/json']?.schema as Json | undefined;
    const success = (operation.responses as Record<string, Json>)[route.success.status];
    const response = ((success?.content as Record<string, Json> | undefined)?.['application/json']?.schema) as Json | undefined;
    const example = EXAMPLES[route.function] ?? {};
    const query = parameters.filter((p) => p.in === 'query');
    const requestExample =
      example.query !== undefined ? `${route.method} ${path}?${new URLSearchParams(example.query)}` : query.length > 0 ? `${route.method} ${path}?${query.filter((p) => p.required).map((p) => `${p.name}=${encodeURIComponent(String(exampleOf(p.schema, types, p.name)))}`).join('&')}` : undefined;
    return `<section id="${escape(route.function)}" aria-labelledby="${escape(route.function)}-title">
<h2 id="${escape(route.function)}-title"><span class="method ${route.method.toLowerCase()}">${route.method}</span> <code>${escape(path)}</code></h2>
<p>${escape(route.summary)}.</p>
<p class="muted"><strong>Who:</strong> ${escape(WHO[route.auth])}. <strong>Function:</strong> <code>${escape(route.function)}</code>.</p>
${parameters.length === 0 ? '' : `<h3>Parameters</h3>
<table><thead><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>notes</th></tr></thead><tbody>
${parameters.map((p) => `<tr><td><code>${escape(p.name)}</code></td><td>${p.in}</td><td>${typeOf(p.schema)}</td><td>${p.required ? 'yes' : 'no'}</td><td>${notesOf(p.schema)}</td></tr>`).join('\n')}
</tbody></table>`}
${requestExample === undefined ? '' : `<pre><code>${escape(requestExample)}</code></pre>`}
${body === undefined ? '' : `<h3>Request body (JSON)</h3>
${fieldsTable(body, types)}
<pre><code>${escape(JSON.stringify(example.body ?? exampleOf(body, types), null, 2))}</code></pre>`}
<h3>Response: ${route.success.status}</h3>
${response === undefined ? `<p>${escape(route.success.description)}.</p>` : `${fieldsTable(response, types)}
<pre><code>${escape(JSON.stringify(example.response ?? exampleOf(response, types), null, 2))}</code></pre>`}
<h3>Errors</h3>
<table><thead><tr><th>status</th><th>code</th><th>when</th></tr></thead><tbody>
${routeErrors(route).map((e) => `<tr><td>${e.status}</td><td><code>${e.code}</code></td><td>${inlineCode(e.when)}</td></tr>`).join('\n')}
</tbody></table>
</section>`;
  });
  const typeSections = Object.entries(types).map(
    ([name, schema]) => `<section id="type-${escape(name)}" aria-labelledby="type-${escape(name)}-title">
<h2 id="type-${escape(name)}-title">${escape(name)}</h2>
${fieldsTable(schema, types)}
</section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>The Leedz API</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style></head><body>
<main>
<h1>The Leedz API</h1>
<p>JSON over HTTP. Instants are ISO 8601 strings (<code>2027-01-10T00:00:00Z</code>); a leed's start and end may also be sent as the time where the gig is, without an offset (<code>2027-01-09T18:00</code>). Money is integer cents. Signed-in calls carry the session: the <code>leedz_session</code> cookie, or <code>Authorization: Bearer &lt;token&gt;</code> with the token <code>POST /api/auth/callback</code> returns. A change (POST, PATCH) is sent as <code>Content-Type: application/json</code>. Every error is an <a href="#type-Error">Error</a>: <code>{"error": {"code", "message", "fields"?}}</code>.</p>
<p>The machine-readable document is <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
<nav aria-label="Operations"><h2>Operations</h2><ul class="toc">${routes.map((r) => `<li><a href="#${escape(r.function)}">${r.method} ${escape(r.path.replace(/:([A-Za-z]+)/g, '{$1}'))}</a></li>`).join('')}</ul>
<h2>Types</h2><ul class="toc">${Object.keys(types).map((name) => `<li><a href="#type-${escape(name)}">${escape(name)}</a></li>`).join('')}</ul></nav>
${sections.join('\n')}
${typeSections.join('\n')}
</main>
</body></html>`;
}

// ── JSON Schema as tables ──────────────────────────────────────────────────────────────────────────

interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  notes: string;
}

function fieldsTable(schema: Json, types: Record<string, Json>): string {
  const rows = fieldRows(schema, '', types);
  if (rows.length === 0) return `<p>${typeOf(schema)}${notesOf(schema) === '' ? '' : ` — ${notesOf(schema)}`}</p>`;
  return `<table><thead><tr><th>field</th><th>type</th><th>required</th><th>notes</th></tr></thead><tbody>
${rows.map((r) => `<tr><td><code>${escape(r.name)}</code></td><td>${r.type}</td><td>${r.required ? 'yes' : 'no'}</td><td>${r.notes}</td></tr>`).join('\n')}
</tbody></table>`;
}

/** The fields of an object schema, nested objects as `parent.child`; a union of objects, each variant's. */
function fieldRows(schema: Json, prefix: string, types: Record<string, Json>): FieldRow[] {
  const variants = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (variants !== undefined && variants.every((v) => v.type === 'object')) {
    return variants.flatMap((variant, i) => fieldRows(variant, prefix, types).map((row) => ({ ...row, notes: `${i === 0 ? 'either' : 'or'}: ${row.notes}` })));
  }
  const properties = schema.properties as Record<string, Json> | undefined;
  if (properties === undefined) return [];
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).flatMap(([name, property]) => {
    const row: FieldRow = { name: `${prefix}${name}`, type: typeOf(property), required: required.has(name), notes: notesOf(property) };
    const nested = property.type === 'object' && property.properties !== undefined ? fieldRows(property, `${prefix}${name}.`, types) : [];
    return [row, ...nested];
  });
}

/** A schema's type for people: `string (email)`, `array of <a>Trade</a>`, `"open" | "closed"`. */
function typeOf(schema: Json | undefined): string {
  if (schema === undefined) return 'any';
  const ref = schema.$ref as string | undefined;
  if (ref !== undefined) {
    const name = ref.split('/').pop()!;
    return `<a href="#type-${escape(name)}">${escape(name)}</a>`;
  }
  if (schema.const !== undefined) return `<code>${escape(JSON.stringify(schema.const))}</code>`;
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((v) => `<code>${escape(JSON.stringify(v))}</code>`).join(' | ');
  const variants = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (variants !== undefined) return [...new Set(variants.map(typeOf))].join(' or ');
  const type = schema.type;
  if (Array.isArray(type)) return type.map((t) => typeOf({ ...schema, type: t })).join(' or ');
  if (type === 'array') return `array of ${typeOf(schema.items as Json | undefined)}`;
  if (type === 'string' && typeof schema.format === 'string') return `string (${escape(schema.format)})`;
  if (type === 'object' && schema.properties === undefined) return schema.additionalProperties === undefined ? 'object' : `object of ${typeOf(schema.additionalProperties as Json)}`;
  return typeof type === 'string' ? type : 'any';
}

/** Limits, defaults and descriptions, in words; a pattern only when it is short enough to read. */
function notesOf(schema: Json): string {
  const variants = ((schema.anyOf ?? schema.oneOf) as Json[] | undefined)?.filter((v) => v.type !== 'null');
  if (variants !== undefined) {
    const own = typeof schema.description === 'string' ? [inlineCode(schema.description)] : [];
    return [...new Set([...own, ...variants.map(notesOf).filter((n) => n !== '')])].join('; or ');
  }
  const notes: string[] = [];
  if (typeof schema.description === 'string') notes.push(inlineCode(schema.description));
  const min = schema.minLength as number | undefined;
  const max = schema.maxLength as number | undefined;
  if (min !== undefined && max !== undefined) notes.push(min === max ? `${min} characters` : `${min}–${max} characters`);
  else if (max !== undefined) notes.push(`at most ${max} characters`);
  else if (min !== undefined && min > 0) notes.push(`at least ${min} character${min === 1 ? '' : 's'}`);
  const low = (schema.minimum ?? schema.exclusiveMinimum) as number | undefined;
  const high = (schema.maximum ?? schema.exclusiveMaximum) as number | undefined;
  const realHigh = high !== undefined && high < Number.MAX_SAFE_INTEGER ? high : undefined;
  const realLow = low !== undefined && low > Number.MIN_SAFE_INTEGER ? low : undefined;
  if (realLow !== undefined && realHigh !== undefined) notes.push(`${realLow} to ${realHigh}`);
  else if (realLow !== undefined) notes.push(`${schema.exclusiveMinimum !== undefined ? 'above' : 'at least'} ${realLow}`);
  else if (realHigh !== undefined) notes.push(`at most ${realHigh}`);
  if (typeof schema.maxItems === 'number') notes.push(`at most ${schema.maxItems} items`);
  if (typeof schema.pattern === 'string' && schema.pattern.length <= 40 && schema.format === undefined) notes.push(`matches <code>${escape(schema.pattern)}</code>`);
  if (schema.default !== undefined) notes.push(`default <code>${escape(JSON.stringify(schema.default))}</code>`);
  return notes.join('; ');
}

// ── examples from a schema, where none is written by hand ─────────────────────────────────────────

const SAMPLE_STRINGS: Record<string, string> = {
  trade: 'dj',
  trades: 'dj,caricatures',
  zip: '62701',
  id: 'l_Zp3Yw2',
  title: 'Wedding needs a DJ',
  creator: 'pat',
  username: 'pat',
  buyer: 'sam',
  reporter: 'sam',
  location: '123 Main Street, Springfield, IL 62701',
  timeZone: 'America/Chicago',
  when: 'Sat, Jan 9, 2027, 6:00 PM – 11:00 PM CST',
  clientPhone: '5551234567',
  details: 'Two sets, first dance at 7',
  requirements: 'Own speakers and lights',
  website: 'https://pat.example.com',
  about: 'Weddings and parties in central Illinois.',
  message: 'a message for people',
  code: 'VALIDATION',
  path: 'title',
  token: 'eyJhbGciOi…',
  color: '#29335c',
  file: 'kR3…(43 characters).ics',
};

function exampleOf(schema: Json | undefined, types: Record<string, Json>, name = '', depth = 0): unknown {
  if (schema === undefined || depth > 6) return null;
  const ref = schema.$ref as string | undefined;
  if (ref !== undefined) return exampleOf(types[ref.split('/').pop()!], types, name, depth + 1);
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const variants = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (variants !== undefined) return exampleOf(variants.find((v) => v.type !== 'null') ?? variants[0], types, name, depth + 1);
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Json>;
      return Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, exampleOf(property, types, key, depth + 1)]));
    }
    case 'array':
      return [exampleOf(schema.items as Json | undefined, types, name, depth + 1)];
    case 'integer':
    case 'number':
      return name === 'price' ? 2500 : name === 'radius' ? 20 : typeof schema.minimum === 'number' && schema.minimum > 0 ? schema.minimum : 0;
    case 'boolean':
      return true;
    case 'string':
      if (schema.format === 'date-time') return name === 'end' ? '2027-01-10T05:00:00.000Z' : '2027-01-10T00:00:00.000Z';
      if (schema.format === 'email') return name === 'clientEmail' ? 'bride@example.com' : 'pat@example.com';
      if (schema.format === 'uri') return 'https://leedz.example.com/…';
      return SAMPLE_STRINGS[name] ?? (name === '' ? 'text' : `${name}…`);
    default:
      return null;
  }
}

/** `backticks` in a sentence as code; the rest escaped. */
function inlineCode(text: string): string {
  return escape(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
