import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { addresses } from "../schema";
import type { Guard } from "./statements";

export type AddressRow = typeof addresses.$inferSelect;
export type AddressPatch = Partial<
  Pick<
    AddressRow,
    "label" | "textEnc" | "coordsEnc" | "areaLat" | "areaLng" | "lat" | "lng" | "cell" | "contactNameEnc" | "contactPhoneEnc"
  >
>;

const live = (accountId: string, id?: string) =>
  and(eq(addresses.accountId, accountId), isNull(addresses.deletedAt), id === undefined ? undefined : eq(addresses.id, id));

/**
 * Inserts an address unless its account already has `max` live ones. The count and the insert are
 * one statement, so concurrent requests cannot push an account past the limit. False when full.
 */
export async function insertAddressWithin(db: Db, row: AddressRow, max: number): Promise<boolean> {
  const result = await db.run(sql`
    INSERT INTO addresses (id, account_id, label, text_enc, coords_enc, area_lat, area_lng, lat, lng, cell, contact_name_enc, contact_phone_enc, deleted_at, created_at, updated_at)
    SELECT ${row.id}, ${row.accountId}, ${row.label}, ${row.textEnc}, ${row.coordsEnc}, ${row.areaLat}, ${row.areaLng}, ${row.lat}, ${row.lng}, ${row.cell},
           ${row.contactNameEnc}, ${row.contactPhoneEnc}, NULL, ${row.createdAt}, ${row.updatedAt}
    WHERE (SELECT COUNT(*) FROM addresses WHERE account_id = ${row.accountId} AND deleted_at IS NULL) < ${max}`);
  return result.meta.changes > 0;
}

/** The account's live (not deleted) addresses, oldest first. */
export async function listAddresses(db: Db, accountId: string): Promise<AddressRow[]> {
  return db.select().from(addresses).where(live(accountId)).orderBy(asc(addresses.id));
}

export async function updateAddress(
  db: Db,
  accountId: string,
  id: string,
  patch: AddressPatch,
  now = Date.now(),
): Promise<AddressRow | undefined> {
  const [row] = await db
    .update(addresses)
    .set({ ...patch, updatedAt: now })
    .where(live(accountId, id))
    .returning();
  return row;
}

/** Marks a live address deleted; false when there was none to delete. */
export async function softDeleteAddress(db: Db, accountId: string, id: string, now = Date.now()): Promise<boolean> {
  const rows = await db
    .update(addresses)
    .set({ deletedAt: now, updatedAt: now })
    .where(live(accountId, id))
    .returning({ id: addresses.id });
  return rows.length > 0;
}

/** One live address of an account (undefined for someone else's or a deleted one). */
export async function findOwnAddress(db: Db, accountId: string, id: string): Promise<AddressRow | undefined> {
  const [row] = await db
    .select()
    .from(addresses)
    .where(and(eq(addresses.id, id), eq(addresses.accountId, accountId), isNull(addresses.deletedAt)))
    .limit(1);
  return row;
}

/** True while the customer's address is still theirs, not deleted and unchanged since `updatedAt` (a copy read earlier). */
export function addressAsRead(accountId: string, id: string, updatedAt: number): Guard {
  return {
    sql: "EXISTS (SELECT 1 FROM addresses WHERE id = ? AND account_id = ? AND deleted_at IS NULL AND updated_at = ?)",
    params: [id, accountId, updatedAt],
  };
}
