/**
 * A readable reference page for the API, generated from the OpenAPI document: one section per
 * operation with its parameters, body schema and responses. Self-contained (no CDN, no scripts).
 */
import type { RouteSpec } from '../leedz/functions/routes.js';

export function renderApiReference(document: Record<string, unknown>, routes: readonly RouteSpec[]): string {
  const paths = document.paths as Record<string, Record<string, { parameters?: { name: string; in: string; required: boolean; schema: unknown }[]; requestBody?: { content: { 'application/json': { schema: unknown } } }; responses: Record<string, { description?: string; $ref?: string }> }>>;
  const sections = routes.map((route) => {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const operation = paths[path]?.[route.method.toLowerCase()];
    const parameters = operation?.parameters ?? [];
    const body = operation?.requestBody?.content['application/json'].schema;
    const auth = { none: 'anyone', optional: 'anyone (signed-in callers may see more)', session: 'signed in (Authorization: Bearer <session token>)', signature: 'the payment provider (signed webhook)' }[route.auth];
    return `<section id="${escape(route.function)}">
  <h2><span class="method ${route.method.toLowerCase()}">${route.method}</span> <code>${escape(path)}</code></h2>
  <p>${escape(route.summary)}. <em>Who:</em> ${escape(auth)}. <em>Function:</em> <code>${escape(route.function)}</code>.</p>
  ${parameters.length === 0 ? '' : `<table><thead><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr></thead><tbody>${parameters
    .map((p) => `<tr><td><code>${escape(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${escape(JSON.stringify(p.schema))}</code></td></tr>`)
    .join('')}</tbody></table>`}
  ${body === undefined ? '' : `<details><summary>Request body (JSON Schema)</summary><pre>${escape(JSON.stringify(body, null, 2))}</pre></details>`}
  <p><em>Success:</em> ${route.success.status} — ${escape(route.success.description)}${route.body || route.query ? '; 400 with <code>{error: {code, message, fields}}</code> naming each bad field' : ''}${route.auth === 'session' ? '; 401 without a valid session' : ''}.</p>
</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>The Leedz API</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1a1a1a}
h1{margin-bottom:0}section{border-top:1px solid #ddd;padding:.5rem 0}h2{font-size:1.1rem}
.method{display:inline-block;min-width:4.5rem;text-align:center;border-radius:4px;color:#fff;padding:0 .4rem;font-size:.9rem}
.get{background:#1f6f43}.post{background:#1d4f91}.patch{background:#7a4b00}.delete{background:#9b1c1c}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
pre{background:#f5f5f5;padding:.5rem;overflow:auto;font-size:.85rem}code{word-break:break-word}
</style></head><body>
<h1>The Leedz API</h1>
<p>JSON over HTTP. Instants are ISO 8601 strings; money is integer cents. Errors are <code>{"error": {"code", "message", "fields"?}}</code>.
The machine-readable document is at <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
<nav><ul>${routes.map((r) => `<li><a href="#${escape(r.function)}">${r.method} ${escape(r.path.replace(/:([A-Za-z]+)/g, '{$1}'))}</a></li>`).join('')}</ul></nav>
${sections.join('\n')}
</body></html>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
