import { describe, expect, it } from 'vitest';
import { DEFAULT_VISIBILITY, type Leed } from '../../../src/leedz/domain/leed.js';
import { PUBLIC_FIELDS, leedViewSchema, previewLeed, projectLeed } from '../../../src/leedz/domain/visibility.js';

/** A stored leed, sold or not, with overrides. */
function leed(overrides: Partial<Leed> = {}): Leed {
  return {
    id: 'l-1',
    trade: 'dj',
    title: 'Wedding reception',
    creator: 'sam',
    location: '123 Main St, Springfield, IL 62701',
    zip: '62701',
    point: { lat: 39.78, lon: -89.65 },
    placeKey: '123 main st springfield il 62701',
    start: '2026-12-24T18:00:00.000Z',
    end: '2026-12-24T22:00:00.000Z',
    timeZone: 'America/Chicago',
    clientEmail: 'client@example.com',
    clientPhone: '5551234567',
    details: 'Two sets',
    requirements: 'Own speakers',
    price: 2500,
    visibility: { ...DEFAULT_VISIBILITY },
    postedAt: '2026-12-01T00:00:00.000Z',
    status: 'active',
    buyer: null,
    soldAt: null,
    ...overrides,
  };
}

describe('projectLeed', () => {
  it('shows the creator everything', () => {
    expect(projectLeed(leed(), 'sam')).toEqual({ ...leed(), hidden: [] });
  });

  it('shows the buyer everything', () => {
    const sold = leed({ status: 'sold', buyer: 'pat', soldAt: '2026-12-02T00:00:00.000Z' });
    expect(projectLeed(sold, 'pat')).toEqual({ ...sold, hidden: [] });
  });

  it('shows anyone else the public fields and the shown ones, and lists the hidden ones', () => {
    for (const viewer of ['pat', null]) {
      expect(projectLeed(leed(), viewer)).toEqual({
        id: 'l-1',
        trade: 'dj',
        title: 'Wedding reception',
        creator: 'sam',
        zip: '62701',
        start: '2026-12-24T18:00:00.000Z',
        end: '2026-12-24T22:00:00.000Z',
        timeZone: 'America/Chicago',
        price: 2500,
        status: 'active',
        postedAt: '2026-12-01T00:00:00.000Z',
        details: 'Two sets',
        requirements: 'Own speakers',
        hidden: ['location', 'clientEmail', 'clientPhone'],
      });
    }
  });

  it('leaves hidden fields out entirely, not as null', () => {
    const view = projectLeed(leed(), 'pat');
    for (const field of ['location', 'clientEmail', 'clientPhone']) expect(view).not.toHaveProperty(field);
  });

  it('shows what the creator chose to show, and hides what they chose to hide', () => {
    const view = projectLeed(leed({ visibility: { location: 'shown', clientEmail: 'shown', clientPhone: 'hidden', details: 'hidden', requirements: 'shown' } }), 'pat');
    expect(view.location).toBe('123 Main St, Springfield, IL 62701');
    expect(view.clientEmail).toBe('client@example.com');
    expect(view.hidden).toEqual(['clientPhone', 'details']);
  });

  it('never lists an empty field as hidden', () => {
    const view = projectLeed(leed({ clientPhone: null, visibility: { ...DEFAULT_VISIBILITY, clientPhone: 'hidden' } }), 'pat');
    expect(view.hidden).toEqual(['location', 'clientEmail']);
    expect(view.clientPhone).toBeNull();
  });

  it('does not mistake a signed-out viewer for the buyer of an unsold leed', () => {
    expect(projectLeed(leed({ buyer: null }), null).hidden).toEqual(['location', 'clientEmail', 'clientPhone']);
  });

  it('never shows a stranger the internal fields (point, placeKey, buyer)', () => {
    const view = projectLeed(leed({ status: 'sold', buyer: 'pat' }), 'someone');
    for (const field of ['point', 'placeKey', 'buyer', 'soldAt', 'visibility']) expect(view).not.toHaveProperty(field);
  });

  it('matches the exported view schema for every kind of viewer', () => {
    for (const viewer of ['sam', 'pat', null]) expect(leedViewSchema.safeParse(projectLeed(leed({ buyer: 'pat' }), viewer)).success).toBe(true);
  });
});

describe('previewLeed', () => {
  it('holds exactly the public fields', () => {
    expect(Object.keys(previewLeed(leed())).sort()).toEqual([...PUBLIC_FIELDS].sort());
  });

  it('never includes the location, even when the creator shows it', () => {
    expect(previewLeed(leed({ visibility: { ...DEFAULT_VISIBILITY, location: 'shown' } }))).not.toHaveProperty('location');
  });
});
