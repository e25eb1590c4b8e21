/**
 * What each viewer may see of a leed. The creator and the buyer see everything; anyone else sees
 * the always-public fields plus the fields the creator chose to show, and learns which ones are
 * hidden (the UI shows "Buy to show" there). Search results are previews and never carry the location.
 */
import { z } from 'zod';
import { HIDEABLE_FIELDS, type HideableField, type Leed, leedSchema } from './leed.js';

/**
 * The fields everyone sees, bought or not. `timeZone` (the zone of the gig's place, e.g.
 * `America/Chicago`) says when the gig is where it happens, whatever the viewer's own zone.
 *
 * @example
 * PUBLIC_FIELDS.includes('zip'); // → true
 */
export const PUBLIC_FIELDS = ['id', 'trade', 'title', 'creator', 'zip', 'start', 'end', 'timeZone', 'price', 'status', 'postedAt'] as const;

/** One of {@link PUBLIC_FIELDS}. */
export type PublicField = (typeof PUBLIC_FIELDS)[number];

/**
 * A leed in search results: the public fields only.
 *
 * @example
 * const preview: LeedPreview = leedPreviewSchema.parse(previewLeed(leed));
 */
export const leedPreviewSchema = leedSchema.pick({
  id: true,
  trade: true,
  title: true,
  creator: true,
  zip: true,
  start: true,
  end: true,
  timeZone: true,
  price: true,
  status: true,
  postedAt: true,
});

/** A leed in search results: the public fields only. */
export type LeedPreview = z.infer<typeof leedPreviewSchema>;

/**
 * A leed as one viewer sees it (`GET /api/leedz/{trade}/{id}`): the public fields, each hideable
 * field that is shown to this viewer (absent when hidden), `hidden` naming the absent ones, and for
 * the creator and the buyer every other field of the leed as well.
 *
 * @example
 * const view: LeedView = leedViewSchema.parse(projectLeed(leed, 'pat'));
 */
export const leedViewSchema = leedSchema.partial().extend({
  ...leedPreviewSchema.shape,
  hidden: z.array(z.enum(HIDEABLE_FIELDS)),
  /** When the gig is, where it happens (`GET /api/leedz/{trade}/{id}` adds it): "Sat, Jan 9, 2027, 6:00 PM – 11:00 PM CST". */
  when: z.string().optional(),
  /**
   * Present while a buyer is checking out this active leed: until when, and whether the viewer is
   * that buyer (who the buyer is stays private). Nobody else can start a checkout meanwhile.
   */
  hold: z.object({ until: z.string(), yours: z.boolean() }).optional(),
});

/** A leed as one viewer sees it; see {@link leedViewSchema}. */
export type LeedView = z.infer<typeof leedViewSchema>;

/**
 * One of a vendor's own leedz (`GET /api/me/leedz`): every field (they posted or bought it), when it
 * is where it happens, its status as a buyer would see it now (`expired` once over), and the
 * platform's fee on it once sold (0 before).
 */
export type MyLeed = Leed & { when: string; fee: number };

/** What `GET /api/me/leedz` answers; money in integer cents. */
export interface MyLeedz {
  posted: MyLeed[];
  bought: MyLeed[];
  totals: {
    posted: number;
    sold: number;
    bought: number;
    /** What the vendor's sales brought them: the prices, less the platform's fees. */
    earned: number;
    /** The platform's fees on those sales. */
    fees: number;
    /** What the vendor paid for the leedz they bought. */
    spent: number;
  };
}

/**
 * The leed as `viewer` (a username, or `null` when signed out) may see it.
 *
 * @example
 * projectLeed(leed, leed.creator).hidden; // → []
 * projectLeed(leed, null).location;       // → undefined while the location is hidden
 * projectLeed(leed, null).hidden;         // → ['location', 'clientEmail', 'clientPhone'] by default
 */
export function projectLeed(leed: Leed, viewer: string | null): LeedView {
  const isParty = viewer !== null && (viewer === leed.creator || viewer === leed.buyer);
  if (isParty) return { ...leed, hidden: [] };

  const view: LeedView = { ...previewLeed(leed), hidden: [] };
  for (const field of HIDEABLE_FIELDS) {
    if (isHidden(leed, field)) view.hidden.push(field);
    else copyField(view, leed, field);
  }
  return view;
}

/**
 * The leed as search results show it: the public fields only, whoever asks.
 *
 * @example
 * 'location' in previewLeed(leed); // → false
 */
export function previewLeed(leed: Leed): LeedPreview {
  // Listed one by one (not spread and deleted) so that a field added to Leed later is private until
  // someone decides otherwise.
  return {
    id: leed.id,
    trade: leed.trade,
    title: leed.title,
    creator: leed.creator,
    zip: leed.zip,
    start: leed.start,
    end: leed.end,
    timeZone: leed.timeZone,
    price: leed.price,
    status: leed.status,
    postedAt: leed.postedAt,
  };
}

// An empty field is never "hidden": there is nothing to buy, and "Buy to show" over nothing would mislead.
function isHidden(leed: Leed, field: HideableField): boolean {
  return leed.visibility[field] === 'hidden' && leed[field] !== null;
}

function copyField<K extends HideableField>(to: Partial<Pick<Leed, HideableField>>, from: Leed, key: K): void {
  to[key] = from[key];
}
