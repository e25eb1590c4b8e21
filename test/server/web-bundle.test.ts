/**
 * The web app's weight, as a browser downloads it: each page's script, the chunks it imports and
 * its stylesheet, gzipped as the server sends them. A budget, about a tenth over what the two pages
 * weigh today (the marketplace 31.3 KB, the console 23.2 KB): a change that makes a page much
 * heavier fails here and has to say why, instead of being found later in `npm run bench` (web).
 */
import { describe, expect, it } from 'vitest';
import { buildWebAssets, type WebEntry } from '../../src/server/web-assets.js';

const BUDGET_KB: Record<WebEntry, number> = { app: 35, console: 26 };

describe('the web bundle', () => {
  it.each(Object.entries(BUDGET_KB) as [WebEntry, number][])('the %s page downloads at most its budget (%i KB gzip), everything it loads counted', async (entry, budget) => {
    const assets = await buildWebAssets();
    const { js, css, imports } = assets.entries[entry];
    const files = [js, ...imports, ...(css === undefined ? [] : [css])];
    const gzipBytes = files.reduce((sum, name) => sum + assets.files.get(name)!.gzip.length, 0);
    expect(files.every((name) => assets.files.has(name))).toBe(true);
    expect(gzipBytes / 1024).toBeLessThanOrEqual(budget);
    // More than a stub: the page's own code is in it.
    expect(gzipBytes / 1024).toBeGreaterThan(budget / 3);
  });

  it('ships no Node.js module and no source inlined in its scripts (maps are files of their own)', async () => {
    const assets = await buildWebAssets();
    for (const [name, file] of assets.files) {
      if (!name.endsWith('.js')) continue;
      const text = new TextDecoder().decode(file.body);
      expect(text, name).not.toMatch(/from\s*["']node:/);
      expect(text, name).not.toContain('sourceMappingURL=data:');
    }
  });
});
