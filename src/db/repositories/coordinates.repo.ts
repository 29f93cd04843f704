/**
 * The coordinates backfill's reads and writes: rows whose exact point is still in the clear
 * (COORDS_PENDING / HOME_PENDING, served by each table's partial index), and the guarded update
 * that seals one.
 */
import { asc, count, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { PointColumns, PointTable, StoredPoint } from "../../lib/coordinates";
import type { Db } from "../client";
import { addresses, COORDS_PENDING_SQL, HOME_PENDING_SQL, orders, technicians } from "../schema";
import { runBatch, updateRows } from "./statements";

type Where = { sql: string; params: unknown[] };

/** Where each table keeps its point, and the predicate of a row still in the clear. */
const POINTS = {
  addresses: {
    table: addresses,
    read: {
      id: addresses.id,
      coordsEnc: addresses.coordsEnc,
      areaLat: addresses.areaLat,
      areaLng: addresses.areaLng,
      lat: addresses.lat,
      lng: addresses.lng,
    },
    pending: COORDS_PENDING_SQL,
    clear: ["lat", "lng"],
    update: (db: Db, c: PointColumns, where: Where) => updateRows(db, addresses, c, where),
  },
  orders: {
    table: orders,
    read: {
      id: orders.id,
      coordsEnc: orders.coordsEnc,
      areaLat: orders.areaLat,
      areaLng: orders.areaLng,
      lat: orders.lat,
      lng: orders.lng,
    },
    pending: COORDS_PENDING_SQL,
    clear: ["lat", "lng"],
    update: (db: Db, c: PointColumns, where: Where) => updateRows(db, orders, c, where),
  },
  technicians: {
    table: technicians,
    read: {
      id: technicians.id,
      coordsEnc: technicians.homeEnc,
      areaLat: technicians.homeAreaLat,
      areaLng: technicians.homeAreaLng,
      lat: technicians.homeLat,
      lng: technicians.homeLng,
    },
    pending: HOME_PENDING_SQL,
    clear: ["home_lat", "home_lng"],
    update: (db: Db, c: PointColumns, where: Where) =>
      updateRows(
        db,
        technicians,
        { homeEnc: c.coordsEnc, homeAreaLat: c.areaLat, homeAreaLng: c.areaLng, homeLat: c.lat, homeLng: c.lng },
        where,
      ),
  },
} satisfies Record<
  PointTable,
  { read: Record<keyof StoredPoint, SQLiteColumn>; pending: string; clear: [string, string]; [k: string]: unknown }
>;

const pending = (table: PointTable): SQL => sql.raw(POINTS[table].pending);

/** Up to `limit` rows of `table` whose exact point is still in the clear, by id. */
export async function clearPointRows(db: Db, table: PointTable, limit: number): Promise<StoredPoint[]> {
  const p = POINTS[table];
  return db.select(p.read).from(p.table).where(pending(table)).orderBy(asc(p.read.id)).limit(limit);
}

/** How many rows of `table` still keep their exact point in the clear. */
export async function countClearPoints(db: Db, table: PointTable): Promise<number> {
  const [row] = await db.select({ n: count() }).from(POINTS[table].table).where(pending(table));
  return row?.n ?? 0;
}

/**
 * Writes each row's sealed point and its area in place of the clear one, in one batch. Each update
 * holds only while the row still has the clear point that was sealed (an edit meanwhile, or an
 * earlier run, leaves it alone). Answers how many rows it sealed.
 */
export async function sealPoints(db: Db, table: PointTable, sealed: { row: StoredPoint; columns: PointColumns }[]): Promise<number> {
  if (sealed.length === 0) return 0;
  const p = POINTS[table];
  const [lat, lng] = p.clear;
  const results = await runBatch(
    db,
    sealed.map(({ row, columns }) =>
      p.update(db, columns, {
        sql: `id = ? AND ${lat} = ? AND ${lng} = ? AND (${p.pending})`,
        params: [row.id, row.lat, row.lng],
      }),
    ),
  );
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}
