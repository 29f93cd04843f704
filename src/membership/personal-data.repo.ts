/**
 * The membership area's SQL for src/privacy: a person's packages, points and level for their data
 * export, and what their account deletion changes (personal-data.service.ts).
 */
import type { Db } from "../db/client";
import { newId } from "../lib/ids";

type Row = Record<string, unknown>;

async function all<T = Row>(db: Db, query: string, ...params: unknown[]): Promise<T[]> {
  return (
    await db.$client
      .prepare(query)
      .bind(...params)
      .all<T>()
  ).results;
}

/** The person's packages with their plan's names, oldest first. */
export const packageRowsOf = (db: Db, accountId: string) =>
  all(
    db,
    `SELECT p.id, p.plan_id, pl.name_zh, pl.name_en, p.service_id, p.kind, p.units_total, p.units_left, p.price, p.currency,
            p.deferred_left, p.refund_percent, p.status, p.valid_until, p.paid_at, p.refunded_at, p.created_at
       FROM customer_packages p JOIN package_plans pl ON pl.id = p.plan_id WHERE p.customer_id = ? ORDER BY p.created_at, p.id`,
    accountId,
  );

/** The history of the person's packages, oldest first. */
export const packageEntryRowsOf = (db: Db, accountId: string) =>
  all(
    db,
    `SELECT package_id, kind, order_id, units, amount, released_at, created_at FROM package_entries
      WHERE package_id IN (SELECT id FROM customer_packages WHERE customer_id = ?) ORDER BY created_at, id`,
    accountId,
  );

export const pointsBalanceOf = async (db: Db, accountId: string) =>
  (await all<{ balance: number }>(db, "SELECT balance FROM points_accounts WHERE account_id = ?", accountId))[0]?.balance ?? 0;

export const pointsEntryRowsOf = (db: Db, accountId: string) =>
  all(
    db,
    "SELECT kind, delta, order_id, released_at, created_at FROM points_entries WHERE account_id = ? ORDER BY created_at, id",
    accountId,
  );

export const levelRowOf = async (db: Db, accountId: string) =>
  (await all(db, "SELECT level, spend, points, computed_at FROM member_levels WHERE account_id = ?", accountId))[0] ?? null;

/**
 * The deletion's statements. Packages and their history stay as they are: they are money (paid,
 * deferred, earned, refunded; the ledger points at them) and name only the account's id, which
 * stays as the tombstone's. The points the person still holds are forfeited by one `expire` entry
 * (the entries keep summing to the balance, now zero); the level, a profile of their spending, goes.
 */
export function membershipErasureStatements(db: Db, accountId: string, now: number): D1PreparedStatement[] {
  const raw = db.$client;
  return [
    raw
      .prepare(
        `INSERT INTO points_entries (id, account_id, kind, delta, order_id, ref, released_at, created_at)
         SELECT ?1, account_id, 'expire', -balance, NULL, ?2, NULL, ?3 FROM points_accounts WHERE account_id = ?4 AND balance > 0`,
      )
      .bind(newId("pte", now), `deleted:${accountId}`, now, accountId),
    raw.prepare("UPDATE points_accounts SET balance = 0, updated_at = ? WHERE account_id = ?").bind(now, accountId),
    raw.prepare("DELETE FROM member_levels WHERE account_id = ?").bind(accountId),
  ];
}
