/** `reportLeed` (POST /api/leedz/{trade}/{id}/report) on Lambda: the table, and emailHelper (through the outbox). */
import { createReportLeed } from '../../leedz/functions/report-leed.js';
import { controllersOf } from '../controllers-of.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createReportLeed(deps, controllersOf(deps)), { store: dynamoDbStore });
