import { and, eq, gt, gte, isNull, lte, sql } from "drizzle-orm";
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
 * Judges one guess at the code, atomically: one batch (a single D1 transaction) that
 *  1. counts the guess (`attempts + 1`) whatever it is, so every guess takes one of the
 *     `maxAttempts` places in order, however many arrive at once;
 *  2. consumes the code when the guess matches, has a place within the limit and the code is
 *     still valid (a delete, so a code signs in once);
 *  3. burns the code once the limit is reached.
 * No guess is compared after the `maxAttempts`-th, even under a burst of concurrent guesses:
 * there is no read-then-write between the count and the comparison.
 */
export async function consumeOtp(db: Db, phoneHash: string, codeHash: string, maxAttempts: number, now = Date.now()): Promise<OtpCheck> {
  const [counted, consumed] = await db.batch([
    db
      .update(otpCodes)
      .set({ attempts: sql`${otpCodes.attempts} + 1` })
      .where(eq(otpCodes.phoneHash, phoneHash))
      .returning({ attempts: otpCodes.attempts, expiresAt: otpCodes.expiresAt }),
    db
      .delete(otpCodes)
      .where(
        and(
          eq(otpCodes.phoneHash, phoneHash),
          eq(otpCodes.codeHash, codeHash),
          gt(otpCodes.expiresAt, now),
          lte(otpCodes.attempts, maxAttempts),
        ),
      )
      .returning({ phoneHash: otpCodes.phoneHash }),
    db.delete(otpCodes).where(and(eq(otpCodes.phoneHash, phoneHash), gte(otpCodes.attempts, maxAttempts))),
  ]);
  if (consumed.length > 0) return "ok";
  const row = counted[0];
  // No code, an expired one, or a guess that came after the code was burnt: nothing was compared.
  if (!row || row.expiresAt <= now || row.attempts > maxAttempts) return "expired";
  return row.attempts === maxAttempts ? "exhausted" : "wrong";
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
