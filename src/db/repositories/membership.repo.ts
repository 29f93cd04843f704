/**
 * Packages and points: their rows, and the guarded statements that move a package's balance or an
 * account's points in the batch of the change that causes them (a booking, a cancellation, a
 * payment, a refund). A balance only moves under a guard that it still has room, checked in the same
 * D1 batch, and the CHECK constraints of the schema stop anything that would take one below zero.
 */
import { and, desc, eq, gt, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { customerPackages, memberLevels, membershipSettings, packageEntries, packagePlans, pointsAccounts, pointsEntries } from "../schema";
import type { PackageFacts, TxDraft } from "../../domain/ledger";
import { ledgerStatements } from "./ledger.repo";
import { allOf, insertRow, type Guard } from "./statements";
import { newId } from "../../lib/ids";

export type PackagePlanRow = typeof packagePlans.$inferSelect;
export type CustomerPackageRow = typeof customerPackages.$inferSelect;
export type PackageEntryRow = typeof packageEntries.$inferSelect;
export type PointsEntryRow = typeof pointsEntries.$inferSelect;

const first = async <T>(q: Promise<T[]>): Promise<T | undefined> => (await q)[0];

// ——— Plans ———

export async function insertPlan(db: Db, row: PackagePlanRow): Promise<void> {
  await db.insert(packagePlans).values(row);
}

export function findPlan(db: Db, id: string): Promise<PackagePlanRow | undefined> {
  return first(db.select().from(packagePlans).where(eq(packagePlans.id, id)).limit(1));
}

export function updatePlan(db: Db, id: string, patch: Partial<Pick<PackagePlanRow, "active" | "nameZh" | "nameEn">>, now: number) {
  return first(
    db
      .update(packagePlans)
      .set({ ...patch, updatedAt: now })
      .where(eq(packagePlans.id, id))
      .returning(),
  );
}

/** Plans newest first: of a service, of a merchant, only active ones. */
export function listPlans(db: Db, q: { serviceId?: string; merchantId?: string; activeOnly?: boolean }, limit: number) {
  return db
    .select()
    .from(packagePlans)
    .where(
      and(
        q.serviceId ? eq(packagePlans.serviceId, q.serviceId) : undefined,
        q.merchantId ? eq(packagePlans.merchantId, q.merchantId) : undefined,
        q.activeOnly ? eq(packagePlans.active, true) : undefined,
      ),
    )
    .orderBy(desc(packagePlans.id))
    .limit(limit);
}

// ——— Customers' packages ———

export async function insertPackage(db: Db, row: CustomerPackageRow): Promise<void> {
  await db.insert(customerPackages).values(row);
}

export function findPackage(db: Db, id: string): Promise<CustomerPackageRow | undefined> {
  return first(db.select().from(customerPackages).where(eq(customerPackages.id, id)).limit(1));
}

export function packagesOf(db: Db, q: { customerId?: string; merchantId?: string }, limit: number) {
  return db
    .select()
    .from(customerPackages)
    .where(
      and(
        q.customerId ? eq(customerPackages.customerId, q.customerId) : undefined,
        q.merchantId ? eq(customerPackages.merchantId, q.merchantId) : undefined,
      ),
    )
    .orderBy(desc(customerPackages.createdAt))
    .limit(limit);
}

export function entriesOfPackage(db: Db, packageId: string) {
  return db.select().from(packageEntries).where(eq(packageEntries.packageId, packageId)).orderBy(packageEntries.createdAt).limit(500);
}

/** True while the package is the customer's, active, unexpired at `now` and holds `units` and `amount` of deferred money. */
export function packageHasRoom(d: { packageId: string; customerId: string; units: number; amount: number }, now: number): Guard {
  return {
    sql: `EXISTS (SELECT 1 FROM customer_packages WHERE id = ? AND customer_id = ? AND status = 'active' AND valid_until > ?
      AND units_left >= ? AND deferred_left >= ?)`,
    params: [d.packageId, d.customerId, now, d.units, d.amount],
  };
}

/** An order draws `units` of the package (earning `amount` of its deferred money): the balance, the history line, the ledger. */
export function drawStatements(
  db: Db,
  d: { pkg: PackageFacts; orderId: string; units: number; amount: number; tx: TxDraft },
  guard: Guard,
  now: number,
): D1PreparedStatement[] {
  return [
    db.$client
      .prepare(
        `UPDATE customer_packages SET units_left = units_left - ?, deferred_left = deferred_left - ?, updated_at = ? WHERE id = ? AND ${guard.sql}`,
      )
      .bind(d.units, d.amount, now, d.pkg.id, ...guard.params),
    insertRow(
      db,
      packageEntries,
      { id: newId("pke", now), packageId: d.pkg.id, kind: "draw", orderId: d.orderId, units: d.units, amount: d.amount, createdAt: now },
      guard,
    ),
    ...ledgerStatements(db, d.tx, now, guard),
  ];
}

/**
 * A cancelled order gives its draw back (under `guard`, the cancellation having won): the package_draw
 * mirrored in the ledger, the units and deferred money back on the package, the draw marked given back.
 * Read from the draw's own line, so nothing needs reading before the batch; nothing happens for an
 * order that drew nothing.
 */
export function returnDrawStatements(db: Db, orderId: string, guard: Guard, now: number): D1PreparedStatement[] {
  const raw = db.$client;
  const txId = newId("ltx", now);
  const open = `SELECT e.package_id, e.units, e.amount FROM package_entries e WHERE e.order_id = ? AND e.kind = 'draw' AND e.released_at IS NULL`;
  const entry = (account: string, sign: 1 | -1) =>
    raw
      .prepare(
        `INSERT INTO ledger_entries (id, tx_id, account, amount, order_id, available_at, created_at)
         SELECT ?, ?, ${account}, ? * d.amount, ?, ?, ? FROM (${open}) d WHERE d.amount <> 0 AND EXISTS (SELECT 1 FROM ledger_transactions WHERE id = ?)`,
      )
      .bind(newId("len", now), txId, sign, orderId, now, now, orderId, txId);
  return [
    raw
      .prepare(
        `INSERT INTO ledger_transactions (id, kind, ref, order_id, merchant_id, service_id, technician_id, provider, currency, memo, created_at)
         SELECT ?, 'package_return', ?, ?, p.merchant_id, p.service_id, NULL, NULL, p.currency, 'order ' || ? || ' cancelled: package draw given back', ?
         FROM (${open}) d JOIN customer_packages p ON p.id = d.package_id WHERE d.amount <> 0 AND ${guard.sql}`,
      )
      .bind(txId, orderId, orderId, orderId, now, orderId, ...guard.params),
    entry("'customer_funds'", 1),
    entry("'deferred_revenue:' || d.package_id", -1),
    raw
      .prepare(
        `UPDATE customer_packages SET units_left = units_left + (SELECT units FROM (${open})), deferred_left = deferred_left + (SELECT amount FROM (${open})), updated_at = ?
         WHERE id = (SELECT package_id FROM (${open})) AND ${guard.sql}`,
      )
      .bind(orderId, orderId, now, orderId, ...guard.params),
    raw
      .prepare(`UPDATE package_entries SET released_at = ? WHERE order_id = ? AND kind = 'draw' AND released_at IS NULL AND ${guard.sql}`)
      .bind(now, orderId, ...guard.params),
  ];
}

/** What the order drew of packages and still holds (not given back): customer money for its split. */
export async function drawnByOrder(db: Db, orderId: string): Promise<number> {
  const row = await first(
    db
      .select({ amount: sql<number>`coalesce(sum(${packageEntries.amount}), 0)` })
      .from(packageEntries)
      .where(and(eq(packageEntries.orderId, orderId), eq(packageEntries.kind, "draw"), isNull(packageEntries.releasedAt))),
  );
  return row?.amount ?? 0;
}

/** Active packages whose days ran out by `now`, and expired ones a cancelled order gave value back to. */
export function expiredPackages(db: Db, now: number, limit: number) {
  return db
    .select()
    .from(customerPackages)
    .where(
      and(
        inArray(customerPackages.status, ["active", "expired"]),
        lte(customerPackages.validUntil, now),
        or(gt(customerPackages.unitsLeft, 0), gt(customerPackages.deferredLeft, 0), eq(customerPackages.status, "active")),
      ),
    )
    .orderBy(customerPackages.validUntil)
    .limit(limit);
}

/**
 * An expired package's unused rest earned (breakage), once: only while nothing moved since it was
 * read (status, units, deferred money and its last change as read); its history line and the ledger.
 */
export function expireMarker(p: CustomerPackageRow): string {
  return `expire:${p.id}:${p.updatedAt}`;
}

export function expirePackageStatements(db: Db, p: CustomerPackageRow, tx: TxDraft | null, now: number): D1PreparedStatement[] {
  // The history line is written first, only from the state as read; what follows needs that very line.
  const entryId = newId("pke", now);
  const guard: Guard = { sql: "EXISTS (SELECT 1 FROM package_entries WHERE id = ?)", params: [entryId] };
  return [
    insertRow(
      db,
      packageEntries,
      { id: entryId, packageId: p.id, kind: "expire", orderId: null, units: p.unitsLeft, amount: p.deferredLeft, createdAt: now },
      {
        sql: "EXISTS (SELECT 1 FROM customer_packages WHERE id = ? AND status = ? AND units_left = ? AND deferred_left = ? AND updated_at = ?)",
        params: [p.id, p.status, p.unitsLeft, p.deferredLeft, p.updatedAt],
      },
      true,
    ),
    db.$client
      .prepare(
        `UPDATE customer_packages SET status = 'expired', units_left = 0, deferred_left = 0, updated_at = ?
         WHERE id = ? AND status = ? AND units_left = ? AND deferred_left = ? AND updated_at = ? AND ${guard.sql}`,
      )
      .bind(now, p.id, p.status, p.unitsLeft, p.deferredLeft, p.updatedAt, ...guard.params),
    ...(tx ? ledgerStatements(db, tx, now, guard) : []),
  ];
}

/**
 * A provider refused a package's refund: the money set aside is the package's again (`refund` back in
 * its deferred balance, its visits back as before the refund), active, so staff may refund it again.
 */
export function packageRefundFailedStatements(db: Db, packageId: string, refund: number, guard: Guard, now: number) {
  const units = `(SELECT units FROM package_entries WHERE package_id = ? AND kind = 'refund' ORDER BY created_at DESC LIMIT 1)`;
  return [
    db.$client
      .prepare(
        `UPDATE customer_packages SET status = 'active', units_left = ${units}, deferred_left = deferred_left + ?, refunded_at = NULL, updated_at = ?
         WHERE id = ? AND status = 'refunded' AND ${guard.sql}`,
      )
      .bind(packageId, refund, now, packageId, ...guard.params),
  ];
}

/** True once the package was activated by the payment `ref`. */
export const packagePaidBy = (packageId: string, ref: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM customer_packages WHERE id = ? AND payment_ref = ?)",
  params: [packageId, ref],
});

/** A pending package paid (`ref` names the payment): active from now, its history and ledger; all only if it was still pending. */
export function activateStatements(
  db: Db,
  p: CustomerPackageRow,
  a: { ref: string; deferred: number; validUntil: number; tx: TxDraft },
  now: number,
  when?: Guard,
): D1PreparedStatement[] {
  const guard = allOf(when, packagePaidBy(p.id, a.ref));
  return [
    db.$client
      .prepare(
        `UPDATE customer_packages SET status = 'active', deferred_left = ?, valid_until = ?, paid_at = ?, payment_ref = ?, updated_at = ?
         WHERE id = ? AND status = 'pending_payment'${when ? ` AND ${when.sql}` : ""}`,
      )
      .bind(a.deferred, a.validUntil, now, a.ref, now, p.id, ...(when?.params ?? [])),
    insertRow(
      db,
      packageEntries,
      { id: newId("pke", now), packageId: p.id, kind: "purchase", orderId: null, units: p.unitsTotal, amount: p.price, createdAt: now },
      guard,
    ),
    ...ledgerStatements(db, a.tx, now, guard),
  ];
}

/** The unused rest refunded: only if the package is active and nothing moved since it was read (units and deferred as read). */
export function refundPackageStatements(
  db: Db,
  p: CustomerPackageRow,
  r: { ref: string; refund: number; txs: TxDraft[] },
  now: number,
  extra: (guard: Guard) => D1PreparedStatement[] = () => [],
): D1PreparedStatement[] {
  const guard: Guard = {
    sql: "EXISTS (SELECT 1 FROM customer_packages WHERE id = ? AND status = 'refunded' AND refunded_at = ? AND units_left = 0 AND deferred_left = 0)",
    params: [p.id, now],
  };
  return [
    db.$client
      .prepare(
        `UPDATE customer_packages SET status = 'refunded', units_left = 0, deferred_left = 0, refunded_at = ?, updated_at = ?
         WHERE id = ? AND status = 'active' AND units_left = ? AND deferred_left = ?`,
      )
      .bind(now, now, p.id, p.unitsLeft, p.deferredLeft),
    insertRow(
      db,
      packageEntries,
      { id: newId("pke", now), packageId: p.id, kind: "refund", orderId: null, units: p.unitsLeft, amount: r.refund, createdAt: now },
      guard,
    ),
    ...extra(guard),
    ...r.txs.flatMap((tx) => ledgerStatements(db, tx, now, guard)),
  ];
}

// ——— Points ———

export async function pointsBalance(db: Db, accountId: string): Promise<number> {
  const row = await first(
    db.select({ balance: pointsAccounts.balance }).from(pointsAccounts).where(eq(pointsAccounts.accountId, accountId)),
  );
  return row?.balance ?? 0;
}

export function pointsEntriesOf(db: Db, accountId: string, limit: number) {
  return db.select().from(pointsEntries).where(eq(pointsEntries.accountId, accountId)).orderBy(desc(pointsEntries.createdAt)).limit(limit);
}

/** True while the account holds at least `points`. */
export function pointsHaveRoom(accountId: string, points: number): Guard {
  return { sql: "EXISTS (SELECT 1 FROM points_accounts WHERE account_id = ? AND balance >= ?)", params: [accountId, points] };
}

/** An order spends points: the entry and the balance, both under `guard`. */
export function spendPointsStatements(
  db: Db,
  s: { accountId: string; orderId: string; points: number },
  guard: Guard,
  now: number,
): D1PreparedStatement[] {
  return [
    insertRow(
      db,
      pointsEntries,
      {
        id: newId("pte", now),
        accountId: s.accountId,
        kind: "spend",
        delta: -s.points,
        orderId: s.orderId,
        ref: `spend:${s.orderId}`,
        createdAt: now,
      },
      guard,
    ),
    db.$client
      .prepare(`UPDATE points_accounts SET balance = balance - ?, updated_at = ? WHERE account_id = ? AND ${guard.sql}`)
      .bind(s.points, now, s.accountId, ...guard.params),
  ];
}

/** A cancelled order's points come back (under `guard`); nothing for an order that spent none. */
export function releasePointsStatements(db: Db, orderId: string, guard: Guard, now: number): D1PreparedStatement[] {
  const raw = db.$client;
  const open = `SELECT account_id, delta FROM points_entries WHERE ref = ? AND released_at IS NULL`;
  const ref = `spend:${orderId}`;
  return [
    raw
      .prepare(
        `INSERT INTO points_entries (id, account_id, kind, delta, order_id, ref, released_at, created_at)
         SELECT ?, s.account_id, 'release', -s.delta, ?, ?, NULL, ? FROM (${open}) s WHERE ${guard.sql}`,
      )
      .bind(newId("pte", now), orderId, `release:${orderId}`, now, ref, ...guard.params),
    raw
      .prepare(
        `UPDATE points_accounts SET balance = balance - (SELECT delta FROM (${open})), updated_at = ?
         WHERE account_id = (SELECT account_id FROM (${open})) AND ${guard.sql}`,
      )
      .bind(ref, now, ref, ...guard.params),
    raw
      .prepare(`UPDATE points_entries SET released_at = ? WHERE ref = ? AND released_at IS NULL AND ${guard.sql}`)
      .bind(now, ref, ...guard.params),
  ];
}

/** Points earned (by an order, once: `ref` is unique) or taken off by staff: the entry, then the balance only if the entry was new. */
export function creditPointsStatements(
  db: Db,
  e: { accountId: string; kind: "earn" | "adjust"; points: number; orderId: string | null; ref: string },
  now: number,
): D1PreparedStatement[] {
  const id = newId("pte", now);
  const raw = db.$client;
  return [
    raw
      .prepare(
        `INSERT INTO points_entries (id, account_id, kind, delta, order_id, ref, released_at, created_at)
         SELECT ?, ?, ?, ?, ?, ?, NULL, ? WHERE NOT EXISTS (SELECT 1 FROM points_entries WHERE ref = ?)
           AND (? >= 0 OR EXISTS (SELECT 1 FROM points_accounts WHERE account_id = ? AND balance + ? >= 0))`,
      )
      .bind(id, e.accountId, e.kind, e.points, e.orderId, e.ref, now, e.ref, e.points, e.accountId, e.points),
    // SQLite checks a row's CHECK before an upsert turns it into an update: a deduction is a plain update.
    e.points >= 0
      ? raw
          .prepare(
            `INSERT INTO points_accounts (account_id, balance, updated_at) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM points_entries WHERE id = ?)
             ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance, updated_at = excluded.updated_at`,
          )
          .bind(e.accountId, e.points, now, id)
      : raw
          .prepare(
            `UPDATE points_accounts SET balance = balance + ?, updated_at = ? WHERE account_id = ? AND EXISTS (SELECT 1 FROM points_entries WHERE id = ?)`,
          )
          .bind(e.points, now, e.accountId, id),
  ];
}

/** Expires points down to `to`, only while the balance is still `from` (the expiry read it so). */
export function expirePointsStatements(db: Db, accountId: string, from: number, to: number, now: number): D1PreparedStatement[] {
  const raw = db.$client;
  return [
    raw
      .prepare(
        `INSERT INTO points_entries (id, account_id, kind, delta, order_id, ref, released_at, created_at)
         SELECT ?, ?, 'expire', ?, NULL, ?, NULL, ? WHERE EXISTS (SELECT 1 FROM points_accounts WHERE account_id = ? AND balance = ?)`,
      )
      .bind(newId("pte", now), accountId, to - from, `expire:${accountId}:${now}`, now, accountId, from),
    raw
      .prepare(`UPDATE points_accounts SET balance = ?, updated_at = ? WHERE account_id = ? AND balance = ?`)
      .bind(to, now, accountId, from),
  ];
}

/** Accounts with points, and what each earned since `since` (for expiry). */
export async function balancesWithRecentEarnings(db: Db, since: number, afterAccount: string, limit: number) {
  return db
    .select({
      accountId: pointsAccounts.accountId,
      balance: pointsAccounts.balance,
      earned: sql<number>`coalesce((SELECT sum(delta) FROM points_entries e WHERE e.account_id = ${pointsAccounts.accountId} AND e.kind = 'earn' AND e.created_at > ${since}), 0)`,
    })
    .from(pointsAccounts)
    .where(and(gt(pointsAccounts.balance, 0), gt(pointsAccounts.accountId, afterAccount)))
    .orderBy(pointsAccounts.accountId)
    .limit(limit);
}

/** Served orders whose money was split (paid) and that earned no points yet. */
export async function ordersToEarn(db: Db, limit: number) {
  const rows = await db.$client
    .prepare(
      `SELECT o.id AS orderId, o.customer_id AS customerId, o.merchant_id AS merchantId, o.total AS total FROM orders o
       WHERE o.status IN ('completed', 'after_sales') AND o.total > 0
         AND EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.order_id = o.id AND t.kind = 'split')
         AND NOT EXISTS (SELECT 1 FROM points_entries e WHERE e.ref = 'earn:' || o.id)
       LIMIT ?`,
    )
    .bind(limit)
    .all<{ orderId: string; customerId: string; merchantId: string | null; total: number }>();
  return rows.results;
}

// ——— Settings and levels ———

export async function settingsRows(db: Db, scopes: string[]) {
  return db.select().from(membershipSettings).where(inArray(membershipSettings.scope, scopes));
}

export async function merchantSettingsRows(db: Db) {
  return db
    .select()
    .from(membershipSettings)
    .where(sql`${membershipSettings.scope} LIKE 'merchant:%'`);
}

export async function putSettings(db: Db, scope: string, settings: Record<string, unknown>, by: string, now: number): Promise<void> {
  await db
    .insert(membershipSettings)
    .values({ scope, settings, updatedBy: by, updatedAt: now })
    .onConflictDoUpdate({ target: membershipSettings.scope, set: { settings, updatedBy: by, updatedAt: now } });
}

export async function deleteSettings(db: Db, scope: string): Promise<void> {
  await db.delete(membershipSettings).where(eq(membershipSettings.scope, scope));
}

/** Per customer: what their served orders cost and the points they earned since `since`. */
export async function yearlyStanding(db: Db, since: number) {
  const rows = await db.$client
    .prepare(
      `SELECT id AS accountId, sum(spend) AS spend, sum(points) AS points FROM (
         SELECT customer_id AS id, total AS spend, 0 AS points FROM orders WHERE status IN ('completed', 'after_sales') AND completed_at > ?
         UNION ALL SELECT account_id, 0, delta FROM points_entries WHERE kind = 'earn' AND created_at > ?
         UNION ALL SELECT account_id, 0, 0 FROM member_levels
       ) GROUP BY id`,
    )
    .bind(since, since)
    .all<{ accountId: string; spend: number; points: number }>();
  return rows.results;
}

export function upsertLevelStatements(db: Db, rows: { accountId: string; level: string; spend: number; points: number }[], now: number) {
  return rows.map((r) =>
    db.$client
      .prepare(
        `INSERT INTO member_levels (account_id, level, spend, points, computed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET level = excluded.level, spend = excluded.spend, points = excluded.points, computed_at = excluded.computed_at`,
      )
      .bind(r.accountId, r.level, r.spend, r.points, now),
  );
}

export function findLevel(db: Db, accountId: string) {
  return first(db.select().from(memberLevels).where(eq(memberLevels.accountId, accountId)).limit(1));
}
