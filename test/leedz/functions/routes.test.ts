import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ROUTES } from '../../../src/leedz/functions/routes.js';

/** The query parameters a route takes. */
const queryKeys = (route: (typeof ROUTES)[number]): string[] => (route.query instanceof z.ZodObject ? Object.keys(route.query.shape as object) : []);

describe('the route table', () => {
  it('describes only the query parameters a route takes (the API reference is generated from it)', () => {
    // Parameter names that read as nothing else in a sentence (camelCase: `trades` or `limit` are words too): a description naming one promises it.
    const distinctive = [...new Set(ROUTES.flatMap(queryKeys))].filter((key) => /[A-Z]/.test(key));
    expect(distinctive).toContain('perDay');
    for (const route of ROUTES) {
      const text = `${route.summary} ${route.success.description}`;
      for (const key of distinctive) {
        if (new RegExp(`\\b${key}\\b`).test(text)) expect(queryKeys(route), `${route.function} mentions ${key}`).toContain(key);
      }
    }
  });
});
