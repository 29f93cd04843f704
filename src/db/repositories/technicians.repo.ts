import { and, asc, eq, gt, inArray, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { accounts, merchants, technicians } from "../schema";
import type { Role } from "../../domain/roles";

export type TechnicianRow = typeof technicians.$inferSelect;
export type TechnicianStatus = TechnicianRow["status"];

/** A technician with the encrypted phone of its account (the phone lives on the account). */
export interface TechnicianWithPhone {
  technician: TechnicianRow;
  phoneEnc: string;
}

export async function merchantExists(db: Db, id: string): Promise<boolean> {
  const row = await db.query.merchants.findFirst({ where: eq(merchants.id, id), columns: { id: true } });
  return row !== undefined;
}

export async function findTechnicianByAccount(db: Db, accountId: string): Promise<TechnicianRow | undefined> {
  return db.query.technicians.findFirst({ where: eq(technicians.accountId, accountId) });
}

/**
 * Writes the technician profile and the account's new roles in one atomic batch. A second profile
 * for the same account fails on the unique account index and changes nothing.
 */
export async function insertTechnician(db: Db, row: TechnicianRow, accountRoles: Role[]): Promise<void> {
  await db.batch([
    db.insert(technicians).values(row),
    db.update(accounts).set({ roles: accountRoles, updatedAt: row.createdAt }).where(eq(accounts.id, row.accountId)),
  ]);
}

/** One technician with its account's phone, optionally only within a merchant. */
export async function findTechnician(db: Db, id: string, merchantId?: string): Promise<TechnicianWithPhone | undefined> {
  const where = merchantId === undefined ? eq(technicians.id, id) : and(eq(technicians.id, id), eq(technicians.merchantId, merchantId));
  const [row] = await db
    .select({ technician: technicians, phoneEnc: accounts.phoneEnc })
    .from(technicians)
    .innerJoin(accounts, eq(accounts.id, technicians.accountId))
    .where(where);
  return row;
}

export interface TechnicianFilter {
  merchantId?: string;
  cityId?: string;
  homeCell?: string;
  status?: TechnicianStatus;
  afterId?: string;
}

/** A page of technicians ordered by id, `limit` rows from after `afterId`. */
export async function listTechnicians(db: Db, filter: TechnicianFilter, limit: number): Promise<TechnicianWithPhone[]> {
  const conditions: SQL[] = [];
  if (filter.merchantId !== undefined) conditions.push(eq(technicians.merchantId, filter.merchantId));
  if (filter.cityId !== undefined) conditions.push(eq(technicians.cityId, filter.cityId));
  if (filter.homeCell !== undefined) conditions.push(eq(technicians.homeCell, filter.homeCell));
  if (filter.status !== undefined) conditions.push(eq(technicians.status, filter.status));
  if (filter.afterId !== undefined) conditions.push(gt(technicians.id, filter.afterId));
  return db
    .select({ technician: technicians, phoneEnc: accounts.phoneEnc })
    .from(technicians)
    .innerJoin(accounts, eq(accounts.id, technicians.accountId))
    .where(and(...conditions))
    .orderBy(asc(technicians.id))
    .limit(limit);
}

/**
 * Moves a technician to `to` only while its status is one of `from`: a single conditional update,
 * so two concurrent decisions cannot both apply. Returns false when the status did not allow it.
 */
export async function transitionTechnician(db: Db, id: string, from: TechnicianStatus[], to: TechnicianStatus, now = Date.now()) {
  const rows = await db
    .update(technicians)
    .set({ status: to, updatedAt: now })
    .where(and(eq(technicians.id, id), inArray(technicians.status, from)))
    .returning({ id: technicians.id });
  return rows.length > 0;
}

/** Changes a technician's name, skills or service radius (and `updated_at`, the roster version); false when there is none. */
export async function updateTechnicianProfile(
  db: Db,
  id: string,
  patch: Partial<Pick<TechnicianRow, "name" | "skills" | "serviceRadiusKm">>,
  now = Date.now(),
): Promise<boolean> {
  const rows = await db
    .update(technicians)
    .set({ ...patch, updatedAt: now })
    .where(eq(technicians.id, id))
    .returning({ id: technicians.id });
  return rows.length > 0;
}
