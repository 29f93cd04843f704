import { asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../client";
import { cities, cityCells } from "../schema";
import { chunked } from "../chunks";

export type CityRow = typeof cities.$inferSelect;

// D1 binds at most 100 parameters a statement: 2 per cell row.
const CELLS_PER_INSERT = 49;

/**
 * Inserts a city and its cells in one atomic batch. A cell already owned by another city makes
 * the whole batch fail (primary key), leaving nothing behind.
 */
export async function insertCity(db: Db, city: CityRow, cells: string[]): Promise<void> {
  const cellInserts = [];
  for (let i = 0; i < cells.length; i += CELLS_PER_INSERT) {
    cellInserts.push(db.insert(cityCells).values(cells.slice(i, i + CELLS_PER_INSERT).map((cellId) => ({ cellId, cityId: city.id }))));
  }
  await db.batch([db.insert(cities).values(city), ...cellInserts]);
}

export async function findTakenCells(db: Db, cells: string[]): Promise<{ cellId: string; cityId: string }[]> {
  const taken: { cellId: string; cityId: string }[] = [];
  for (const part of chunked(cells)) {
    taken.push(...(await db.select().from(cityCells).where(inArray(cityCells.cellId, part))));
  }
  return taken;
}

export async function listCities(db: Db): Promise<CityRow[]> {
  return db.select().from(cities).orderBy(asc(cities.id));
}

export async function cellsOfCity(db: Db, cityId: string): Promise<string[]> {
  const rows = await db
    .select({ cellId: cityCells.cellId })
    .from(cityCells)
    .where(eq(cityCells.cityId, cityId))
    .orderBy(asc(cityCells.cellId));
  return rows.map((r) => r.cellId);
}

export async function findCity(db: Db, id: string): Promise<CityRow | undefined> {
  return db.query.cities.findFirst({ where: eq(cities.id, id) });
}

/** The city that owns a cell, if any. */
export async function cityOfCell(db: Db, cellId: string): Promise<CityRow | undefined> {
  const [row] = await db
    .select({ city: cities })
    .from(cityCells)
    .innerJoin(cities, eq(cities.id, cityCells.cityId))
    .where(eq(cityCells.cellId, cellId));
  return row?.city;
}

/** Renames a city; undefined when there is none with the id. */
export async function renameCity(db: Db, id: string, name: string): Promise<CityRow | undefined> {
  const [row] = await db.update(cities).set({ name }).where(eq(cities.id, id)).returning();
  return row;
}
