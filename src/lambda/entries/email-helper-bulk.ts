/**
 * `emailHelperBulk` on Lambda: `emailHelper`'s code, running its bulk routes (new-leed alerts, leed
 * news) in a Lambda of their own, with their own reserved concurrency and share of SES's rate
 * (`src/leedz/controllers/mail-lanes.ts`, `infra/mail-rate.ts`). Its LEEDZ_FUNCTION is `emailHelper`.
 */
export { handler } from './email-helper.js';
