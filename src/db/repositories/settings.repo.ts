import { eq } from "drizzle-orm";
import type { Db } from "../client";
import { settings } from "../schema";

export type SettingRow = typeof settings.$inferSelect;

export async function findSetting(db: Db, key: string): Promise<SettingRow | undefined> {
  return db.query.settings.findFirst({ where: eq(settings.key, key) });
}

/** Writes a setting (insert or replace its value). */
export async function putSetting(db: Db, key: string, value: unknown, updatedBy: string, now = Date.now()): Promise<void> {
  await db
    .insert(settings)
    .values({ key, value, updatedBy, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedBy, updatedAt: now } });
}

/** Clears a setting (the Worker variable applies again). True when there was one. */
export async function deleteSetting(db: Db, key: string): Promise<boolean> {
  const rows = await db.delete(settings).where(eq(settings.key, key)).returning({ key: settings.key });
  return rows.length > 0;
}
