/** The marketplace's two controllers, as the functions that hand work to them see them. */
import type { createBookkeeping } from './bookkeeping.js';
import type { createEmailHelper } from './email-helper.js';

export interface Controllers {
  emailHelper: ReturnType<typeof createEmailHelper>;
  bookkeeping: ReturnType<typeof createBookkeeping>;
}
