/**
 * What would make CloudFormation replace the marketplace's table or its user pool, pinned. Both are
 * retained and deletion-protected, which keeps the old one when it is replaced but does not stop the
 * replacement: CloudFormation creates the new resource first, points everything that refers to it
 * there, and leaves the old one outside the stack
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatereplacepolicy.html).
 * The names are generated, so nothing collides and the deploy succeeds: the app starts over on an
 * empty table, or a pool with no users. The pinned values are written out here, never read from the
 * code, so that a change there fails here before it reaches a deploy.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LeedzStack } from '../../infra/leedz-stack.js';
import { testApp } from '../helpers/cdk-app.js';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };

let resources: Record<string, Resource>;

beforeAll(() => {
  const stack = new LeedzStack(testApp(), 'Leedz', { mailFrom: 'no-reply@leedz.io', adminEmail: 'ops@leedz.io', lambdaConcurrency: 1000 });
  resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
}, 60_000);

/** The retained resources of a type: the ones that hold the marketplace's data. */
function retained(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type && r.DeletionPolicy === 'Retain');
}

/** The message of a failed pin: what the change would do, and what to do instead. */
function replaces(what: string, resource: 'table' | 'user pool'): string {
  const instead =
    resource === 'table'
      ? 'add the new table beside this one (a new construct id), copy the items into it with a migration, switch the Lambdas to it, and only then remove the old one'
      : 'add the new pool beside this one, create each user again in it (AdminCreateUser with the email and the username attribute: nobody has a password to carry), switch the app client and the Lambdas to it, and only then remove the old one';
  return (
    `${what} changed: the next deploy would replace the ${resource}. CloudFormation keeps the old one (RETAIN), out of the stack, ` +
    `but creates an empty one and switches every Lambda to it: the marketplace would start over with ${resource === 'table' ? 'no data' : 'no users'}. ` +
    `Instead, ${instead} (README: "Changing the table or the user pool"). Update this pin only with that migration.`
  );
}

describe('what would replace the marketplace table', () => {
  it('its logical id', () => {
    expect(retained('AWS::DynamoDB::GlobalTable').map(([id]) => id), replaces('The table’s logical id', 'table')).toEqual(['TableCD117FA1']);
  });

  it('its key schema and the keys’ types', () => {
    const [, table] = retained('AWS::DynamoDB::GlobalTable')[0]!;
    const keys = (table.Properties.KeySchema as { AttributeName: string; KeyType: string }[]).map((key) => ({
      ...key,
      type: (table.Properties.AttributeDefinitions as { AttributeName: string; AttributeType: string }[]).find((a) => a.AttributeName === key.AttributeName)?.AttributeType,
    }));
    expect(keys, replaces('The table’s key schema', 'table')).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH', type: 'S' },
      { AttributeName: 'SK', KeyType: 'RANGE', type: 'S' },
    ]);
  });

  it('a name of its own, or local secondary indexes (neither can change on a table)', () => {
    const [, table] = retained('AWS::DynamoDB::GlobalTable')[0]!;
    expect(table.Properties.TableName, replaces('The table’s name', 'table')).toBeUndefined();
    expect(table.Properties.LocalSecondaryIndexes, replaces('The table’s local secondary indexes', 'table')).toBeUndefined();
  });
});

describe('what would replace the user pool', () => {
  it('its logical id', () => {
    expect(retained('AWS::Cognito::UserPool').map(([id]) => id), replaces('The user pool’s logical id', 'user pool')).toEqual(['Users0A0EEA89']);
  });

  it('its schema attributes (Cognito never changes or removes one of a pool: https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-updating.html)', () => {
    const [, pool] = retained('AWS::Cognito::UserPool')[0]!;
    expect(pool.Properties.Schema, replaces('The user pool’s schema attributes', 'user pool')).toEqual([
      { Mutable: true, Name: 'email', Required: true },
      { AttributeDataType: 'String', Mutable: true, Name: 'username', StringAttributeConstraints: { MaxLength: '64' } },
    ]);
  });

  it('how users sign in, and a name of its own (both fixed when a pool is created)', () => {
    const [, pool] = retained('AWS::Cognito::UserPool')[0]!;
    const fixed = { UsernameAttributes: pool.Properties.UsernameAttributes, AliasAttributes: pool.Properties.AliasAttributes, UsernameConfiguration: pool.Properties.UsernameConfiguration, UserPoolName: pool.Properties.UserPoolName };
    expect(fixed, replaces('How the user pool’s users sign in, or its name,', 'user pool')).toEqual({ UsernameAttributes: ['email'], AliasAttributes: undefined, UsernameConfiguration: undefined, UserPoolName: undefined });
  });
});
