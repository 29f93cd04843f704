/**
 * The coupon wallet: coupons issued to one account (by a campaign, by staff, by a ticket's decision,
 * by a referral), listed with their status, and the quote's choice of the best one. A wallet coupon
 * is a `coupons` row bound to the account, so the order redeems it like any coupon (once, in the
 * order's batch, within its campaign's budget) and a cancellation gives it back.
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { couponHasRoomNow, type CouponRow } from "../db/repositories/coupons.repo";
import { existingAccounts, insertWalletCoupons, usableCoupons, walletCoupons } from "../db/repositories/growth.repo";
import { bestOf, couponRefusal, discountOf, walletStatus, type CouponSource, type WalletStatus } from "../domain/coupons";
import { notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { crockford, newId } from "../lib/ids";
import { applicableCoupon } from "./coupons.service";

const DAY = 86_400_000;

/** A wallet code nobody can guess: W and 11 characters of Crockford base32. */
export function walletCode(): string {
  return `W${crockford(0, crypto.getRandomValues(new Uint8Array(16))).slice(-11)}`;
}

export interface CouponTermsInput {
  name: string;
  kind: "fixed" | "percent";
  value: number;
  maxDiscount?: number | null;
  minTotal?: number;
  merchantId?: string | null;
  serviceIds?: string[];
  /** Who pays its discounts (default: the platform); a merchant only for its own merchant's coupons. */
  fundedBy?: "platform" | "merchant";
}

/** A one-use coupon for `accountId` on `terms`, valid `validDays` from `now`. */
export function walletCouponRow(
  terms: CouponTermsInput,
  a: { accountId: string; source: CouponSource; campaignId?: string; issueKey?: string; validDays: number; createdBy: string },
  now: number,
): CouponRow {
  return {
    id: newId("cpn", now),
    code: walletCode(),
    name: terms.name,
    kind: terms.kind,
    value: terms.value,
    maxDiscount: terms.kind === "percent" ? (terms.maxDiscount ?? null) : null,
    minTotal: terms.minTotal ?? 0,
    merchantId: terms.merchantId ?? null,
    serviceIds: terms.serviceIds ?? [],
    startsAt: now,
    endsAt: now + a.validDays * DAY,
    totalLimit: 1,
    perCustomerLimit: 1,
    redeemed: 0,
    active: true,
    createdBy: a.createdBy,
    accountId: a.accountId,
    campaignId: a.campaignId ?? null,
    source: a.source,
    issueKey: a.issueKey ?? null,
    fundedBy: terms.fundedBy ?? "platform",
    createdAt: now,
    updatedAt: now,
  };
}

export function walletView(c: CouponRow, now = Date.now()) {
  return {
    id: c.id,
    code: c.code,
    name: c.name,
    kind: c.kind,
    value: c.value,
    maxDiscount: c.maxDiscount,
    minTotal: c.minTotal,
    merchantId: c.merchantId,
    serviceIds: c.serviceIds,
    source: c.source,
    campaignId: c.campaignId,
    status: walletStatus(c, now),
    startsAt: new Date(c.startsAt).toISOString(),
    endsAt: new Date(c.endsAt).toISOString(),
    createdAt: new Date(c.createdAt).toISOString(),
  };
}

/** An account's wallet, newest first; `status` keeps one status (filtered after reading, so a page may be short). */
export async function wallet(env: Env, accountId: string, q: { status?: WalletStatus; limit: number; cursor?: string }) {
  const now = Date.now();
  const rows = await walletCoupons(getDb(env), accountId, { beforeId: decodeCursor(q.cursor) }, q.limit + 1);
  const page = toPage(rows, q.limit);
  const items = page.items.map((c) => walletView(c, now)).filter((v) => q.status === undefined || v.status === q.status);
  return { items, nextCursor: page.nextCursor };
}

/** Staff issue one coupon into an account's wallet (404 for an unknown account). Audited. */
export async function issueByStaff(env: Env, actorId: string, accountId: string, input: CouponTermsInput & { validDays: number }) {
  const db = getDb(env);
  if ((await existingAccounts(db, [accountId])).length === 0) throw notFound("Account");
  const now = Date.now();
  const row = walletCouponRow(input, { accountId, source: "staff", validDays: input.validDays, createdBy: actorId }, now);
  await insertWalletCoupons(db, [row]);
  await appendAudit(db, {
    actorId,
    action: "coupon.issue",
    targetType: "account",
    targetId: accountId,
    data: { couponId: row.id, value: row.value },
  });
  return walletView(row, now);
}

type Job = { serviceId: string; merchantId: string | null; subtotal: number };

/**
 * Of the customer's wallet coupons and the running promotions' codes, the one that takes the most
 * off this job (checked against every limit and the campaign's budget), or null.
 */
export async function bestCoupon(env: Env, customerId: string, job: Job, now = Date.now()) {
  const db = getDb(env);
  const candidates = (await usableCoupons(db, customerId, job.merchantId, now))
    .filter((c) => couponRefusal(c, job, now) === null)
    .map((c) => ({ id: c.id, code: c.code, discount: discountOf(c, job.subtotal), endsAt: c.endsAt, fundedBy: c.fundedBy }))
    .filter((c) => c.discount > 0);
  // The best first; one whose room ran out (a used-up promotion, a spent budget) gives way to the next.
  for (let best = bestOf(candidates); best; best = bestOf(candidates)) {
    if (await couponHasRoomNow(db, best.id, customerId, now, best.discount))
      return { id: best.id, code: best.code, discount: best.discount, fundedBy: best.fundedBy };
    candidates.splice(candidates.indexOf(best), 1);
  }
  return null;
}

/** The coupon of a quote: the code the customer typed, else (with `bestCoupon`) the best one that applies, else none. */
export async function couponForQuote(env: Env, customerId: string, input: { couponCode?: string; bestCoupon?: boolean }, job: Job) {
  if (input.couponCode) return applicableCoupon(env, customerId, input.couponCode, job);
  if (input.bestCoupon) return bestCoupon(env, customerId, job);
  return null;
}
