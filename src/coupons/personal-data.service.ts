/**
 * The person's coupons and referrals for src/privacy: their part of the data export, and what their
 * account deletion changes (see personal-data.repo.ts `couponsErasureStatements`).
 */
import { getDb } from "../db/client";
import {
  birthdayOf,
  couponsErasureStatements,
  deviceRowsOf,
  redemptionRowsOf,
  referralCodeRowOf,
  referralRowsOf,
  walletRowsOf,
} from "./personal-data.repo";

const iso = (at: unknown) => (typeof at === "number" ? new Date(at).toISOString() : null);
const json = (v: unknown) => (typeof v === "string" ? (JSON.parse(v) as unknown) : v);

/**
 * The export's `coupons` part: the wallet's coupons and the redemptions, the share code, the
 * invitations made (without the invited person's id or order) and the one accepted (without the
 * inviter's id), how many devices were seen (their keyed hashes mean nothing to the person), the birthday.
 */
export async function couponsOfAccount(env: Env, accountId: string) {
  const db = getDb(env);
  const [wallet, redemptions, code, referrals, devices, birthday] = await Promise.all([
    walletRowsOf(db, accountId),
    redemptionRowsOf(db, accountId),
    referralCodeRowOf(db, accountId),
    referralRowsOf(db, accountId),
    deviceRowsOf(db, accountId),
    birthdayOf(db, accountId),
  ]);
  const decided = (r: Record<string, unknown>) => ({
    status: r.status,
    reason: r.reason,
    createdAt: iso(r.created_at),
    decidedAt: iso(r.decided_at),
  });
  const accepted = referrals.find((r) => r.referee_id === accountId);
  return {
    wallet: wallet.map((c) => ({
      id: c.id,
      code: c.code,
      name: c.name,
      kind: c.kind,
      value: c.value,
      maxDiscount: c.max_discount,
      minTotal: c.min_total,
      serviceIds: json(c.service_ids),
      startsAt: iso(c.starts_at),
      endsAt: iso(c.ends_at),
      active: c.active === 1,
      source: c.source,
      campaignId: c.campaign_id,
      createdAt: iso(c.created_at),
    })),
    redemptions: redemptions.map((r) => ({
      orderId: r.order_id,
      couponId: r.coupon_id,
      amount: r.amount,
      status: r.status,
      createdAt: iso(r.created_at),
      releasedAt: iso(r.released_at),
    })),
    referral: {
      code: code?.code ?? null,
      codeCreatedAt: iso(code?.created_at),
      made: referrals.filter((r) => r.referrer_id === accountId).map(decided),
      accepted: accepted ? { ...decided(accepted), orderId: accepted.order_id } : null,
      devicesSeen: devices.map((d) => ({ createdAt: iso(d.created_at) })),
    },
    birthday,
  };
}

/** The account deletion's part (src/privacy): statements for its one batch (no files). */
export function couponsErasure(env: Env, accountId: string, now: number): { statements: D1PreparedStatement[]; keys: string[] } {
  return { statements: couponsErasureStatements(getDb(env), accountId, now), keys: [] };
}
