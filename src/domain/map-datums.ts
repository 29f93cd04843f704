/**
 * Map datums for hand-off links, pure. The platform stores and answers WGS-84 only
 * (docs/coordinates.md); a link that opens a map app carries the point in the datum that app
 * expects: GCJ-02 for AMap (and Apple/Google Maps inside mainland China, whose map data there is
 * GCJ-02), BD-09 for Baidu, WGS-84 elsewhere.
 *
 * GCJ-02 is the published "offset" transform (Krasovsky 1940 ellipsoid parameters); its inverse has
 * no closed form, so gcj02ToWgs84 iterates until the forward transform lands within 1e-9°. BD-09 is
 * Baidu's rotation and shift of GCJ-02.
 */
import type { LatLng } from "./geo";

const A = 6378245.0;
const EE = 0.006693421622965943;
const X_PI = (Math.PI * 3000.0) / 180.0;

/**
 * Inside the rough bounding box of mainland China where the GCJ-02 offset applies. Like every
 * published implementation, it is a box: points near the borders (and Hong Kong, Macau, Taiwan)
 * fall inside it too.
 */
export function insideChina(p: LatLng): boolean {
  return p.lng >= 72.004 && p.lng <= 137.8347 && p.lat >= 0.8293 && p.lat <= 55.8271;
}

function offset(lng: number, lat: number): { dLat: number; dLng: number } {
  const x = lng - 105.0;
  const y = lat - 35.0;
  const common = ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + common;
  dLat += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  dLat += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  let dLng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + common;
  dLng += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  dLng += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  const radLat = (lat / 180.0) * Math.PI;
  const magic = 1 - EE * Math.sin(radLat) * Math.sin(radLat);
  const sqrtMagic = Math.sqrt(magic);
  return {
    dLat: (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI),
    dLng: (dLng * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI),
  };
}

/** WGS-84 → GCJ-02 (unchanged outside mainland China). */
export function wgs84ToGcj02(p: LatLng): LatLng {
  if (!insideChina(p)) return { lat: p.lat, lng: p.lng };
  const d = offset(p.lng, p.lat);
  return { lat: p.lat + d.dLat, lng: p.lng + d.dLng };
}

/** GCJ-02 → WGS-84, by fixed-point iteration on the forward transform (converges to ~1e-9° in a few steps). */
export function gcj02ToWgs84(p: LatLng): LatLng {
  if (!insideChina(p)) return { lat: p.lat, lng: p.lng };
  let w = { lat: p.lat, lng: p.lng };
  for (let i = 0; i < 30; i++) {
    const g = wgs84ToGcj02(w);
    const dLat = g.lat - p.lat;
    const dLng = g.lng - p.lng;
    w = { lat: w.lat - dLat, lng: w.lng - dLng };
    if (Math.abs(dLat) < 1e-9 && Math.abs(dLng) < 1e-9) break;
  }
  return w;
}

/** GCJ-02 → BD-09. */
export function gcj02ToBd09(p: LatLng): LatLng {
  const z = Math.sqrt(p.lng * p.lng + p.lat * p.lat) + 0.00002 * Math.sin(p.lat * X_PI);
  const theta = Math.atan2(p.lat, p.lng) + 0.000003 * Math.cos(p.lng * X_PI);
  return { lat: z * Math.sin(theta) + 0.006, lng: z * Math.cos(theta) + 0.0065 };
}

/** BD-09 → GCJ-02. */
export function bd09ToGcj02(p: LatLng): LatLng {
  const x = p.lng - 0.0065;
  const y = p.lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
  return { lat: z * Math.sin(theta), lng: z * Math.cos(theta) };
}

/** WGS-84 → BD-09 (through GCJ-02; outside mainland China Baidu's own shift still applies). */
export const wgs84ToBd09 = (p: LatLng): LatLng => gcj02ToBd09(wgs84ToGcj02(p));

/** BD-09 → WGS-84. */
export const bd09ToWgs84 = (p: LatLng): LatLng => gcj02ToWgs84(bd09ToGcj02(p));

export interface MapLinks {
  amap: string;
  baidu: string;
  apple: string;
  google: string;
}

const fixed = (n: number) => n.toFixed(6);

/**
 * Navigation links to a WGS-84 point in the four map apps, each in the datum that app expects.
 * `name` is shown as the destination's label (never an address or a phone: callers pass an order id
 * or a short label).
 */
export function mapLinks(p: LatLng, name: string): MapLinks {
  const gcj = wgs84ToGcj02(p);
  const bd = wgs84ToBd09(p);
  // Apple and Google draw mainland China on GCJ-02 map data, WGS-84 everywhere else.
  const local = insideChina(p) ? gcj : p;
  const label = encodeURIComponent(name);
  return {
    amap: `https://uri.amap.com/navigation?to=${fixed(gcj.lng)},${fixed(gcj.lat)},${label}&mode=car&coordinate=gaode&callnative=1`,
    baidu: `https://api.map.baidu.com/direction?destination=latlng:${fixed(bd.lat)},${fixed(bd.lng)}|name:${label}&mode=driving&coord_type=bd09ll&output=html&src=doorstep`,
    apple: `https://maps.apple.com/?daddr=${fixed(local.lat)},${fixed(local.lng)}&dirflg=d&q=${label}`,
    google: `https://www.google.com/maps/dir/?api=1&destination=${fixed(local.lat)},${fixed(local.lng)}&travelmode=driving`,
  };
}
