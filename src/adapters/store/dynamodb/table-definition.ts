/**
 * The DynamoDB store's one table, as data: keys, secondary indexes, the TTL attribute and the stream.
 * The CDK stack and the tests both build the table from this, so the table the code is tested against
 * is the table that is deployed. `TABLE-DESIGN.md` beside this file explains every key.
 *
 * Only types are imported from the SDK: the CDK app can read this module without bundling a client.
 *
 * @example
 * // a test or a script, against DynamoDB Local
 * await client.send(new CreateTableCommand(leedzTableInput('leedz-test-1')));
 * await client.send(new UpdateTimeToLiveCommand({ TableName: 'leedz-test-1', TimeToLiveSpecification: { AttributeName: LEEDZ_TABLE.timeToLiveAttribute, Enabled: true } }));
 *
 * // the CDK stack
 * new dynamodb.TableV2(this, 'Leedz', {
 *   partitionKey: { name: LEEDZ_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
 *   sortKey: { name: LEEDZ_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
 *   timeToLiveAttribute: LEEDZ_TABLE.timeToLiveAttribute,
 *   dynamoStream: dynamodb.StreamViewType.NEW_IMAGE,
 *   globalSecondaryIndexes: LEEDZ_TABLE.globalSecondaryIndexes.map((gsi) => ({ indexName: gsi.name, … })),
 * });
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** A global secondary index of the table: string keys, and what it copies from the item. */
export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
  /** `ALL`: queries read whole items from the index; `INCLUDE`: only the keys and `nonKeyAttributes`. */
  projection: { type: 'ALL' } | { type: 'INCLUDE'; nonKeyAttributes: readonly string[] };
}

/** The table's shape; every key attribute is a string. */
export interface TableDefinition {
  partitionKey: string;
  sortKey: string;
  globalSecondaryIndexes: readonly IndexDefinition[];
  /** Epoch seconds after which DynamoDB may delete the item (lazily: within days, not at once). */
  timeToLiveAttribute: string;
  /** What the stream carries, for the outbox relay: the new image of every written item. */
  streamViewType: 'NEW_IMAGE';
  billingMode: 'PAY_PER_REQUEST';
}

/** The month search: active leedz by `LEEDZ#<trade>#<yyyy-mm>`, sorted by `<start>#<id>`. Sparse. */
export const SEARCH_INDEX = 'search';

/** Undispatched outbox messages, oldest first. Sparse: dispatching removes the keys. */
export const PENDING_OUTBOX_INDEX = 'pending-outbox';

export const LEEDZ_TABLE: TableDefinition = {
  partitionKey: 'PK',
  sortKey: 'SK',
  globalSecondaryIndexes: [
    // Projects ALL: a search answers from the index alone, one request per trade and month.
    { name: SEARCH_INDEX, partitionKey: 'searchPK', sortKey: 'searchSK', projection: { type: 'ALL' } },
    {
      name: PENDING_OUTBOX_INDEX,
      partitionKey: 'pendingPK',
      sortKey: 'pendingSK',
      projection: { type: 'INCLUDE', nonKeyAttributes: ['id', 'target', 'payload', 'createdAt'] },
    },
  ],
  timeToLiveAttribute: 'expiresAt',
  streamViewType: 'NEW_IMAGE',
  billingMode: 'PAY_PER_REQUEST',
};

/**
 * The `CreateTable` request for a table named `tableName` (TTL is a separate call,
 * `UpdateTimeToLive`, after the table is active).
 *
 * @example
 * await client.send(new CreateTableCommand(leedzTableInput('leedz')));
 */
export function leedzTableInput(tableName: string, table: TableDefinition = LEEDZ_TABLE): CreateTableCommandInput {
  const keyAttributes = [table.partitionKey, table.sortKey, ...table.globalSecondaryIndexes.flatMap((gsi) => [gsi.partitionKey, gsi.sortKey])];
  return {
    TableName: tableName,
    BillingMode: table.billingMode,
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [...new Set(keyAttributes)].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((gsi) => ({
      IndexName: gsi.name,
      KeySchema: [
        { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
        { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
      ],
      Projection:
        gsi.projection.type === 'ALL'
          ? { ProjectionType: 'ALL' }
          : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...gsi.projection.nonKeyAttributes] },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamViewType },
  };
}
