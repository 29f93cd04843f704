/**
 * Coupons and their redemptions. A redemption is written in the batch of the order it discounts,
 * and the order itself only while the coupon still has room (`couponHasRoom`), so limits hold
 * under any number of concurrent bookings.
 */
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { couponRedemptions, coupons } from "../schema";
import type { Guard } from "./statements";

export type CouponRow = typeof coupons.$inferSelect;

export async function findCouponByCode(db: Db, code: string): Promise<CouponRow | undefined> {
  const [row] = await db.select().from(coupons).where(eq(coupons.code, code)).limit(1);
  return row;
}

export async function findCoupon(db: Db, id: string): Promise<CouponRow | undefined> {
  const [row] = await db.select().from(coupons).where(eq(coupons.id, id)).limit(1);
  return row;
}

/** How many orders of the customer the coupon discounts now. */
export async function redemptionsOf(db: Db, couponId: string, customerId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(couponRedemptions)
    .where(
      and(eq(couponRedemptions.couponId, couponId), eq(couponRedemptions.customerId, customerId), eq(couponRedemptions.status, "applied")),
    );
  return Number(row?.n ?? 0);
}

/**
 * True while the coupon is active, in its window at `now`, under both its limits for the customer,
 * in the customer's wallet if it is a wallet coupon, and, for a campaign's coupon, while a discount
 * of `amount` keeps the campaign active and within its budget (evaluated in the order's batch, so
 * parallel bookings never overspend it).
 */
export function couponHasRoom(couponId: string, customerId: string, now: number, amount = 0): Guard {
  return {
    sql: `EXISTS (SELECT 1 FROM coupons c WHERE c.id = ? AND c.active = 1 AND c.starts_at <= ? AND c.ends_at > ?
      AND (c.total_limit IS NULL OR c.redeemed < c.total_limit)
      AND (c.account_id IS NULL OR c.account_id = ?)
      AND (c.campaign_id IS NULL OR EXISTS (SELECT 1 FROM campaigns g WHERE g.id = c.campaign_id AND g.active = 1 AND g.spent + ? <= g.budget))
      AND (SELECT COUNT(*) FROM coupon_redemptions r WHERE r.coupon_id = c.id AND r.customer_id = ? AND r.status = 'applied') < c.per_customer_limit)`,
    params: [couponId, now, now, customerId, amount, customerId],
  };
}

/** Whether the coupon could still discount one more order of the customer at `now` (the guard, asked on its own). */
export async function couponHasRoomNow(db: Db, couponId: string, customerId: string, now: number, amount = 0): Promise<boolean> {
  const guard = couponHasRoom(couponId, customerId, now, amount);
  return (
    (await db.$client
      .prepare(`SELECT 1 AS ok WHERE ${guard.sql}`)
      .bind(...guard.params)
      .first()) !== null
  );
}

/** The statements that apply a coupon to a new order: the redemption and the coupon's count, both only under `guard`. */
export function redeemStatements(
  db: Db,
  r: { orderId: string; couponId: string; customerId: string; amount: number },
  guard: Guard,
  now: number,
): D1PreparedStatement[] {
  const raw = db.$client;
  return [
    raw
      .prepare(
        `INSERT INTO coupon_redemptions (order_id, coupon_id, customer_id, amount, status, created_at, released_at)
         SELECT ?, ?, ?, ?, 'applied', ?, NULL WHERE ${guard.sql}`,
      )
      .bind(r.orderId, r.couponId, r.customerId, r.amount, now, ...guard.params),
    raw
      .prepare(
        `UPDATE coupons SET redeemed = redeemed + 1, updated_at = ?
         WHERE id = ? AND EXISTS (SELECT 1 FROM coupon_redemptions WHERE order_id = ? AND status = 'applied' AND created_at = ?)`,
      )
      .bind(now, r.couponId, r.orderId, now),
    // A campaign's coupon: its discount counts against the campaign's budget (the guard checked the room).
    raw
      .prepare(
        `UPDATE campaigns SET spent = spent + ?, updated_at = ?
         WHERE id = (SELECT campaign_id FROM coupons WHERE id = ?)
           AND EXISTS (SELECT 1 FROM coupon_redemptions WHERE order_id = ? AND status = 'applied' AND created_at = ?)`,
      )
      .bind(r.amount, now, r.couponId, r.orderId, now),
  ];
}

/**
 * The statements that give a cancelled order's coupon back (under `guard`, the cancellation having
 * won): the coupon's count first, while the redemption still says applied, then the redemption.
 */
export function releaseStatements(db: Db, orderId: string, guard: Guard, now: number): D1PreparedStatement[] {
  const raw = db.$client;
  return [
    // The campaign's budget first, while the redemption still says applied and what it took.
    raw
      .prepare(
        `UPDATE campaigns SET spent = MAX(0, spent - (SELECT amount FROM coupon_redemptions WHERE order_id = ? AND status = 'applied')), updated_at = ?
         WHERE id = (SELECT c.campaign_id FROM coupons c JOIN coupon_redemptions r ON r.coupon_id = c.id WHERE r.order_id = ? AND r.status = 'applied')
           AND ${guard.sql}`,
      )
      .bind(orderId, now, orderId, ...guard.params),
    raw
      .prepare(
        `UPDATE coupons SET redeemed = MAX(0, redeemed - 1), updated_at = ?
         WHERE id = (SELECT coupon_id FROM coupon_redemptions WHERE order_id = ? AND status = 'applied') AND ${guard.sql}`,
      )
      .bind(now, orderId, ...guard.params),
    raw
      .prepare(
        `UPDATE coupon_redemptions SET status = 'released', released_at = ? WHERE order_id = ? AND status = 'applied' AND ${guard.sql}`,
      )
      .bind(now, orderId, ...guard.params),
  ];
}

export async function findRedemption(db: Db, orderId: string) {
  const [row] = await db.select().from(couponRedemptions).where(eq(couponRedemptions.orderId, orderId)).limit(1);
  return row;
}

/** Inserts a coupon; false when its code is taken. */
export async function insertCoupon(db: Db, row: CouponRow): Promise<boolean> {
  const inserted = await db.insert(coupons).values(row).onConflictDoNothing({ target: coupons.code }).returning({ id: coupons.id });
  return inserted.length > 0;
}

export async function updateCoupon(
  db: Db,
  id: string,
  patch: Partial<Pick<CouponRow, "name" | "active" | "endsAt" | "totalLimit" | "perCustomerLimit">>,
  now = Date.now(),
): Promise<CouponRow | undefined> {
  const [row] = await db
    .update(coupons)
    .set({ ...patch, updatedAt: now })
    .where(eq(coupons.id, id))
    .returning();
  return row;
}

/** Coupons newest first. */
export async function listCoupons(db: Db, q: { beforeId?: string; active?: boolean }, limit: number): Promise<CouponRow[]> {
  return db
    .select()
    .from(coupons)
    .where(and(q.beforeId ? lt(coupons.id, q.beforeId) : undefined, q.active === undefined ? undefined : eq(coupons.active, q.active)))
    .orderBy(desc(coupons.id))
    .limit(limit);
}
