/**
 * Reports of leedz on the DynamoDB table (TABLE-DESIGN.md: one `REPORTS` partition, a few items a
 * day): one report per leed and reporter, added with its outbox message in one transaction, and
 * resolved once (dismissed or taken down) on the condition that it is still open.
 *
 * @example
 * const reports = createDynamoDbReports(table);
 * await reports.addReport(report, [messageToAdmin]); // false when this reporter reported this leed already
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { NotFoundError, type Report, StateError, type Store } from '../../../leedz/ports.js';
import { canonicalInstant, keyOf, REPORTS_PARTITION, reportFromItem, type ReportItem } from './dynamodb-items.js';
import { AGAIN, compareText, isVendorError, type TableAccess } from './dynamodb-table.js';

export function createDynamoDbReports(table: TableAccess): Pick<Store, 'addReport' | 'getReport' | 'listReports' | 'resolveReport'> {
  const { doc, TableName, get, query, transact, retrying, outboxSteps, throwForCommonFailures } = table;
  return {

  async addReport(report, outbox) {
    const item: ReportItem = { ...keyOf.report(report.id), ...report, createdAt: canonicalInstant(report.createdAt), status: 'open', resolvedAt: null };
    return retrying('addReport', async () => {
      const outcome = await transact([{ label: 'report', item: { Put: { TableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } } }, ...outboxSteps(outbox)]);
      if (outcome.committed) return true;
      if (outcome.failed.some((f) => f.step.label === 'report')) return false;
      throwForCommonFailures(outcome.failed);
      return AGAIN;
    });
  },

  async getReport(id) {
    const item = await get<ReportItem>(keyOf.report(id));
    return item === undefined ? undefined : reportFromItem(item);
  },

  async listReports(which, limit) {
    if (limit <= 0) return [];
    // One partition for every report: moderation is a few a day, read whole and sorted here.
    const items = await query<ReportItem>({ KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': REPORTS_PARTITION }, ConsistentRead: true });
    const reports = items.map(reportFromItem).filter((r) => (which === 'open') === (r.status === 'open'));
    const at = (r: Report) => (which === 'open' ? r.createdAt : (r.resolvedAt ?? r.createdAt));
    return reports.sort((a, b) => compareText(at(b), at(a)) || compareText(b.id, a.id)).slice(0, limit);
  },

  async resolveReport(id, status, resolvedAt) {
    try {
      const { Attributes } = await doc.send(
        new UpdateCommand({
          TableName,
          Key: keyOf.report(id),
          UpdateExpression: 'SET #status = :status, #resolvedAt = :resolvedAt',
          ConditionExpression: '#status = :open',
          ExpressionAttributeNames: { '#status': 'status', '#resolvedAt': 'resolvedAt' },
          ExpressionAttributeValues: { ':status': status, ':resolvedAt': canonicalInstant(resolvedAt), ':open': 'open' },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return reportFromItem(Attributes as ReportItem);
    } catch (error) {
      if (!isVendorError(error, ConditionalCheckFailedException)) throw error;
      const old = error.Item === undefined ? undefined : (unmarshall(error.Item) as ReportItem);
      if (old === undefined) throw new NotFoundError(`no report ${id}`);
      throw new StateError(`this report is ${old.status} already`);
    }
  },
  };
}
