/**
 * The marketplace's end-to-end suite again, with at-least-once delivery turned up: half of all
 * events (magic links, fan-outs, receipts, counters, take-downs, refunds) are delivered twice and
 * out of order, as Lambda may deliver them
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html: "it's possible
 * for it to receive the same event from Lambda multiple times"). Every assertion of
 * test/e2e/marketplace.test.ts must still hold: no duplicate email, no double count, no double sale.
 */
process.env.LEEDZ_E2E_DUPLICATES = '0.5';
await import('./marketplace.test.js');
