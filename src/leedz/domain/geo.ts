/**
 * Distances on the Earth's surface, for "leedz within my radius" searches and subscriber fan-out.
 */
import { z } from 'zod';

/**
 * A point in degrees, as the geocoder returns it.
 *
 * @example
 * const springfield: GeoPoint = geoPointSchema.parse({ lat: 39.7817, lon: -89.6501 });
 */
export const geoPointSchema = z.object({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});

/** A point in degrees (latitude, longitude). */
export type GeoPoint = z.infer<typeof geoPointSchema>;

/** The Earth's mean radius in statute miles (the sphere the haversine formula assumes). */
export const EARTH_RADIUS_MILES = 3958.8;

/**
 * Great-circle distance in miles by the haversine formula. A sphere is off by at most about 0.5%
 * from the ellipsoid, far less than a zip centroid's own error, so nothing more exact is worth it.
 *
 * @example
 * haversineMiles({ lat: 40.7128, lon: -74.006 }, { lat: 34.0522, lon: -118.2437 }); // → ≈ 2445
 */
export function haversineMiles(a: GeoPoint, b: GeoPoint): number {
  const dLat = radians(b.lat - a.lat);
  const dLon = radians(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLon / 2) ** 2;
  // Rounding can push h a hair above 1 for antipodal points, and asin(>1) is NaN.
  return 2 * EARTH_RADIUS_MILES * Math.asin(Math.sqrt(Math.min(1, h)));
}

/**
 * Whether `point` lies within `radiusMiles` of `center`, the boundary included.
 *
 * @example
 * withinRadius(homeZipPoint, leed.point, user.radius); // → true when the leed is close enough
 */
export function withinRadius(center: GeoPoint, point: GeoPoint, radiusMiles: number): boolean {
  return haversineMiles(center, point) <= radiusMiles;
}

/**
 * `point` with each coordinate rounded to `decimals` places (1: about 7 miles of latitude).
 *
 * @example
 * roundedPoint({ lat: 39.80044, lon: -89.64983 }, 1); // → { lat: 39.8, lon: -89.6 }
 */
export function roundedPoint(point: GeoPoint, decimals: number): GeoPoint {
  const scale = 10 ** decimals;
  return { lat: Math.round(point.lat * scale) / scale, lon: Math.round(point.lon * scale) / scale };
}

function radians(degrees: number): number {
  return (degrees * Math.PI) / 180;
}
