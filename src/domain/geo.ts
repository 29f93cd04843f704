import { cellToLatLng, latLngToCell, polygonToCells } from "h3-js";

const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number) => (deg * Math.PI) / 180;

export interface LatLng {
  lat: number;
  lng: number;
}

/** Great-circle distance in kilometres. */
export function haversineKm(a: LatLng, b: LatLng): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Decimal places of an area point: 0.01° is about 1.1 km north–south (less east–west away from the equator). */
export const AREA_DECIMALS = 2;

/**
 * The point coarsened to its area (rounded to AREA_DECIMALS): what is stored in the clear where only
 * a rough position is needed (maps, reports, a job not yet revealed to its technician).
 */
export function areaOf(p: LatLng): LatLng {
  const f = 10 ** AREA_DECIMALS;
  return { lat: Math.round(p.lat * f) / f, lng: Math.round(p.lng * f) / f };
}

/** The H3 cell a point belongs to at `resolution`. */
export function cellOf(p: LatLng, resolution: number): string {
  return latLngToCell(p.lat, p.lng, resolution);
}

export function cellCenter(cell: string): LatLng {
  const [lat, lng] = cellToLatLng(cell);
  return { lat, lng };
}

/**
 * The cells whose centres fall within `radiusKm` of `center`, always including the centre's own
 * cell. The circle is approximated by a 64-gon, fine at city scale.
 */
export function cellsCovering(center: LatLng, radiusKm: number, resolution: number): string[] {
  const ring: [number, number][] = [];
  const dLat = radiusKm / 111.32;
  const dLng = radiusKm / (111.32 * Math.max(0.01, Math.cos(rad(center.lat))));
  for (let i = 0; i < 64; i++) {
    const a = (i / 64) * 2 * Math.PI;
    ring.push([center.lat + dLat * Math.cos(a), center.lng + dLng * Math.sin(a)]);
  }
  const cells = new Set(polygonToCells(ring, resolution));
  cells.add(cellOf(center, resolution));
  return [...cells].sort();
}

/** The configured cell resolution (H3_RESOLUTION, default 5). */
export function resolutionOf(env: { H3_RESOLUTION?: string }): number {
  const r = Number(env.H3_RESOLUTION);
  return Number.isInteger(r) && r >= 0 && r <= 15 ? r : 5;
}
