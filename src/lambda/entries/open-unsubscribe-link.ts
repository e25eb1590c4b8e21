/** `openUnsubscribeLink` (GET /api/unsubscribe) on Lambda: nothing but its HTTP edge (a redirect to the web app's page). */
import { createOpenUnsubscribeLink } from '../../leedz/functions/unsubscribe.js';
import { httpEntry } from '../entry.js';

export const handler = httpEntry((deps) => createOpenUnsubscribeLink(deps));
