import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { accounts, merchants } from "../schema";
import type { Role } from "../../domain/roles";
import type { AccountRow } from "./accounts.repo";

export type MerchantRow = typeof merchants.$inferSelect;

export async function insertMerchant(db: Db, row: MerchantRow): Promise<void> {
  await db.insert(merchants).values(row);
}

export async function findMerchant(db: Db, id: string): Promise<MerchantRow | undefined> {
  return db.query.merchants.findFirst({ where: eq(merchants.id, id) });
}

/** A page of merchants ordered by id (`limit + 1` rows), optionally only the one with `onlyId`. */
export async function listMerchants(db: Db, opts: { afterId?: string; limit: number; onlyId?: string }): Promise<MerchantRow[]> {
  return db
    .select()
    .from(merchants)
    .where(
      and(
        opts.afterId !== undefined ? gt(merchants.id, opts.afterId) : undefined,
        opts.onlyId !== undefined ? eq(merchants.id, opts.onlyId) : undefined,
      ),
    )
    .orderBy(asc(merchants.id))
    .limit(opts.limit + 1);
}

export async function updateMerchant(
  db: Db,
  id: string,
  patch: Partial<Pick<MerchantRow, "name" | "active" | "platformTechnicians">>,
  now = Date.now(),
): Promise<MerchantRow | undefined> {
  const [row] = await db
    .update(merchants)
    .set({ ...patch, updatedAt: now })
    .where(eq(merchants.id, id))
    .returning();
  return row;
}

const isMerchantAdmin = sql`exists (select 1 from json_each(${accounts.roles}) where json_each.value = 'merchant_admin')`;

/** A page of the accounts administering a merchant, ordered by account id (`limit + 1` rows). */
export async function listMerchantAdmins(db: Db, merchantId: string, opts: { afterId?: string; limit: number }): Promise<AccountRow[]> {
  return db
    .select()
    .from(accounts)
    .where(
      and(eq(accounts.merchantId, merchantId), isMerchantAdmin, opts.afterId !== undefined ? gt(accounts.id, opts.afterId) : undefined),
    )
    .orderBy(asc(accounts.id))
    .limit(opts.limit + 1);
}

/**
 * Makes an account administer a merchant, in one conditional statement: it applies only while the
 * account administers no other merchant and its roles are still `expectedRoles`, so neither a
 * concurrent grant for another merchant nor a concurrent role change is overwritten.
 * Returns the updated row, or undefined when the condition no longer held.
 */
export async function grantMerchantAdmin(
  db: Db,
  input: { accountId: string; merchantId: string; expectedRoles: Role[]; roles: Role[] },
  now = Date.now(),
): Promise<AccountRow | undefined> {
  const [row] = await db
    .update(accounts)
    .set({ roles: input.roles, merchantId: input.merchantId, updatedAt: now })
    .where(
      and(
        eq(accounts.id, input.accountId),
        or(isNull(accounts.merchantId), eq(accounts.merchantId, input.merchantId)),
        eq(accounts.roles, input.expectedRoles),
      ),
    )
    .returning();
  return row;
}

/**
 * Ends an account's administration of a merchant (role and link together), provided it still
 * administers that merchant with roles `expectedRoles`, and raises its token version so access
 * tokens carrying the role stop working. Returns the updated row, or undefined.
 */
export async function revokeMerchantAdmin(
  db: Db,
  input: { accountId: string; merchantId: string; expectedRoles: Role[]; roles: Role[] },
  now = Date.now(),
): Promise<AccountRow | undefined> {
  const [row] = await db
    .update(accounts)
    .set({ roles: input.roles, merchantId: null, updatedAt: now, tokenVersion: sql`${accounts.tokenVersion} + 1` })
    .where(and(eq(accounts.id, input.accountId), eq(accounts.merchantId, input.merchantId), eq(accounts.roles, input.expectedRoles)))
    .returning();
  return row;
}
