/**
 * The marketplace's rules that the browser needs, embedded by the server in every page
 * (`<script type="application/json" id="leedz-config">`, built by `webConfig()` in
 * src/server/web-assets.ts from the domain modules), so the UI cannot disagree with the API and the
 * bundle carries no schema library.
 */
import type { BADGE_NAMES } from '../../src/leedz/domain/badges.js';
import type { HIDEABLE_FIELDS, Visibility } from '../../src/leedz/domain/leed.js';
import type { RADIUS_MILES } from '../../src/leedz/domain/user.js';

export interface WebConfig {
  radiusMiles: typeof RADIUS_MILES;
  maxSubscriptions: number;
  badgeNames: typeof BADGE_NAMES;
  hideableFields: typeof HIDEABLE_FIELDS;
  defaultVisibility: Visibility;
  limits: { title: number; text: number; about: number; minPaidPriceCents: number; maxPriceCents: number };
  platformFeePercent: number;
  /** Whether this site serves the operations console (`/console`): the local server does, the site on AWS does not. */
  operationsConsole: boolean;
}

let cached: WebConfig | undefined;

/** The page's configuration (read once). */
export function config(): WebConfig {
  if (cached === undefined) {
    const element = document.getElementById('leedz-config');
    if (element === null) throw new Error('the page has no #leedz-config element');
    cached = JSON.parse(element.textContent ?? '{}') as WebConfig;
  }
  return cached;
}
