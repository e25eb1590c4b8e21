import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EARTH_RADIUS_MILES, type GeoPoint, haversineMiles, withinRadius } from '../../../src/leedz/domain/geo.js';

const NEW_YORK: GeoPoint = { lat: 40.7128, lon: -74.006 };
const LOS_ANGELES: GeoPoint = { lat: 34.0522, lon: -118.2437 };

describe('haversineMiles', () => {
  it('is 0 from a point to itself', () => {
    expect(haversineMiles(NEW_YORK, NEW_YORK)).toBe(0);
  });

  it('measures New York to Los Angeles as about 2,445 miles', () => {
    expect(haversineMiles(NEW_YORK, LOS_ANGELES)).toBeCloseTo(2445, -1);
  });

  it('measures one degree of latitude as 2πR/360 on a 3,958.8-mile sphere', () => {
    expect(haversineMiles({ lat: 10, lon: 20 }, { lat: 11, lon: 20 })).toBeCloseTo((2 * Math.PI * EARTH_RADIUS_MILES) / 360, 6);
  });

  it('measures antipodes as half the circumference, without NaN', () => {
    expect(haversineMiles({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(Math.PI * EARTH_RADIUS_MILES, 6);
  });

  it('is symmetric and never negative', () => {
    const point = fc.record({ lat: fc.double({ min: -90, max: 90, noNaN: true }), lon: fc.double({ min: -180, max: 180, noNaN: true }) });
    fc.assert(
      fc.property(point, point, (a, b) => {
        const d = haversineMiles(a, b);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.PI * EARTH_RADIUS_MILES + 1e-6);
        expect(haversineMiles(b, a)).toBeCloseTo(d, 6);
      }),
    );
  });
});

describe('withinRadius', () => {
  const oneDegreeNorth: GeoPoint = { lat: 11, lon: 20 };
  const center: GeoPoint = { lat: 10, lon: 20 };

  it('includes a point exactly on the boundary', () => {
    expect(withinRadius(center, oneDegreeNorth, haversineMiles(center, oneDegreeNorth))).toBe(true);
  });

  it('includes nearer points and excludes farther ones', () => {
    expect(withinRadius(center, oneDegreeNorth, 70)).toBe(true);
    expect(withinRadius(center, oneDegreeNorth, 69)).toBe(false);
  });
});
