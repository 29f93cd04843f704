/** Coupons: whether one applies to a priced job, and how much it takes off. Pure. */

export const COUPON_SOURCES = ["code", "campaign", "staff", "ticket", "referral"] as const;
export type CouponSource = (typeof COUPON_SOURCES)[number];
export const CAMPAIGN_KINDS = ["new_customer", "win_back", "birthday", "promotion"] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];
export type WalletStatus = "available" | "used" | "expired";

/** A wallet coupon's status at `now`: used once it discounts an order, expired after its end or when switched off. */
export function walletStatus(
  c: { redeemed: number; totalLimit: number | null; endsAt: number; active: boolean },
  now: number,
): WalletStatus {
  if (c.totalLimit !== null && c.redeemed >= c.totalLimit) return "used";
  if (!c.active || now >= c.endsAt) return "expired";
  return "available";
}

/** Of the coupons that apply, the one taking the most off (the earliest to expire on a tie), or null. */
export function bestOf<T extends { discount: number; endsAt: number }>(candidates: T[]): T | null {
  let best: T | null = null;
  for (const c of candidates) {
    if (c.discount <= 0) continue;
    if (!best || c.discount > best.discount || (c.discount === best.discount && c.endsAt < best.endsAt)) best = c;
  }
  return best;
}

export interface CouponTerms {
  kind: "fixed" | "percent";
  /** 分 off (`fixed`) or percent off, 1–100 (`percent`). */
  value: number;
  maxDiscount: number | null;
  minTotal: number;
  merchantId: string | null;
  serviceIds: string[];
  startsAt: number;
  endsAt: number;
  active: boolean;
}

export type CouponRefusal = "inactive" | "not_started" | "expired" | "other_merchant" | "other_service" | "below_minimum";

/** Why the coupon does not apply to this service at this subtotal and time, or null when it does. */
export function couponRefusal(
  c: CouponTerms,
  job: { serviceId: string; merchantId: string | null; subtotal: number },
  now: number,
): CouponRefusal | null {
  if (!c.active) return "inactive";
  if (now < c.startsAt) return "not_started";
  if (now >= c.endsAt) return "expired";
  if (c.merchantId !== null && c.merchantId !== job.merchantId) return "other_merchant";
  if (c.serviceIds.length > 0 && !c.serviceIds.includes(job.serviceId)) return "other_service";
  if (job.subtotal < c.minTotal) return "below_minimum";
  return null;
}

/**
 * The discount in 分 on `subtotal`: a fixed amount, or a percentage rounded down (never a fen more
 * than the percentage) and capped; never more than the subtotal, never negative.
 */
export function discountOf(c: Pick<CouponTerms, "kind" | "value" | "maxDiscount">, subtotal: number): number {
  if (subtotal <= 0) return 0;
  const raw = c.kind === "fixed" ? c.value : Math.floor((subtotal * c.value) / 100);
  const capped = c.kind === "percent" && c.maxDiscount !== null ? Math.min(raw, c.maxDiscount) : raw;
  return Math.max(0, Math.min(capped, subtotal));
}

/** Codes are case-insensitive: stored and compared in upper case, trimmed. */
export function normaliseCode(code: string): string {
  return code.trim().toUpperCase();
}

export const REFUSAL_TEXT: Record<CouponRefusal, { en: string; zh: string }> = {
  inactive: { en: "This coupon is no longer valid.", zh: "该优惠券已失效。" },
  not_started: { en: "This coupon cannot be used yet.", zh: "该优惠券尚未开始使用。" },
  expired: { en: "This coupon has expired.", zh: "该优惠券已过期。" },
  other_merchant: { en: "This coupon is not for this service.", zh: "该优惠券不适用于此服务。" },
  other_service: { en: "This coupon is not for this service.", zh: "该优惠券不适用于此服务。" },
  below_minimum: { en: "The order is below this coupon's minimum.", zh: "订单金额未达到该优惠券的使用门槛。" },
};

/** The coupon a quote applied and the discount it promised (its negative `coupon:` line), or null. */
export function couponOfQuote(q: {
  couponId?: string;
  lines: { code: string; amount: number }[];
}): { couponId: string; amount: number } | null {
  if (!q.couponId) return null;
  const line = q.lines.find((l) => l.code.startsWith("coupon:"));
  return { couponId: q.couponId, amount: line ? -line.amount : 0 };
}
