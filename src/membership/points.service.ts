/**
 * Membership in quotes and bookings, and points: a quote may draw from a package, spend points
 * (within the per-order cap) and apply the customer's level benefits, each as a line of its own;
 * the booking writes the draw and the spend in its own batch, only while the package and the
 * balance still have room (so parallel bookings never overspend either); a cancelled order gives
 * both back. Completed paid orders earn points (every minute, once per order); points expire after
 * the configured days; levels are recalculated nightly from the rolling year.
 */
import { getDb, type Db } from "../db/client";
import {
  balancesWithRecentEarnings,
  creditPointsStatements,
  drawStatements,
  expirePointsStatements,
  findLevel,
  findPackage,
  ordersToEarn,
  packageHasRoom,
  pointsBalance,
  pointsEntriesOf,
  pointsHaveRoom,
  releasePointsStatements,
  returnDrawStatements,
  spendPointsStatements,
  upsertLevelStatements,
  yearlyStanding,
} from "../db/repositories/membership.repo";
import { allOf, runBatch, type Guard } from "../db/repositories/statements";
import { chunked } from "../db/chunks";
import { packageDrawTx } from "../domain/ledger";
import { drawFor, levelDiscount, levelOf, pointsEarned, pointsSpend, recognisedByDraw, unexpired } from "../domain/membership";
import type { PriceLine } from "../domain/pricing";
import { AppError } from "../errors";
import { membershipSettings } from "./settings.service";
import { expirePackages } from "./packages.service";

const DAY = 86_400_000;
const YEAR = 365 * DAY;

/** What a caller asks of membership in a quote. */
export interface MemberAsk {
  packageId?: string;
  points?: number;
  memberBenefits?: boolean;
}

/** What a quote commits to of membership (signed with it): the draw and the points its order takes. */
export interface MemberTerms {
  package?: { id: string; merchantId: string | null; units: number; amount: number };
  points?: number;
}

const sum = (lines: readonly PriceLine[]) => lines.reduce((s, l) => s + l.amount, 0);

/**
 * The lines membership adds to a quote of `job` (the lines priced so far, coupon included), and
 * the terms its order must take: level benefits (free rush, discount %), a package draw (a visit
 * covers the job, credit as much as it needs and holds), then points (at most the per-order cap).
 * 400 PACKAGE_NOT_USABLE, 409 PACKAGE_USED_UP, 409 POINTS_NOT_ENOUGH. Reads nothing when nothing is asked.
 */
export async function memberQuote(
  env: Env,
  customerId: string,
  ask: MemberAsk,
  job: { serviceId: string; merchantId: string | null; lines: readonly PriceLine[] },
  now = Date.now(),
): Promise<{ lines: PriceLine[]; terms?: MemberTerms }> {
  const wantsPoints = (ask.points ?? 0) > 0;
  if (!ask.packageId && !wantsPoints && !ask.memberBenefits) return { lines: [] };
  const db = getDb(env);
  const [settings, level, pkg, balance] = await Promise.all([
    membershipSettings(env),
    ask.memberBenefits ? findLevel(db, customerId) : Promise.resolve(undefined),
    ask.packageId ? findPackage(db, ask.packageId) : Promise.resolve(undefined),
    wantsPoints ? pointsBalance(db, customerId) : Promise.resolve(0),
  ]);
  const lines: PriceLine[] = [];
  const terms: MemberTerms = {};
  const left = () => sum(job.lines) + sum(lines);
  if (ask.memberBenefits) {
    const benefits = settings.levels.find((l) => l.code === level?.level) ?? settings.levels[0]!;
    const rush = job.lines.find((l) => l.code === "rush");
    if (benefits.freeRush && rush)
      lines.push({
        code: "member:rush",
        label: { zh: `${benefits.nameZh}免加急费`, en: `${benefits.nameEn}: no rush fee` },
        amount: -rush.amount,
      });
    const off = levelDiscount(benefits, left());
    if (off > 0)
      lines.push({ code: "member:level", label: { zh: `${benefits.nameZh}折扣`, en: `${benefits.nameEn} discount` }, amount: -off });
  }
  if (ask.packageId) {
    const usable =
      pkg && pkg.customerId === customerId && pkg.status === "active" && (pkg.validUntil ?? 0) > now && pkg.serviceId === job.serviceId;
    if (!usable)
      throw AppError.of("PACKAGE_NOT_USABLE", {}, { errors: [{ path: "body.packageId", message: "not usable for this booking" }] });
    const draw = drawFor(pkg, left());
    if (!draw) throw AppError.of("PACKAGE_USED_UP");
    const amount = Math.min(pkg.deferredLeft, recognisedByDraw(pkg, draw.units));
    terms.package = { id: pkg.id, merchantId: pkg.merchantId, units: draw.units, amount };
    lines.push({ code: `package:${pkg.id}`, label: { zh: "套餐抵扣", en: "Paid by package" }, amount: -draw.covered });
  }
  if (wantsPoints) {
    if (ask.points! > balance) throw AppError.of("POINTS_NOT_ENOUGH", {}, { extra: { balance } });
    const spend = pointsSpend(ask.points!, balance, left(), settings);
    if (spend.points > 0) {
      terms.points = spend.points;
      lines.push({ code: "points", label: { zh: `积分抵扣 ${spend.points}`, en: `${spend.points} points` }, amount: -spend.discount });
    }
  }
  return { lines, terms: terms.package || terms.points ? terms : undefined };
}

/**
 * The booking's part of membership: the guard its order write needs (the package and the points
 * still have room), and the statements (under `won`) that draw and spend. Nothing for a quote
 * without membership terms.
 */
export function memberBooking(
  db: Db,
  terms: MemberTerms | undefined,
  o: { orderId: string; customerId: string; serviceId: string; currency: string },
  won: Guard,
  now: number,
): { guard?: Guard; statements: D1PreparedStatement[] } {
  if (!terms) return { statements: [] };
  const p = terms.package;
  const guard = allOf(
    p ? packageHasRoom({ packageId: p.id, customerId: o.customerId, units: p.units, amount: p.amount }, now) : undefined,
    terms.points ? pointsHaveRoom(o.customerId, terms.points) : undefined,
  );
  const facts = p && { id: p.id, merchantId: p.merchantId, serviceId: o.serviceId, currency: o.currency };
  return {
    guard,
    statements: [
      ...(p && facts
        ? drawStatements(
            db,
            { pkg: facts, orderId: o.orderId, units: p.units, amount: p.amount, tx: packageDrawTx(facts, o.orderId, p.amount) },
            won,
            now,
          )
        : []),
      ...(terms.points ? spendPointsStatements(db, { accountId: o.customerId, orderId: o.orderId, points: terms.points }, won, now) : []),
    ],
  };
}

/** Why a booking's membership terms no longer hold (called after its write found no room): 409 PACKAGE_USED_UP or POINTS_NOT_ENOUGH, else nothing. */
export async function memberRefusal(env: Env, terms: MemberTerms | undefined, customerId: string): Promise<AppError | null> {
  if (!terms) return null;
  const db = getDb(env);
  if (terms.package) {
    const p = await findPackage(db, terms.package.id);
    if (!p || p.status !== "active" || p.unitsLeft < terms.package.units || p.deferredLeft < terms.package.amount)
      return AppError.of("PACKAGE_USED_UP");
  }
  if (terms.points && (await pointsBalance(db, customerId)) < terms.points) return AppError.of("POINTS_NOT_ENOUGH");
  return null;
}

/** A cancelled order gives back its package draw and its points (under `guard`, the cancellation having won). */
export function memberReleaseStatements(db: Db, orderId: string, guard: Guard, now: number): D1PreparedStatement[] {
  return [...returnDrawStatements(db, orderId, guard, now), ...releasePointsStatements(db, orderId, guard, now)];
}

/** Completed paid orders earn points (each once), at their merchant's rate or the global one. */
export async function earnPoints(env: Env, now = Date.now()): Promise<{ earned: number }> {
  const db = getDb(env);
  const orders = await ordersToEarn(db, 100);
  if (orders.length === 0) return { earned: 0 };
  const rates = new Map<string | null, number>();
  const statements: D1PreparedStatement[] = [];
  for (const o of orders) {
    if (!rates.has(o.merchantId)) rates.set(o.merchantId, (await membershipSettings(env, o.merchantId)).earnPerYuan);
    const points = pointsEarned(o.total, rates.get(o.merchantId)!);
    // Zero points are recorded too, so the order is not looked at again.
    statements.push(
      ...creditPointsStatements(db, { accountId: o.customerId, kind: "earn", points, orderId: o.orderId, ref: `earn:${o.orderId}` }, now),
    );
  }
  for (const part of chunked(statements, 50)) await runBatch(db, part);
  return { earned: orders.length };
}

/** Points older than the expiry period go (oldest spent first): each balance down to what was earned within the period. */
export async function expirePoints(env: Env, now = Date.now()): Promise<{ expired: number }> {
  const db = getDb(env);
  const settings = await membershipSettings(env);
  let after = "";
  let expired = 0;
  for (;;) {
    const rows = await balancesWithRecentEarnings(db, now - settings.expiryDays * DAY, after, 100);
    if (rows.length === 0) break;
    const statements = rows.flatMap((r) => {
      const to = unexpired(r.balance, Number(r.earned));
      if (to >= r.balance) return [];
      expired++;
      return expirePointsStatements(db, r.accountId, r.balance, to, now);
    });
    // A balance that moved since it was read is left for the next night.
    for (const part of chunked(statements, 50)) await runBatch(db, part);
    after = rows[rows.length - 1]!.accountId;
    if (rows.length < 100) break;
  }
  return { expired };
}

/** The nightly recalculation: every customer's level from what they spent and the points they earned over the rolling year. */
export async function recalculateMemberLevels(env: Env, now = Date.now()): Promise<{ accounts: number }> {
  const db = getDb(env);
  const [settings, standing] = await Promise.all([membershipSettings(env), yearlyStanding(db, now - YEAR)]);
  const rows = standing.map((s) => ({
    accountId: s.accountId,
    spend: Number(s.spend),
    points: Number(s.points),
    level: levelOf(settings.levels, Number(s.spend), Number(s.points)).code,
  }));
  for (const part of chunked(upsertLevelStatements(db, rows, now), 50)) await runBatch(db, part);
  return { accounts: rows.length };
}

/** The nightly membership work: expiry, then levels. */
export async function runMembershipNightly(env: Env, now = Date.now()) {
  const expiry = await expirePoints(env, now);
  const levels = await recalculateMemberLevels(env, now);
  const packages = await expirePackages(env, now);
  return { ...expiry, ...levels, ...packages };
}

/**
 * Whether the customer's level (as last recalculated) carries priority dispatch: their auto jobs
 * are matched first in batch dispatch (src/dispatch/batch-dispatch.service.ts).
 */
export async function hasPriorityDispatch(env: Env, customerId: string): Promise<boolean> {
  const [settings, level] = await Promise.all([membershipSettings(env), findLevel(getDb(env), customerId)]);
  const benefits = settings.levels.find((l) => l.code === level?.level) ?? settings.levels[0]!;
  return benefits.priorityDispatch;
}

/** The customer's membership as their profile shows it: level and its benefits, the next level, points and their history. */
export async function myMembership(env: Env, accountId: string) {
  const db = getDb(env);
  const [settings, level, balance, entries] = await Promise.all([
    membershipSettings(env),
    findLevel(db, accountId),
    pointsBalance(db, accountId),
    pointsEntriesOf(db, accountId, 50),
  ]);
  const index = Math.max(
    0,
    settings.levels.findIndex((l) => l.code === level?.level),
  );
  const current = settings.levels[index]!;
  const next = settings.levels[index + 1] ?? null;
  return {
    level: current,
    next,
    spend: level?.spend ?? 0,
    pointsEarnedThisYear: level?.points ?? 0,
    recalculatedAt: level ? new Date(level.computedAt).toISOString() : null,
    points: {
      balance,
      value: settings.pointValue,
      maxSpendPercent: settings.maxSpendPercent,
      expiryDays: settings.expiryDays,
      history: entries.map((e) => ({ kind: e.kind, delta: e.delta, orderId: e.orderId, at: new Date(e.createdAt).toISOString() })),
    },
  };
}

/** Staff add or take off points (audited by the caller), never below zero: 409 POINTS_NOT_ENOUGH. */
export async function adjustPoints(env: Env, accountId: string, points: number, ref: string): Promise<number> {
  const db = getDb(env);
  const [inserted] = await runBatch(db, creditPointsStatements(db, { accountId, kind: "adjust", points, orderId: null, ref }, Date.now()));
  if (inserted?.meta.changes !== 1) throw AppError.of("POINTS_NOT_ENOUGH");
  return pointsBalance(db, accountId);
}
