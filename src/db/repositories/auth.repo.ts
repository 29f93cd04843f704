import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { otpCodes, refreshTokens } from "../schema";

/** Stores a fresh code for a phone, replacing any earlier one and its attempt count. */
export async function putOtp(db: Db, phoneHash: string, codeHash: string, expiresAt: number, now = Date.now()) {
  await db
    .insert(otpCodes)
    .values({ phoneHash, codeHash, expiresAt, attempts: 0, createdAt: now })
    .onConflictDoUpdate({ target: otpCodes.phoneHash, set: { codeHash, expiresAt, attempts: 0, createdAt: now } });
}

export type OtpCheck = "ok" | "wrong" | "expired" | "exhausted";

/**
 * Consumes the code when it matches (one atomic delete, so a code signs in once); otherwise counts
 * a wrong attempt and burns the code once `maxAttempts` is reached.
 */
export async function consumeOtp(db: Db, phoneHash: string, codeHash: string, maxAttempts: number, now = Date.now()): Promise<OtpCheck> {
  const consumed = await db
    .delete(otpCodes)
    .where(
      and(
        eq(otpCodes.phoneHash, phoneHash),
        eq(otpCodes.codeHash, codeHash),
        gt(otpCodes.expiresAt, now),
        lt(otpCodes.attempts, maxAttempts),
      ),
    )
    .returning({ phoneHash: otpCodes.phoneHash });
  if (consumed.length > 0) return "ok";
  const [row] = await db
    .update(otpCodes)
    .set({ attempts: sql`${otpCodes.attempts} + 1` })
    .where(eq(otpCodes.phoneHash, phoneHash))
    .returning({ attempts: otpCodes.attempts, expiresAt: otpCodes.expiresAt });
  if (!row || row.expiresAt <= now) return "expired";
  if (row.attempts >= maxAttempts) {
    await db.delete(otpCodes).where(eq(otpCodes.phoneHash, phoneHash));
    return "exhausted";
  }
  return "wrong";
}

export async function insertRefreshToken(
  db: Db,
  row: { id: string; familyId: string; accountId: string; tokenHash: string; expiresAt: number },
  now = Date.now(),
) {
  await db.insert(refreshTokens).values({ ...row, createdAt: now });
}

export type RefreshUse =
  { kind: "ok"; familyId: string; accountId: string } | { kind: "reused"; familyId: string; accountId: string } | { kind: "invalid" };

/**
 * Marks a refresh token used, atomically: only one concurrent exchange can win. A token that was
 * already used is reuse (a stolen copy or a replay): the caller revokes its whole family.
 */
export async function useRefreshToken(db: Db, tokenHash: string, now = Date.now()): Promise<RefreshUse> {
  const [won] = await db
    .update(refreshTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(refreshTokens.tokenHash, tokenHash),
        isNull(refreshTokens.usedAt),
        isNull(refreshTokens.revokedAt),
        gt(refreshTokens.expiresAt, now),
      ),
    )
    .returning({ familyId: refreshTokens.familyId, accountId: refreshTokens.accountId });
  if (won) return { kind: "ok", ...won };
  const existing = await db.query.refreshTokens.findFirst({ where: eq(refreshTokens.tokenHash, tokenHash) });
  if (existing && existing.usedAt !== null) return { kind: "reused", familyId: existing.familyId, accountId: existing.accountId };
  return { kind: "invalid" };
}

export async function revokeFamily(db: Db, familyId: string, now = Date.now()) {
  await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

export async function findRefreshToken(db: Db, tokenHash: string) {
  return db.query.refreshTokens.findFirst({ where: eq(refreshTokens.tokenHash, tokenHash) });
}
