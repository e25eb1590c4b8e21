/** `logout` (POST /api/auth/logout) on Lambda: nothing but its HTTP edge. */
import { createLogout } from '../../leedz/functions/logout.js';
import { httpEntry } from '../entry.js';

export const handler = httpEntry(() => createLogout());
