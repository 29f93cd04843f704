/**
 * The one-off backfill of coordinates at rest (README "Coordinates at rest"): rows written before
 * `coords_enc` keep their exact point in the clear `lat`/`lng` columns. Each run (a cron step, every
 * minute) seals up to `limit` such rows per table for their own row and puts their ~1 km area in
 * the clear columns, in one guarded write, so a point is never lost: the clear value is replaced
 * only by the statement that stores it sealed. Idempotent; once nothing is left a run costs one
 * indexed read per table. Progress goes to the log (counts only, never a point or an id).
 */
import { getDb } from "../db/client";
import { clearPointRows, countClearPoints, sealPoints } from "../db/repositories/coordinates.repo";
import { pointColumns, type PointTable } from "../lib/coordinates";
import { Pii } from "../lib/pii";
import { logger } from "../lib/log";

/** Rows sealed per table and run: one D1 batch of guarded updates each. */
export const BACKFILL_BATCH = 100;

export type BackfillSummary = Record<PointTable, { sealed: number; remaining: number }>;

const TABLES: PointTable[] = ["addresses", "orders", "technicians"];

export async function backfillCoordinates(env: Env, limit = BACKFILL_BATCH): Promise<BackfillSummary> {
  const db = getDb(env);
  const pii = await Pii.fromEnv(env);
  const summary = {} as BackfillSummary;
  for (const table of TABLES) {
    const rows = await clearPointRows(db, table, limit);
    if (rows.length === 0) {
      summary[table] = { sealed: 0, remaining: 0 };
      continue;
    }
    const sealed = await sealPoints(
      db,
      table,
      await Promise.all(rows.map(async (row) => ({ row, columns: await pointColumns(pii, table, row.id, row) }))),
    );
    const remaining = await countClearPoints(db, table);
    summary[table] = { sealed, remaining };
    logger.info("coordinates.backfill", { table, sealed, remaining, done: remaining === 0 });
  }
  return summary;
}
