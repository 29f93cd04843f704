import { eq, inArray, sql } from "drizzle-orm";
import type { TechnicianProfile } from "../../../durable/cell.types";
import { DEFAULT_WEEKLY_SHIFTS } from "../../domain/shifts";
import { homeAsPoint, type StoredPoint } from "../../lib/coordinates";
import { chunked } from "../chunks";
import type { Db } from "../client";
import { cities, merchants, orders, technicians } from "../schema";
import type { Guard } from "./statements";

/**
 * A technician as the cells see them, but for their exact home, which is kept sealed
 * (`home`: open it with cellProfiles in src/cells/cells.service.ts before a cell gets the profile).
 */
export interface RosterEntry {
  profile: Omit<TechnicianProfile, "home">;
  /** The home columns as stored (sealed exact point, ~1 km clear one). */
  home: StoredPoint;
  homeCell: string;
  accountId: string;
  updatedAt: number;
  /** A move to this home cell was switched in D1 but not yet finished in the cells. */
  transferPending: boolean;
}

const rosterColumns = {
  t: technicians,
  timeZone: cities.timeZone,
  merchantShifts: merchants.defaultShifts,
};

function toEntry(row: {
  t: typeof technicians.$inferSelect;
  timeZone: string;
  merchantShifts: TechnicianProfile["defaultWeekly"] | null;
}): RosterEntry {
  const t = row.t;
  return {
    homeCell: t.homeCell,
    accountId: t.accountId,
    updatedAt: t.updatedAt,
    transferPending: t.transferId !== null,
    home: homeAsPoint(t),
    profile: {
      id: t.id,
      merchantId: t.merchantId,
      name: t.name,
      // A skill whose required document lapsed is not offered until a renewed one is approved.
      skills: t.lapsedSkills.length === 0 ? t.skills : t.skills.filter((s) => !t.lapsedSkills.includes(s)),
      serviceRadiusKm: t.serviceRadiusKm,
      status: t.status,
      ratingX100: t.ratingX100,
      timeZone: row.timeZone,
      defaultWeekly: row.merchantShifts ?? DEFAULT_WEEKLY_SHIFTS,
    },
  };
}

function rosterQuery(db: Db) {
  return db
    .select(rosterColumns)
    .from(technicians)
    .innerJoin(cities, eq(cities.id, technicians.cityId))
    .leftJoin(merchants, eq(merchants.id, technicians.merchantId));
}

export async function rosterEntry(db: Db, technicianId: string): Promise<RosterEntry | undefined> {
  const [row] = await rosterQuery(db).where(eq(technicians.id, technicianId));
  return row ? toEntry(row) : undefined;
}

/** Several technicians as the cells see them, in one round trip (ids in parts under D1's bound-parameter limit). */
export async function rosterEntries(db: Db, technicianIds: string[]): Promise<RosterEntry[]> {
  const parts = chunked(technicianIds).map((ids) => rosterQuery(db).where(inArray(technicians.id, ids)));
  const [first, ...rest] = parts;
  if (!first) return [];
  const results = await db.batch([first, ...rest]);
  return results.flat().map(toEntry);
}

/**
 * One technician and (in the same round trip) up to `limit` technicians homed in `cell`, for a
 * per-isolate copy of the cell's roster: the one asked for is `entry` (undefined when unknown).
 */
export async function rosterEntryAndCell(
  db: Db,
  technicianId: string,
  cell: string,
  limit: number,
): Promise<{ entry: RosterEntry | undefined; cell: RosterEntry[] }> {
  const [one, many] = await db.batch([
    rosterQuery(db).where(eq(technicians.id, technicianId)),
    rosterQuery(db).where(eq(technicians.homeCell, cell)).limit(limit),
  ]);
  const [row] = one;
  return { entry: row ? toEntry(row) : undefined, cell: many.map(toEntry) };
}

export async function rosterOfCell(db: Db, cell: string): Promise<RosterEntry[]> {
  return (await rosterQuery(db).where(eq(technicians.homeCell, cell))).map(toEntry);
}

/** Per cell: the newest technician update (the roster version) and how many are approved. */
export async function cellVersions(db: Db, cells: string[]): Promise<Map<string, { version: number; approved: number }>> {
  if (cells.length === 0) return new Map();
  return versionsOf(await versionsQuery(db, cells));
}

function versionsQuery(db: Db, cells: string[]) {
  return db
    .select({
      cell: technicians.homeCell,
      version: sql<number>`max(${technicians.updatedAt})`,
      approved: sql<number>`sum(case when ${technicians.status} = 'approved' then 1 else 0 end)`,
    })
    .from(technicians)
    .where(inArray(technicians.homeCell, cells))
    .groupBy(technicians.homeCell);
}

function versionsOf(rows: { cell: string; version: number; approved: number }[]) {
  return new Map(rows.map((r) => [r.cell, { version: Number(r.version), approved: Number(r.approved) }]));
}

/** True while the technician is unchanged since `updatedAt` (a copy read earlier). */
export function technicianAsRead(technicianId: string, updatedAt: number): Guard {
  return { sql: "EXISTS (SELECT 1 FROM technicians WHERE id = ? AND updated_at = ?)", params: [technicianId, updatedAt] };
}

/**
 * cellVersions, and in the same round trip whether the merchant lets dispatch use platform
 * technicians (merchants.platform_technicians; false for an unknown merchant).
 */
export async function cellVersionsForMerchant(
  db: Db,
  cells: string[],
  merchantId: string,
): Promise<{ versions: Map<string, { version: number; approved: number }>; platformTechnicians: boolean }> {
  const [rows, [merchant]] = await db.batch([
    versionsQuery(db, cells),
    db.select({ platformTechnicians: merchants.platformTechnicians }).from(merchants).where(eq(merchants.id, merchantId)).limit(1),
  ]);
  return { versions: versionsOf(rows), platformTechnicians: merchant?.platformTechnicians ?? false };
}

/**
 * The merchant rule of each of `orderIds` that is a merchant's order (platform orders and unknown
 * ids are left out): whose technicians batched dispatch may move it to, as the records say now.
 */
export async function merchantRulesOfOrders(
  db: Db,
  orderIds: string[],
): Promise<Record<string, { merchantId: string; platformTechnicians: boolean }>> {
  const out: Record<string, { merchantId: string; platformTechnicians: boolean }> = {};
  for (const ids of chunked(orderIds, 90)) {
    const rows = await db
      .select({ id: orders.id, merchantId: merchants.id, platformTechnicians: merchants.platformTechnicians })
      .from(orders)
      .innerJoin(merchants, eq(merchants.id, orders.merchantId))
      .where(inArray(orders.id, ids));
    for (const r of rows) out[r.id] = { merchantId: r.merchantId, platformTechnicians: r.platformTechnicians };
  }
  return out;
}

/** The merchant of each technician (null: a platform technician); unknown ids are left out. */
export async function technicianMerchants(db: Db, ids: string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (const part of chunked([...new Set(ids)], 90)) {
    const rows = await db
      .select({ id: technicians.id, merchantId: technicians.merchantId })
      .from(technicians)
      .where(inArray(technicians.id, part));
    for (const r of rows) out.set(r.id, r.merchantId);
  }
  return out;
}
