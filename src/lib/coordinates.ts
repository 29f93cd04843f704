import { areaOf, type LatLng } from "../domain/geo";
import { Pii } from "./pii";

/** The tables whose rows keep a point at rest (see coordinateColumns in src/db/schema.ts). */
export type PointTable = "addresses" | "orders";

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

const FIELD = "coords";

/** Seals the exact point for one row and coarsens it for the clear columns (the legacy ones too). */
export async function pointColumns(pii: Pii, table: PointTable, rowId: string, p: LatLng): Promise<PointColumns> {
  const area = areaOf(p);
  const coordsEnc = await pii.seal({ table, field: FIELD, rowId }, JSON.stringify([p.lat, p.lng]));
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
  const value: unknown = JSON.parse(await pii.open({ table, field: FIELD, rowId: row.id }, row.coordsEnc!));
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
