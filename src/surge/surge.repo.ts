/** The surge area's SQL: cells' surge states, their changes, technician notices and demand forecasts. */
import { and, asc, desc, eq, gte, inArray, lt, ne, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { chunked } from "../db/chunks";
import { cities, cityCells, demandForecasts, orders, settings, surgeChanges, surgeStates } from "../db/schema";
import type { CityRow } from "../db/repositories/cities.repo";

export type SurgeStateRow = typeof surgeStates.$inferSelect;
export type SurgeChangeRow = typeof surgeChanges.$inferSelect;
export type ForecastRow = typeof demandForecasts.$inferSelect;

/**
 * Records a change a cell reported, once per event id, and moves the cell's current state unless a
 * later change is recorded already (events may arrive out of order). True when it was new.
 */
export async function recordSurgeChange(db: Db, change: SurgeChangeRow): Promise<boolean> {
  const inserted = await db.insert(surgeChanges).values(change).onConflictDoNothing().returning({ id: surgeChanges.id });
  if (inserted.length === 0) return false;
  await db
    .insert(surgeStates)
    .values({
      cellId: change.cellId,
      cityId: change.cityId,
      state: change.toState as SurgeStateRow["state"],
      since: change.at,
      demand: change.demand,
      supply: change.supply,
      ratio: change.ratio,
    })
    .onConflictDoUpdate({
      target: surgeStates.cellId,
      set: {
        state: change.toState as SurgeStateRow["state"],
        since: change.at,
        demand: change.demand,
        supply: change.supply,
        ratio: change.ratio,
      },
      setWhere: lt(surgeStates.since, change.at),
    });
  return true;
}

export async function surgeStatesOfCity(db: Db, cityId: string): Promise<SurgeStateRow[]> {
  return db.select().from(surgeStates).where(eq(surgeStates.cityId, cityId)).orderBy(asc(surgeStates.cellId));
}

export async function surgeChangesOfCity(db: Db, cityId: string, since: number, limit: number): Promise<SurgeChangeRow[]> {
  return db
    .select()
    .from(surgeChanges)
    .where(and(eq(surgeChanges.cityId, cityId), gte(surgeChanges.at, since)))
    .orderBy(desc(surgeChanges.at), desc(surgeChanges.id))
    .limit(limit);
}

/**
 * Orders starting per cell and hour in [from, to) of a city. History counts cancelled ones too (they
 * were demand); `booked` leaves them out (demand already known for future hours).
 */
export async function hourlyDemand(
  db: Db,
  cityId: string,
  from: number,
  to: number,
  opts: { booked?: boolean; phase?: number } = {},
): Promise<{ cell: string; hour: number; n: number }[]> {
  // Local hours: they start `phase` ms after the UTC hour (a half-hour zone's hours start at :30).
  // Bound numbers arrive as reals: cast, so that the division stays an integer one (floors the hour).
  const phase = sql`CAST(${opts.phase ?? 0} AS INTEGER)`;
  const hour = sql<number>`((${orders.startAt} - ${phase}) / 3600000) * 3600000 + ${phase}`;
  return db
    .select({ cell: orders.cell, hour, n: sql<number>`COUNT(*)` })
    .from(orders)
    .where(
      and(
        eq(orders.cityId, cityId),
        gte(orders.startAt, from),
        lt(orders.startAt, to),
        opts.booked ? ne(orders.status, "cancelled") : undefined,
      ),
    )
    .groupBy(orders.cell, hour);
}

/** Replaces the forecasts of a city for [from, to) with `rows` (chunked under D1's parameter limit). */
export async function replaceForecasts(db: Db, cityId: string, from: number, to: number, rows: ForecastRow[]): Promise<void> {
  const del = db
    .delete(demandForecasts)
    .where(and(eq(demandForecasts.cityId, cityId), gte(demandForecasts.hourStart, from), lt(demandForecasts.hourStart, to)));
  // 6 parameters a row.
  const inserts = chunked(rows, 16).map((part) => db.insert(demandForecasts).values(part));
  await db.batch([del, ...inserts]);
}

export async function forecastsOfCity(db: Db, cityId: string, from: number, to: number, cells?: string[]): Promise<ForecastRow[]> {
  const where = and(
    eq(demandForecasts.cityId, cityId),
    gte(demandForecasts.hourStart, from),
    lt(demandForecasts.hourStart, to),
    cells ? inArray(demandForecasts.cellId, cells) : undefined,
  );
  return db.select().from(demandForecasts).where(where).orderBy(asc(demandForecasts.hourStart), asc(demandForecasts.cellId));
}

/**
 * The city owning a cell with what a quote there needs of surge pricing (the city's surge settings,
 * the cell's state), in one D1 round trip: a quote reads the cell's city anyway.
 */
export async function cityOfCellWithSurge(
  db: Db,
  cellId: string,
): Promise<{ city: CityRow | undefined; surge: { settings: unknown; state: SurgeStateRow["state"] } }> {
  const [cityRows, settingRows, stateRows] = await db.batch([
    db.select({ city: cities }).from(cityCells).innerJoin(cities, eq(cities.id, cityCells.cityId)).where(eq(cityCells.cellId, cellId)),
    db
      .select({ value: settings.value })
      .from(cityCells)
      .innerJoin(settings, eq(settings.key, sql`'surge:' || ${cityCells.cityId}`))
      .where(eq(cityCells.cellId, cellId)),
    db.select({ state: surgeStates.state }).from(surgeStates).where(eq(surgeStates.cellId, cellId)),
  ]);
  return { city: cityRows[0]?.city, surge: { settings: settingRows[0]?.value, state: stateRows[0]?.state ?? "normal" } };
}
