/**
 * What decides whether an account's tokens still work: its token version (carried in every access
 * token), its status (staff disable accounts), and its refresh tokens.
 */
import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import type { DisableReason } from "../../domain/account-status";
import type { Db } from "../client";
import { accounts, merchants, refreshTokens } from "../schema";
import type { AccountRow } from "./accounts.repo";
import { insertRow, type Guard } from "./statements";

export interface TokenState {
  tokenVersion: number;
  status: AccountRow["status"];
  disabledReason: DisableReason | null;
}

/** The token version and status of an account (undefined when it does not exist). */
export async function tokenStateOf(db: Db, accountId: string): Promise<TokenState | undefined> {
  const [row] = await db
    .select({ tokenVersion: accounts.tokenVersion, status: accounts.status, disabledReason: accounts.disabledReason })
    .from(accounts)
    .where(eq(accounts.id, accountId))
    .limit(1);
  return row;
}

const bump = { tokenVersion: sql`${accounts.tokenVersion} + 1` };

/** Revokes every live refresh token of the account (all its sign-ins). */
function revokeAllOf(db: Db, accountId: string, now: number) {
  return db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.accountId, accountId), isNull(refreshTokens.revokedAt)));
}

/**
 * Signs the account out everywhere in one batch: its token version goes up (every access token
 * issued before stops working) and every refresh token is revoked. Returns the new version.
 */
export async function revokeAllTokens(db: Db, accountId: string, now = Date.now()): Promise<number | undefined> {
  const [bumped] = await db.batch([
    db.update(accounts).set(bump).where(eq(accounts.id, accountId)).returning({ tokenVersion: accounts.tokenVersion }),
    revokeAllOf(db, accountId, now),
  ]);
  return bumped[0]?.tokenVersion;
}

/** Raises the token version of an account (its access tokens stop working; its refresh tokens still rotate). */
export async function bumpTokenVersion(db: Db, accountId: string): Promise<void> {
  await db.update(accounts).set(bump).where(eq(accounts.id, accountId));
}

/**
 * Disables an active account in one batch: status, reason, note and time; its token version goes up
 * and every refresh token is revoked. Undefined when the account is not active (or does not exist).
 */
export async function disableAccount(
  db: Db,
  input: { accountId: string; reason: DisableReason; note: string | null },
  now = Date.now(),
): Promise<AccountRow | undefined> {
  const [rows] = await db.batch([
    db
      .update(accounts)
      .set({ status: "disabled", disabledReason: input.reason, disabledNote: input.note, disabledAt: now, updatedAt: now, ...bump })
      .where(and(eq(accounts.id, input.accountId), eq(accounts.status, "active")))
      .returning(),
    revokeAllOf(db, input.accountId, now),
  ]);
  return rows[0];
}

/** Enables a disabled account again. Undefined when it was not disabled. */
export async function enableAccount(db: Db, accountId: string, now = Date.now()): Promise<AccountRow | undefined> {
  const [row] = await db
    .update(accounts)
    .set({ status: "active", disabledReason: null, disabledNote: null, disabledAt: null, updatedAt: now })
    .where(and(eq(accounts.id, accountId), eq(accounts.status, "disabled")))
    .returning();
  return row;
}

/**
 * Sets a merchant active or not; deactivating also raises the token version of every account tied
 * to it, in the same batch, so its administrators' access tokens stop working at once.
 * Returns the ids of the accounts whose version went up (empty when none or when activating).
 */
export async function setMerchantActive(
  db: Db,
  input: { merchantId: string; active: boolean },
  now = Date.now(),
): Promise<{ found: boolean; revoked: string[] }> {
  const update = db
    .update(merchants)
    .set({ active: input.active, updatedAt: now })
    .where(eq(merchants.id, input.merchantId))
    .returning({ id: merchants.id });
  if (input.active) return { found: (await update).length > 0, revoked: [] };
  const [merchant, admins] = await db.batch([
    update,
    db.update(accounts).set(bump).where(eq(accounts.merchantId, input.merchantId)).returning({ id: accounts.id }),
  ]);
  return { found: merchant.length > 0, revoked: admins.map((a) => a.id) };
}

/**
 * Stores a refresh token unless its family was revoked meanwhile (reuse detected by a concurrent
 * exchange): one conditional insert, so a family revoked while a rotation was under way stays dead.
 * False when the family is revoked.
 */
export async function insertRefreshTokenIfFamilyLive(
  db: Db,
  row: { id: string; familyId: string; accountId: string; tokenHash: string; expiresAt: number },
  now = Date.now(),
): Promise<boolean> {
  const familyLive: Guard = {
    sql: "NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NOT NULL)",
    params: [row.familyId],
  };
  const result = await insertRow(db, refreshTokens, { ...row, createdAt: now }, familyLive).run();
  return result.meta.changes > 0;
}

/** A page of accounts by id, optionally only disabled ones or the one with a phone hash (`limit + 1` rows). */
export async function listAccounts(
  db: Db,
  opts: { afterId?: string; limit: number; status?: AccountRow["status"]; phoneHash?: string },
): Promise<AccountRow[]> {
  return db
    .select()
    .from(accounts)
    .where(
      and(
        opts.afterId !== undefined ? gt(accounts.id, opts.afterId) : undefined,
        opts.status !== undefined ? eq(accounts.status, opts.status) : undefined,
        opts.phoneHash !== undefined ? eq(accounts.phoneHash, opts.phoneHash) : undefined,
      ),
    )
    .orderBy(asc(accounts.id))
    .limit(opts.limit + 1);
}
