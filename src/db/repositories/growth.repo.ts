/**
 * The coupon wallet, campaigns, referrals and share cards: wallet coupons are rows of `coupons`
 * bound to an account (src/db/repositories/coupons.repo.ts redeems and releases them, and counts a
 * campaign's spend in the order's batch).
 */
import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { birthdays, campaignLimits, campaigns, coupons, merchants, referralCodes, referralDevices, referrals, services } from "../schema";
import type { CouponRow } from "./coupons.repo";
import { insertRow, type Guard } from "./statements";

export type CampaignRow = typeof campaigns.$inferSelect;
export type CampaignLimitsRow = typeof campaignLimits.$inferSelect;
export type ReferralRow = typeof referrals.$inferSelect;

// ——— wallet ———

/** The account's wallet coupons, newest first. */
export async function walletCoupons(db: Db, accountId: string, q: { beforeId?: string }, limit: number): Promise<CouponRow[]> {
  return db
    .select()
    .from(coupons)
    .where(and(eq(coupons.accountId, accountId), q.beforeId ? lt(coupons.id, q.beforeId) : undefined))
    .orderBy(desc(coupons.id))
    .limit(limit);
}

/**
 * The coupons a quote of the customer could use at `now`: the wallet's usable ones and the public
 * codes of running promotions of the service's merchant or the platform (at most 50, enough for a wallet).
 */
export async function usableCoupons(db: Db, customerId: string, merchantId: string | null, now: number): Promise<CouponRow[]> {
  return db
    .select()
    .from(coupons)
    .where(
      and(
        eq(coupons.active, true),
        sql`${coupons.startsAt} <= ${now} AND ${coupons.endsAt} > ${now}`,
        sql`(${coupons.totalLimit} IS NULL OR ${coupons.redeemed} < ${coupons.totalLimit})`,
        or(
          eq(coupons.accountId, customerId),
          and(
            isNull(coupons.accountId),
            sql`${coupons.campaignId} IN (SELECT id FROM campaigns WHERE kind = 'promotion' AND active = 1)`,
            merchantId === null ? isNull(coupons.merchantId) : or(isNull(coupons.merchantId), eq(coupons.merchantId, merchantId)),
          ),
        ),
      ),
    )
    .orderBy(desc(coupons.id))
    .limit(50);
}

/** Inserts wallet coupons, each only once per issue key (an existing key is left as it is); how many were new. */
export async function insertWalletCoupons(db: Db, rows: CouponRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const results = await db.$client.batch(rows.map((r) => insertRow(db, coupons, r, undefined, true)));
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}

/** A wallet coupon insert that happens only under `guard` (and once per issue key). */
export const guardedWalletCoupon = (db: Db, row: CouponRow, guard: Guard) => insertRow(db, coupons, row, guard, true);

// ——— campaigns ———

export async function findCampaign(db: Db, id: string): Promise<CampaignRow | undefined> {
  const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id)).limit(1);
  return row;
}

export async function listCampaigns(
  db: Db,
  q: { beforeId?: string; merchantId?: string; active?: boolean },
  limit: number,
): Promise<CampaignRow[]> {
  return db
    .select()
    .from(campaigns)
    .where(
      and(
        q.beforeId ? lt(campaigns.id, q.beforeId) : undefined,
        q.merchantId === undefined ? undefined : eq(campaigns.merchantId, q.merchantId),
        q.active === undefined ? undefined : eq(campaigns.active, q.active),
      ),
    )
    .orderBy(desc(campaigns.id))
    .limit(limit);
}

/** Inserts a campaign and, for a promotion, its public coupon in one batch; false when the coupon's code is taken. */
export async function insertCampaign(db: Db, row: CampaignRow, coupon?: CouponRow): Promise<boolean> {
  if (coupon) {
    const taken = await db.select({ id: coupons.id }).from(coupons).where(eq(coupons.code, coupon.code)).limit(1);
    if (taken.length) return false;
    const [, made] = await db.$client.batch([
      insertRow(db, campaigns, row),
      insertRow(db, coupons, coupon, undefined, true),
      // A race for the code lost: no campaign without its coupon.
    ]);
    if ((made?.meta.changes ?? 0) === 0) {
      await db.delete(campaigns).where(eq(campaigns.id, row.id));
      return false;
    }
    return true;
  }
  await db.insert(campaigns).values(row);
  return true;
}

/** The codes of these coupons (a promotion's public code), by coupon id. */
export async function couponCodes(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: coupons.id, code: coupons.code }).from(coupons).where(inArray(coupons.id, ids));
  return new Map(rows.map((r) => [r.id, r.code]));
}

export async function updateCampaign(
  db: Db,
  id: string,
  patch: Partial<Pick<CampaignRow, "nameZh" | "nameEn" | "active" | "budget" | "endsAt">>,
  now: number,
): Promise<CampaignRow | undefined> {
  const statements = [
    db.$client
      .prepare(
        `UPDATE campaigns SET name_zh = coalesce(?, name_zh), name_en = coalesce(?, name_en), active = coalesce(?, active),
           budget = coalesce(?, budget), ends_at = coalesce(?, ends_at), updated_at = ? WHERE id = ?`,
      )
      .bind(
        patch.nameZh ?? null,
        patch.nameEn ?? null,
        patch.active === undefined ? null : patch.active ? 1 : 0,
        patch.budget ?? null,
        patch.endsAt ?? null,
        now,
        id,
      ),
    // A promotion's public code follows its campaign's switch and end.
    db.$client
      .prepare(
        `UPDATE coupons SET active = coalesce(?, active), ends_at = coalesce(?, ends_at), updated_at = ?
         WHERE id = (SELECT coupon_id FROM campaigns WHERE id = ?)`,
      )
      .bind(patch.active === undefined ? null : patch.active ? 1 : 0, patch.endsAt ?? null, now, id),
  ];
  await db.$client.batch(statements);
  return findCampaign(db, id);
}

export async function findLimits(db: Db, merchantId: string): Promise<CampaignLimitsRow | undefined> {
  const [row] = await db.select().from(campaignLimits).where(eq(campaignLimits.merchantId, merchantId)).limit(1);
  return row;
}

export async function upsertLimits(db: Db, row: CampaignLimitsRow): Promise<void> {
  await db
    .insert(campaignLimits)
    .values(row)
    .onConflictDoUpdate({
      target: campaignLimits.merchantId,
      set: {
        maxBudget: row.maxBudget,
        maxValue: row.maxValue,
        maxPercent: row.maxPercent,
        updatedBy: row.updatedBy,
        updatedAt: row.updatedAt,
      },
    });
}

export async function merchantExists(db: Db, id: string): Promise<boolean> {
  return (await db.select({ id: merchants.id }).from(merchants).where(eq(merchants.id, id)).limit(1)).length > 0;
}

/** Of these services, the ones that belong to the merchant. */
export async function servicesOfMerchant(db: Db, merchantId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: services.id })
    .from(services)
    .where(and(eq(services.merchantId, merchantId), inArray(services.id, ids)));
  return rows.map((r) => r.id);
}

/** Of these account ids, the ones that exist. */
export async function existingAccounts(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.$client
    .prepare(`SELECT id FROM accounts WHERE id IN (${ids.map(() => "?").join(", ")})`)
    .bind(...ids)
    .all<{ id: string }>();
  return rows.results.map((r) => r.id);
}

/** Rule campaigns running at `now` (new customer, win-back, birthday). */
export async function runningRuleCampaigns(db: Db, now: number): Promise<CampaignRow[]> {
  return db
    .select()
    .from(campaigns)
    .where(
      and(
        eq(campaigns.active, true),
        inArray(campaigns.kind, ["new_customer", "win_back", "birthday"]),
        sql`${campaigns.startsAt} <= ${now} AND ${campaigns.endsAt} > ${now} AND ${campaigns.spent} < ${campaigns.budget}`,
      ),
    );
}

/**
 * Active customer accounts the rule makes eligible and that do not hold the campaign's coupon under
 * `keyOf` yet (at most `limit`): `new_customer` no order at all; `win_back` orders, none in the
 * last `winBackDays`; `birthday` the birthday is `monthDay`.
 */
export async function eligibleAccounts(
  db: Db,
  c: CampaignRow,
  a: { now: number; monthDay: string; keyPrefix: string; keySuffix: string },
  limit: number,
): Promise<string[]> {
  const customer = `a.status = 'active' AND EXISTS (SELECT 1 FROM json_each(a.roles) WHERE value = 'customer')`;
  const notHeld = `NOT EXISTS (SELECT 1 FROM coupons k WHERE k.issue_key = ? || a.id || ?)`;
  let rule: string;
  const params: unknown[] = [];
  if (c.kind === "new_customer") rule = `NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = a.id)`;
  else if (c.kind === "win_back") {
    rule = `EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = a.id)
      AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = a.id AND o.created_at > ?)`;
    params.push(a.now - (c.winBackDays ?? 90) * 86_400_000);
  } else {
    rule = `EXISTS (SELECT 1 FROM birthdays b WHERE b.account_id = a.id AND b.month_day = ?)`;
    params.push(a.monthDay);
  }
  const rows = await db.$client
    .prepare(`SELECT a.id FROM accounts a WHERE ${customer} AND ${rule} AND ${notHeld} ORDER BY a.id LIMIT ?`)
    .bind(...params, a.keyPrefix, a.keySuffix, limit)
    .all<{ id: string }>();
  return rows.results.map((r) => r.id);
}

export async function setBirthday(db: Db, accountId: string, monthDay: string, now: number): Promise<void> {
  await db
    .insert(birthdays)
    .values({ accountId, monthDay, updatedAt: now })
    .onConflictDoUpdate({ target: birthdays.accountId, set: { monthDay, updatedAt: now } });
}

// ——— referrals ———

/** The account's share code, made with `fresh` the first time (a code taken by another account: undefined). */
export async function ensureReferralCode(db: Db, accountId: string, fresh: string, now: number): Promise<string | undefined> {
  await db.insert(referralCodes).values({ accountId, code: fresh, createdAt: now }).onConflictDoNothing();
  const [row] = await db.select().from(referralCodes).where(eq(referralCodes.accountId, accountId)).limit(1);
  return row?.code;
}

export async function accountOfCode(db: Db, code: string): Promise<string | undefined> {
  const [row] = await db.select().from(referralCodes).where(eq(referralCodes.code, code)).limit(1);
  return row?.accountId;
}

export async function referralCodeOf(db: Db, accountId: string): Promise<string | undefined> {
  const [row] = await db.select().from(referralCodes).where(eq(referralCodes.accountId, accountId)).limit(1);
  return row?.code;
}

export async function rememberDevice(db: Db, accountId: string, deviceHash: string, now: number): Promise<void> {
  await db.insert(referralDevices).values({ accountId, deviceHash, createdAt: now }).onConflictDoNothing();
}

export async function referralCounts(db: Db, referrerId: string): Promise<Record<"pending" | "rewarded" | "refused", number>> {
  const rows = await db
    .select({ status: referrals.status, n: sql<number>`count(*)` })
    .from(referrals)
    .where(eq(referrals.referrerId, referrerId))
    .groupBy(referrals.status);
  const out = { pending: 0, rewarded: 0, refused: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}

export async function findReferral(db: Db, refereeId: string): Promise<ReferralRow | undefined> {
  const [row] = await db.select().from(referrals).where(eq(referrals.refereeId, refereeId)).limit(1);
  return row;
}

/** Records the referral while the new customer has no order and no referral yet; false otherwise. */
export async function insertReferral(db: Db, refereeId: string, referrerId: string, now: number): Promise<boolean> {
  const result = await db.$client
    .prepare(
      `INSERT OR IGNORE INTO referrals (referee_id, referrer_id, status, reason, order_id, created_at, decided_at)
       SELECT ?, ?, 'pending', NULL, NULL, ?, NULL WHERE NOT EXISTS (SELECT 1 FROM orders WHERE customer_id = ?)`,
    )
    .bind(refereeId, referrerId, now, refereeId)
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/** Pending referrals whose new customer has a completed order now, with that (first) order, oldest first. */
export async function referralsToDecide(db: Db, limit: number): Promise<{ refereeId: string; referrerId: string; orderId: string }[]> {
  const rows = await db.$client
    .prepare(
      `SELECT r.referee_id AS refereeId, r.referrer_id AS referrerId,
         (SELECT o.id FROM orders o WHERE o.customer_id = r.referee_id AND o.status IN ('completed', 'after_sales') ORDER BY o.start_at LIMIT 1) AS orderId
       FROM referrals r WHERE r.status = 'pending' ORDER BY r.created_at LIMIT ?`,
    )
    .bind(limit)
    .all<{ refereeId: string; referrerId: string; orderId: string | null }>();
  return rows.results.filter((r): r is { refereeId: string; referrerId: string; orderId: string } => r.orderId !== null);
}

/** Whether the two accounts used one device (the same keyed `X-Device-Id`). */
export async function shareADevice(db: Db, a: string, b: string): Promise<boolean> {
  const row = await db.$client
    .prepare(
      `SELECT 1 AS x FROM referral_devices d1 JOIN referral_devices d2 ON d1.device_hash = d2.device_hash
       WHERE d1.account_id = ? AND d2.account_id = ? LIMIT 1`,
    )
    .bind(a, b)
    .first();
  return row !== null;
}

/** Whether the two accounts pay with one payment account: one WeChat person (a unionid bound to both), or one payer fingerprint in any provider's notifications. */
export async function shareAPayer(db: Db, a: string, b: string): Promise<boolean> {
  const row = await db.$client
    .prepare(
      `SELECT 1 AS x FROM wechat_bindings w1 JOIN wechat_bindings w2 ON w1.unionid = w2.unionid
       WHERE w1.account_id = ? AND w2.account_id = ? AND w1.unionid IS NOT NULL
       UNION ALL
       SELECT 1 AS x FROM payment_payers p1 JOIN payment_payers p2 ON p1.payer_hash = p2.payer_hash
       WHERE p1.account_id = ? AND p2.account_id = ?
       LIMIT 1`,
    )
    .bind(a, b, a, b)
    .first();
  return row !== null;
}

/** The sealed addresses an account has used: its saved ones and those of its newest orders (at most 20 each). */
export async function sealedAddressesOf(
  db: Db,
  accountId: string,
): Promise<{ saved: { id: string; textEnc: string }[]; ordered: string[] }> {
  const [saved, ordered] = await db.$client.batch<Record<string, string>>([
    db.$client.prepare("SELECT id, text_enc AS textEnc FROM addresses WHERE account_id = ? ORDER BY id DESC LIMIT 20").bind(accountId),
    db.$client.prepare("SELECT address_enc AS addressEnc FROM orders WHERE customer_id = ? ORDER BY id DESC LIMIT 20").bind(accountId),
  ]);
  return {
    saved: (saved?.results ?? []).map((r) => ({ id: r.id!, textEnc: r.textEnc! })),
    ordered: (ordered?.results ?? []).map((r) => r.addressEnc!),
  };
}

export async function orderAddressEnc(db: Db, orderId: string): Promise<string | undefined> {
  const row = await db.$client.prepare("SELECT address_enc AS a FROM orders WHERE id = ?").bind(orderId).first<{ a: string }>();
  return row?.a;
}

/** Decides a pending referral (the statement the reward coupons are guarded by). */
export function decideReferralStatement(
  db: Db,
  refereeId: string,
  d: { status: "rewarded" | "refused"; reason: string | null; orderId: string },
  now: number,
) {
  return db.$client
    .prepare("UPDATE referrals SET status = ?, reason = ?, order_id = ?, decided_at = ? WHERE referee_id = ? AND status = 'pending'")
    .bind(d.status, d.reason, d.orderId, now, refereeId);
}

export const referralRewarded = (refereeId: string, now: number): Guard => ({
  sql: "EXISTS (SELECT 1 FROM referrals WHERE referee_id = ? AND status = 'rewarded' AND decided_at = ?)",
  params: [refereeId, now],
});

// ——— share cards ———

export async function serviceCard(db: Db, id: string) {
  const [row] = await db
    .select({
      id: services.id,
      nameZh: services.nameZh,
      nameEn: services.nameEn,
      descriptionZh: services.descriptionZh,
      descriptionEn: services.descriptionEn,
      active: services.active,
    })
    .from(services)
    .where(eq(services.id, id))
    .limit(1);
  return row;
}

export async function technicianCard(db: Db, id: string) {
  return db.$client
    .prepare(
      `SELECT t.id, t.name, t.status, (SELECT 1 FROM technician_profile_photos p WHERE p.technician_id = t.id) AS hasPhoto
       FROM technicians t WHERE t.id = ?`,
    )
    .bind(id)
    .first<{ id: string; name: string; status: string; hasPhoto: number | null }>();
}
