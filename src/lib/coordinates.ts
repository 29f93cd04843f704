import { areaOf, type LatLng } from "../domain/geo";
import { Pii } from "./pii";

/**
 * The tables whose rows keep a point at rest: addresses and orders (coordinateColumns in
 * src/db/schema.ts), and technicians' homes (home_enc, home_area_*, home_lat/home_lng).
 */
export type PointTable = "addresses" | "orders" | "technicians";

/** A row's coordinate columns as read from D1. */
export interface StoredPoint {
  id: string;
  coordsEnc: string | null;
  areaLat: number | null;
  areaLng: number | null;
  lat: number;
  lng: number;
}

/** The coordinate columns to write for a point: sealed for its row, and coarsened in the clear. */
export type PointColumns = Omit<StoredPoint, "id">;

/** The field bound into a sealed point, by table. */
const FIELD: Record<PointTable, string> = { addresses: "coords", orders: "coords", technicians: "home" };

/** Seals the exact point for one row and coarsens it for the clear columns (the legacy ones too). */
export async function pointColumns(pii: Pii, table: PointTable, rowId: string, p: LatLng): Promise<PointColumns> {
  const area = areaOf(p);
  const coordsEnc = await pii.seal({ table, field: FIELD[table], rowId }, JSON.stringify([p.lat, p.lng]));
  return { coordsEnc, areaLat: area.lat, areaLng: area.lng, lat: area.lat, lng: area.lng };
}

/**
 * True when the row's exact point is still in its clear columns: never sealed, or written by a
 * Worker older than `coords_enc` after it was (its clear columns then differ from its area).
 * The same rule as COORDS_PENDING in the schema.
 */
export function clearPoint(row: StoredPoint): boolean {
  return row.coordsEnc === null || row.areaLat === null || row.areaLng === null || row.lat !== row.areaLat || row.lng !== row.areaLng;
}

/**
 * The row's exact point: opened from its sealed column, or, in a row the backfill has not sealed
 * yet, its clear one. A sealed value copied from another row does not open (it throws).
 */
export async function exactPoint(pii: Pii, table: PointTable, row: StoredPoint): Promise<LatLng> {
  if (clearPoint(row)) return { lat: row.lat, lng: row.lng };
  const value: unknown = JSON.parse(await pii.open({ table, field: FIELD[table], rowId: row.id }, row.coordsEnc!));
  if (!Array.isArray(value) || value.length !== 2 || !value.every((n) => typeof n === "number" && Number.isFinite(n)))
    throw new Error("unreadable sealed point");
  return { lat: value[0] as number, lng: value[1] as number };
}

/** The row's point coarsened to ~1 km, without decrypting anything. */
export function areaPoint(row: StoredPoint): LatLng {
  return clearPoint(row) ? areaOf(row) : { lat: row.areaLat!, lng: row.areaLng! };
}

/** An order's exact point (the visit's address), for travel times, the geofence and tracking. */
export async function orderPoint(env: Env, order: StoredPoint): Promise<LatLng> {
  return exactPoint(await Pii.fromEnv(env), "orders", order);
}

/** A technician row's home columns, as they are stored. */
export interface StoredHome {
  id: string;
  homeEnc: string | null;
  homeAreaLat: number | null;
  homeAreaLng: number | null;
  homeLat: number;
  homeLng: number;
}

/** A technician's home columns as a stored point (the same rules as addresses' and orders'). */
export function homeAsPoint(t: StoredHome): StoredPoint {
  return { id: t.id, coordsEnc: t.homeEnc, areaLat: t.homeAreaLat, areaLng: t.homeAreaLng, lat: t.homeLat, lng: t.homeLng };
}

/** The home columns to write for a technician: the exact home sealed for their row, ~1 km in the clear. */
export async function homeColumns(pii: Pii, technicianId: string, home: LatLng): Promise<Omit<StoredHome, "id">> {
  const c = await pointColumns(pii, "technicians", technicianId, home);
  return { homeEnc: c.coordsEnc, homeAreaLat: c.areaLat, homeAreaLng: c.areaLng, homeLat: c.lat, homeLng: c.lng };
}

/** A technician's exact home (travel from home, day routes, distances), opened from its sealed column. */
export async function technicianHome(pii: Pii, t: StoredHome): Promise<LatLng> {
  return exactPoint(pii, "technicians", homeAsPoint(t));
}
