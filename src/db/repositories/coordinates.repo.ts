/**
 * The coordinates backfill's reads and writes: rows whose exact point is still in the clear
 * (COORDS_PENDING, served by each table's partial index), and the guarded update that seals one.
 */
import { asc, count, sql } from "drizzle-orm";
import type { PointColumns, PointTable, StoredPoint } from "../../lib/coordinates";
import type { Db } from "../client";
import { addresses, COORDS_PENDING_SQL, orders } from "../schema";
import { runBatch, updateRows } from "./statements";

const TABLES = { addresses, orders } as const;
const PENDING = sql.raw(COORDS_PENDING_SQL);

/** Up to `limit` rows of `table` whose exact point is still in the clear, by id. */
export async function clearPointRows(db: Db, table: PointTable, limit: number): Promise<StoredPoint[]> {
  const t = TABLES[table];
  return db
    .select({ id: t.id, coordsEnc: t.coordsEnc, areaLat: t.areaLat, areaLng: t.areaLng, lat: t.lat, lng: t.lng })
    .from(t)
    .where(PENDING)
    .orderBy(asc(t.id))
    .limit(limit);
}

/** How many rows of `table` still keep their exact point in the clear. */
export async function countClearPoints(db: Db, table: PointTable): Promise<number> {
  const [row] = await db.select({ n: count() }).from(TABLES[table]).where(PENDING);
  return row?.n ?? 0;
}

/**
 * Writes each row's sealed point and its area in place of the clear one, in one batch. Each update
 * holds only while the row still has the clear point that was sealed (an edit meanwhile, or an
 * earlier run, leaves it alone). Answers how many rows it sealed.
 */
export async function sealPoints(db: Db, table: PointTable, sealed: { row: StoredPoint; columns: PointColumns }[]): Promise<number> {
  if (sealed.length === 0) return 0;
  const results = await runBatch(
    db,
    sealed.map(({ row, columns }) =>
      updateRows(db, TABLES[table], columns, {
        sql: `id = ? AND lat = ? AND lng = ? AND (${COORDS_PENDING_SQL})`,
        params: [row.id, row.lat, row.lng],
      }),
    ),
  );
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}
