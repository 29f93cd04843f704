/**
 * The coupons area's SQL for src/privacy: a person's wallet, referrals and birthday for their data
 * export, and what their account deletion changes (personal-data.service.ts).
 */
import type { Db } from "../db/client";

type Row = Record<string, unknown>;

async function all<T = Row>(db: Db, query: string, ...params: unknown[]): Promise<T[]> {
  return (
    await db.$client
      .prepare(query)
      .bind(...params)
      .all<T>()
  ).results;
}

/** The coupons bound to the person's account (their wallet), oldest first. */
export const walletRowsOf = (db: Db, accountId: string) =>
  all(
    db,
    `SELECT id, code, name, kind, value, max_discount, min_total, service_ids, starts_at, ends_at, active, source, campaign_id, created_at
       FROM coupons WHERE account_id = ? ORDER BY created_at, id`,
    accountId,
  );

/** The coupons the person redeemed on their orders (any coupon, a typed code too), oldest first. */
export const redemptionRowsOf = (db: Db, accountId: string) =>
  all(
    db,
    "SELECT order_id, coupon_id, amount, status, created_at, released_at FROM coupon_redemptions WHERE customer_id = ? ORDER BY created_at",
    accountId,
  );

export const referralCodeRowOf = async (db: Db, accountId: string) =>
  (await all<{ code: string; created_at: number }>(db, "SELECT code, created_at FROM referral_codes WHERE account_id = ?", accountId))[0] ??
  null;

/** The invitations the person made (others accepted their code) and the one they accepted. */
export const referralRowsOf = (db: Db, accountId: string) =>
  all(
    db,
    "SELECT referee_id, referrer_id, status, reason, order_id, created_at, decided_at FROM referrals WHERE referrer_id = ?1 OR referee_id = ?1 ORDER BY created_at",
    accountId,
  );

export const deviceRowsOf = (db: Db, accountId: string) =>
  all<{ created_at: number }>(db, "SELECT created_at FROM referral_devices WHERE account_id = ? ORDER BY created_at", accountId);

export const birthdayOf = async (db: Db, accountId: string) =>
  (await all<{ month_day: string }>(db, "SELECT month_day FROM birthdays WHERE account_id = ?", accountId))[0]?.month_day ?? null;

/**
 * The deletion's statements: the birthday, the device and payer hashes and the share code go (nobody can be
 * invited by the deleted account any more); wallet coupons, redemptions and referrals stay (a
 * coupon's discount is money the platform paid), naming only the account's id, which stays as the
 * tombstone's; the wallet's coupons are switched off.
 */
export function couponsErasureStatements(db: Db, accountId: string, now: number): D1PreparedStatement[] {
  const raw = db.$client;
  return [
    raw.prepare("DELETE FROM birthdays WHERE account_id = ?").bind(accountId),
    raw.prepare("DELETE FROM referral_devices WHERE account_id = ?").bind(accountId),
    raw.prepare("DELETE FROM payment_payers WHERE account_id = ?").bind(accountId),
    raw.prepare("DELETE FROM referral_codes WHERE account_id = ?").bind(accountId),
    raw.prepare("UPDATE coupons SET active = 0, updated_at = ? WHERE account_id = ? AND active = 1").bind(now, accountId),
  ];
}
