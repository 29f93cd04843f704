/**
 * Packages (次卡 / 套餐) and membership (points, levels): the pure rules. Money is integer 分; points
 * are whole numbers. src/membership applies them; the ledgers they feed are written by
 * src/db/repositories/membership.repo.ts in the batch of the change that causes them.
 */
import { z } from "zod";

// ——— Packages ———

export type PackageKind = "visits" | "credit";

/**
 * What a paid package owes its customer (deferred) and what it earns at once: a visits package
 * defers a whole 分 amount per visit (`price` rounded down to a multiple of the visits), the
 * remainder is earned at the sale; a credit package defers its whole price.
 */
export function deferredOfSale(kind: PackageKind, price: number, units: number): number {
  if (kind === "credit") return price;
  return Math.floor(price / units) * units;
}

/** The deferred money a draw of `units` earns: one visit's share, or the credit's share of the price (rounded down). */
export function recognisedByDraw(p: { kind: PackageKind; price: number; unitsTotal: number }, units: number): number {
  if (p.kind === "visits") return Math.floor(p.price / p.unitsTotal) * units;
  return Math.floor((units * p.price) / p.unitsTotal);
}

/**
 * What a draw takes for a job priced at `subtotal`: a visit (covering the service's lines), or as
 * much credit as the job needs and the package holds. `covered` is the discount line's amount.
 */
export function drawFor(p: { kind: PackageKind; unitsLeft: number }, subtotal: number): { units: number; covered: number } | null {
  if (p.unitsLeft <= 0 || subtotal <= 0) return null;
  if (p.kind === "visits") return { units: 1, covered: subtotal };
  const units = Math.min(p.unitsLeft, subtotal);
  return { units, covered: units };
}

/** A refund of the unused rest by the package's policy: `refundPercent` of what is still deferred, rounded down. */
export function packageRefundOf(deferredLeft: number, refundPercent: number): { refund: number; kept: number } {
  const refund = Math.floor((deferredLeft * refundPercent) / 100);
  return { refund, kept: deferredLeft - refund };
}

// ——— Points and levels ———

export const Level = z
  .object({
    code: z.string().regex(/^[a-z0-9_-]{1,24}$/),
    nameZh: z.string().min(1).max(40),
    nameEn: z.string().min(1).max(40),
    /** Reached with this much spent (分) over the rolling year, or this many points earned. */
    minSpend: z.number().int().min(0).max(1_000_000_000),
    minPoints: z.number().int().min(0).max(1_000_000_000),
    discountPercent: z.number().int().min(0).max(50),
    priorityDispatch: z.boolean(),
    freeRush: z.boolean(),
  })
  .strict();
export type Level = z.infer<typeof Level>;

export const MembershipSettings = z
  .object({
    /** Points per yuan (100 分) a completed paid order earns. */
    earnPerYuan: z.number().int().min(0).max(100),
    /** What one point is worth when spent, 分. */
    pointValue: z.number().int().min(1).max(100),
    /** At most this share of an order's subtotal may be paid in points. */
    maxSpendPercent: z.number().int().min(0).max(100),
    /** Points expire this many days after they were earned (oldest spent first). */
    expiryDays: z.number().int().min(1).max(3650),
    /** Ascending: the last one a customer reaches is theirs. The first is the level everyone starts at. */
    levels: z.array(Level).min(1).max(10),
  })
  .strict();
export type MembershipSettings = z.infer<typeof MembershipSettings>;

export const DEFAULT_SETTINGS: MembershipSettings = {
  earnPerYuan: 1,
  pointValue: 1,
  maxSpendPercent: 20,
  expiryDays: 365,
  levels: [
    {
      code: "member",
      nameZh: "普通会员",
      nameEn: "Member",
      minSpend: 0,
      minPoints: 0,
      discountPercent: 0,
      priorityDispatch: false,
      freeRush: false,
    },
    {
      code: "silver",
      nameZh: "银卡会员",
      nameEn: "Silver",
      minSpend: 200_000,
      minPoints: 2_000,
      discountPercent: 2,
      priorityDispatch: false,
      freeRush: false,
    },
    {
      code: "gold",
      nameZh: "金卡会员",
      nameEn: "Gold",
      minSpend: 800_000,
      minPoints: 8_000,
      discountPercent: 5,
      priorityDispatch: true,
      freeRush: true,
    },
  ],
};

/** Points a paid order of `paid` 分 earns at `earnPerYuan` (whole yuan only). */
export function pointsEarned(paid: number, earnPerYuan: number): number {
  return paid <= 0 ? 0 : Math.floor(paid / 100) * earnPerYuan;
}

/**
 * The points a quote may spend: what was asked, within the balance and the per-order cap
 * (`maxSpendPercent` of the subtotal, in whole points), and the discount they give.
 */
export function pointsSpend(
  asked: number,
  balance: number,
  subtotal: number,
  s: Pick<MembershipSettings, "pointValue" | "maxSpendPercent">,
): { points: number; discount: number } {
  const cap = Math.floor((Math.max(0, subtotal) * s.maxSpendPercent) / 100 / s.pointValue);
  const points = Math.max(0, Math.min(asked, balance, cap));
  return { points, discount: points * s.pointValue };
}

/** Points left unexpired: oldest spent first, so what is left can never exceed what was earned within the period. */
export function unexpired(balance: number, earnedWithinPeriod: number): number {
  return Math.max(0, Math.min(balance, earnedWithinPeriod));
}

/** The level reached with `spend` and `points` over the rolling year: the highest whose spend or points threshold is met. */
export function levelOf(levels: readonly Level[], spend: number, points: number): Level {
  let reached = levels[0]!;
  for (const l of levels) if (spend >= l.minSpend || points >= l.minPoints) reached = l;
  return reached;
}

/** A level's discount on a subtotal (rounded down). */
export function levelDiscount(level: Pick<Level, "discountPercent">, subtotal: number): number {
  return subtotal <= 0 ? 0 : Math.floor((subtotal * level.discountPercent) / 100);
}
