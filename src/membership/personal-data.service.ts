/**
 * The person's packages and membership for src/privacy: their part of the data export, and what
 * their account deletion changes (see personal-data.repo.ts `membershipErasureStatements`).
 */
import { getDb } from "../db/client";
import {
  levelRowOf,
  membershipErasureStatements,
  packageEntryRowsOf,
  packageRowsOf,
  pointsBalanceOf,
  pointsEntryRowsOf,
} from "./personal-data.repo";

const iso = (at: unknown) => (typeof at === "number" ? new Date(at).toISOString() : null);

/** The export's `membership` part: packages with their balance and history, the points ledger and balance, the level. */
export async function membershipOfAccount(env: Env, accountId: string) {
  const db = getDb(env);
  const [packages, history, balance, entries, level] = await Promise.all([
    packageRowsOf(db, accountId),
    packageEntryRowsOf(db, accountId),
    pointsBalanceOf(db, accountId),
    pointsEntryRowsOf(db, accountId),
    levelRowOf(db, accountId),
  ]);
  return {
    packages: packages.map((p) => ({
      id: p.id,
      planId: p.plan_id,
      name: { zh: p.name_zh, en: p.name_en },
      serviceId: p.service_id,
      kind: p.kind,
      unitsTotal: p.units_total,
      unitsLeft: p.units_left,
      price: p.price,
      currency: p.currency,
      deferredLeft: p.deferred_left,
      refundPercent: p.refund_percent,
      status: p.status,
      validUntil: iso(p.valid_until),
      paidAt: iso(p.paid_at),
      refundedAt: iso(p.refunded_at),
      createdAt: iso(p.created_at),
      history: history
        .filter((e) => e.package_id === p.id)
        .map((e) => ({
          kind: e.kind,
          orderId: e.order_id,
          units: e.units,
          amount: e.amount,
          releasedAt: iso(e.released_at),
          createdAt: iso(e.created_at),
        })),
    })),
    points: {
      balance,
      entries: entries.map((e) => ({
        kind: e.kind,
        delta: e.delta,
        orderId: e.order_id,
        releasedAt: iso(e.released_at),
        createdAt: iso(e.created_at),
      })),
    },
    level: level ? { level: level.level, spend: level.spend, points: level.points, computedAt: iso(level.computed_at) } : null,
  };
}

/** The account deletion's part (src/privacy): statements for its one batch (no files). */
export function membershipErasure(env: Env, accountId: string, now: number): { statements: D1PreparedStatement[]; keys: string[] } {
  return { statements: membershipErasureStatements(getDb(env), accountId, now), keys: [] };
}
