/** Devices registered for push notices: one row per provider token, several per account. */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../client";
import { pushDevices } from "../schema";

export type PushDeviceRow = typeof pushDevices.$inferSelect;

/**
 * Registers a token for `accountId`. A token already known (same provider) moves to the account
 * and is refreshed, keeping its id: registering twice is harmless.
 */
export async function upsertDevice(
  db: Db,
  d: {
    id: string;
    accountId: string;
    platform: PushDeviceRow["platform"];
    provider: PushDeviceRow["provider"];
    token: string;
    appVersion: string;
  },
  now = Date.now(),
): Promise<PushDeviceRow> {
  const [row] = await db
    .insert(pushDevices)
    .values({ ...d, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [pushDevices.provider, pushDevices.token],
      set: { accountId: d.accountId, platform: d.platform, appVersion: d.appVersion, updatedAt: now },
    })
    .returning();
  return row!;
}

export function listDevices(db: Db, accountId: string): Promise<PushDeviceRow[]> {
  return db.select().from(pushDevices).where(eq(pushDevices.accountId, accountId)).orderBy(asc(pushDevices.id)).all();
}

/** Removes one of the account's devices; false when the account has no such device. */
export async function deleteDevice(db: Db, accountId: string, id: string): Promise<boolean> {
  const gone = await db
    .delete(pushDevices)
    .where(and(eq(pushDevices.id, id), eq(pushDevices.accountId, accountId)))
    .returning({ id: pushDevices.id });
  return gone.length > 0;
}

/** Drops devices whose tokens the provider no longer knows. */
export async function deleteDevicesById(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.delete(pushDevices).where(inArray(pushDevices.id, ids));
}
