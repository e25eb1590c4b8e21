import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, defineFunction, type TableAccess } from '../../src/framework/define.js';

const routes = { ping: { payload: z.object({}), handler: () => 'pong' } };
const fn = (table: unknown) => defineFunction('reader', { input: z.object({}), table: table as TableAccess, handler: async () => 'ok' });

describe('a function declares the table actions its code sends (`table`)', () => {
  it('as a list of actions, kept in its settings (the stack turns them into its IAM policy)', () => {
    expect(fn(['get', 'query']).config.table).toEqual(['get', 'query']);
    const writer = defineController('writer', routes, { table: ['get', 'put', 'update', 'delete', 'condition-check'] });
    expect(writer.config.table).toEqual(['get', 'put', 'update', 'delete', 'condition-check']);
    expect(fn(undefined).config.table).toBeUndefined();
  });

  it('refuses an action that is not one, naming the field, the action and the rule', () => {
    expect(() => fn(['get', 'scan'])).toThrow(RangeError);
    expect(() => fn(['get', 'scan'])).toThrow('reader: table lists "scan", which is not a table action: each must be one of "get", "query", "put", "update", "delete", "condition-check"');
    expect(() => defineController('writer', routes, { table: ['PutItem'] as unknown as TableAccess })).toThrow(/^writer: table lists "PutItem", which is not a table action/);
  });

  it('refuses the old levels, an empty list and an action listed twice', () => {
    expect(() => fn('read-write')).toThrow(/^reader: table must be a non-empty list of the table actions the code sends \("get", .*\); leave it out when the code does not use the table$/);
    expect(() => fn([])).toThrow(/reader: table must be a non-empty list/);
    expect(() => fn(['get', 'get'])).toThrow('reader: table lists "get" twice');
  });
});
