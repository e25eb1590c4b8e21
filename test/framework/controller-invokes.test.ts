import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController } from '../../src/framework/define.js';

const routes = { ping: { payload: z.object({}), handler: () => 'pong' } };

describe('a controller declares what it invokes', () => {
  it('by name, so a controller that fans out can name itself while it is being defined', () => {
    const fanOut = defineController('fanOut', routes, { timeoutSeconds: 30, invokes: ['fanOut', 'bookkeeping'] });
    expect(fanOut.invokes).toEqual(['fanOut', 'bookkeeping']);
    // The declaration is the IAM policy's business, not one of Lambda's settings.
    expect(fanOut.config).toEqual({ timeoutSeconds: 30 });
  });

  it('invokes nothing unless it says so', () => {
    expect(defineController('quiet', routes).invokes).toEqual([]);
  });

  it('refuses a name Lambda would refuse', () => {
    expect(() => defineController('bad', routes, { invokes: ['no spaces allowed'] })).toThrow(/must be 1–64 letters/);
  });
});
