/**
 * Coupons: operators create them; customers enter a code when asking for a quote, which adds the
 * discount as a negative line; the order redeems the coupon in its own batch, only while the coupon
 * still has room, and a cancelled order gives it back (order-flow's transition).
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import {
  couponHasRoomNow,
  findCoupon,
  findCouponByCode,
  insertCoupon,
  listCoupons,
  redemptionsOf,
  updateCoupon,
  type CouponRow,
} from "../db/repositories/coupons.repo";
import { couponRefusal, discountOf, normaliseCode, REFUSAL_TEXT } from "../domain/coupons";
import { AppError, notFound, invalid } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";

export function couponUsedUp(): AppError {
  return AppError.of("COUPON_USED_UP");
}

/**
 * The coupon `code` and its discount for a quote of this service at this subtotal, checked for the
 * customer now: 400 COUPON_NOT_FOUND or COUPON_NOT_APPLICABLE, 409 COUPON_USED_UP.
 */
export async function applicableCoupon(
  env: Env,
  customerId: string,
  code: string,
  job: { serviceId: string; merchantId: string | null; subtotal: number },
  now = Date.now(),
): Promise<{ id: string; code: string; discount: number; fundedBy: "platform" | "merchant" }> {
  const db = getDb(env);
  const coupon = await findCouponByCode(db, normaliseCode(code));
  // Another account's wallet coupon is as unknown as a code that does not exist.
  if (!coupon || (coupon.accountId !== null && coupon.accountId !== customerId)) {
    throw AppError.of("COUPON_NOT_FOUND", {}, { errors: [{ path: "body.couponCode", message: "unknown coupon" }] });
  }
  const refusal = couponRefusal(coupon, job, now);
  if (refusal) {
    throw AppError.of(
      "COUPON_NOT_APPLICABLE",
      { why: REFUSAL_TEXT[refusal] },
      {
        errors: [{ path: "body.couponCode", message: refusal }],
        extra: { reason: refusal },
      },
    );
  }
  const discount = discountOf(coupon, job.subtotal);
  if (
    (coupon.totalLimit !== null && coupon.redeemed >= coupon.totalLimit) ||
    (await redemptionsOf(db, coupon.id, customerId)) >= coupon.perCustomerLimit ||
    // a campaign's coupon also needs room in the campaign's budget
    (coupon.campaignId !== null && !(await couponHasRoomNow(db, coupon.id, customerId, now, discount)))
  ) {
    throw couponUsedUp();
  }
  return { id: coupon.id, code: coupon.code, discount, fundedBy: coupon.fundedBy };
}

function view(c: CouponRow) {
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
    startsAt: new Date(c.startsAt).toISOString(),
    endsAt: new Date(c.endsAt).toISOString(),
    totalLimit: c.totalLimit,
    perCustomerLimit: c.perCustomerLimit,
    redeemed: c.redeemed,
    active: c.active,
    createdAt: new Date(c.createdAt).toISOString(),
  };
}

export interface NewCoupon {
  code: string;
  name: string;
  kind: "fixed" | "percent";
  value: number;
  maxDiscount?: number;
  minTotal?: number;
  merchantId?: string;
  serviceIds?: string[];
  startsAt: string;
  endsAt: string;
  totalLimit?: number;
  perCustomerLimit?: number;
}

/** Creates a coupon (409 COUPON_CODE_TAKEN for a code in use). Audited. */
export async function createCoupon(env: Env, actorId: string, input: NewCoupon) {
  const startsAt = Date.parse(input.startsAt);
  const endsAt = Date.parse(input.endsAt);
  const problems: { path: string; message: string }[] = [];
  if (!(endsAt > startsAt)) problems.push({ path: "body.endsAt", message: "must be after startsAt" });
  if (input.kind === "percent" && input.value > 100) problems.push({ path: "body.value", message: "a percentage is at most 100" });
  if (input.kind === "fixed" && input.maxDiscount !== undefined)
    problems.push({ path: "body.maxDiscount", message: "only for percent coupons" });
  if (problems.length) throw invalid(problems);
  const now = Date.now();
  const row: CouponRow = {
    id: newId("cpn", now),
    code: normaliseCode(input.code),
    name: input.name,
    kind: input.kind,
    value: input.value,
    maxDiscount: input.maxDiscount ?? null,
    minTotal: input.minTotal ?? 0,
    merchantId: input.merchantId ?? null,
    serviceIds: input.serviceIds ?? [],
    startsAt,
    endsAt,
    totalLimit: input.totalLimit ?? null,
    perCustomerLimit: input.perCustomerLimit ?? 1,
    redeemed: 0,
    active: true,
    createdBy: actorId,
    accountId: null,
    campaignId: null,
    source: "code",
    issueKey: null,
    fundedBy: "platform",
    createdAt: now,
    updatedAt: now,
  };
  const db = getDb(env);
  if (!(await insertCoupon(db, row))) {
    throw AppError.of("COUPON_CODE_TAKEN");
  }
  await appendAudit(db, { actorId, action: "coupon.create", targetType: "coupon", targetId: row.id, data: { code: row.code } });
  return view(row);
}

/** Changes what may change of a coupon (name, active, end, limits). Audited. */
export async function changeCoupon(
  env: Env,
  actorId: string,
  id: string,
  patch: { name?: string; active?: boolean; endsAt?: string; totalLimit?: number | null; perCustomerLimit?: number },
) {
  const db = getDb(env);
  const current = await findCoupon(db, id);
  if (!current) throw notFound({ en: "Coupon", zh: "优惠券" });
  const endsAt = patch.endsAt === undefined ? undefined : Date.parse(patch.endsAt);
  if (endsAt !== undefined && !(endsAt > current.startsAt)) throw invalid([{ path: "body.endsAt", message: "must be after startsAt" }]);
  const row = await updateCoupon(db, id, { ...patch, endsAt });
  await appendAudit(db, { actorId, action: "coupon.update", targetType: "coupon", targetId: id, data: { ...patch } });
  return view(row!);
}

export async function coupons(env: Env, q: { active?: boolean; limit: number; cursor?: string }) {
  const rows = await listCoupons(getDb(env), { beforeId: decodeCursor(q.cursor), active: q.active }, q.limit + 1);
  const page = toPage(rows, q.limit);
  return { items: page.items.map(view), nextCursor: page.nextCursor };
}

export async function coupon(env: Env, id: string) {
  const row = await findCoupon(getDb(env), id);
  if (!row) throw notFound({ en: "Coupon", zh: "优惠券" });
  return view(row);
}

/** Whether the coupon could still discount one more order of the customer now. */
export async function couponStillHasRoom(env: Env, couponId: string, customerId: string, now = Date.now(), amount = 0): Promise<boolean> {
  return couponHasRoomNow(getDb(env), couponId, customerId, now, amount);
}
