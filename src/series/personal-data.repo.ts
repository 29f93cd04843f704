/**
 * The series area's SQL for src/privacy: a person's series and visits for their data export, and
 * what their account deletion changes (personal-data.service.ts).
 */
import type { Db } from "../db/client";

type Row = Record<string, unknown>;

async function all<T = Row>(db: Db, query: string, ...params: unknown[]): Promise<T[]> {
  return (
    await db.$client
      .prepare(query)
      .bind(...params)
      .all<T>()
  ).results;
}

/** The series the person booked, oldest first. */
export const seriesRowsOfCustomer = (db: Db, accountId: string) =>
  all(
    db,
    `SELECT id, service_id, address_id, city_id, time_of_day, rule, start_date, until_date, count, units, preferred_technician_id,
            contact_account_id, contact_name, notes, status, previous_series_id, created_at, updated_at
       FROM series WHERE customer_id = ? ORDER BY created_at, id`,
    accountId,
  );

/** The visits of the person's series, by date. */
export const occurrenceRowsOfCustomer = (db: Db, accountId: string) =>
  all(
    db,
    `SELECT series_id, date, n, start_at, status, order_id, technician_id, moved_from, problem
       FROM series_occurrences WHERE series_id IN (SELECT id FROM series WHERE customer_id = ?) ORDER BY date`,
    accountId,
  );

/** The series of other customers that name the person as their second contact (no customer data). */
export const seriesRowsOfContact = (db: Db, accountId: string) =>
  all(
    db,
    "SELECT id, service_id, contact_name, status, start_date FROM series WHERE contact_account_id = ?1 AND customer_id <> ?1 ORDER BY created_at, id",
    accountId,
  );

/**
 * The deletion's statements: the person's series end (the cron books only active ones) and lose
 * their notes and second contact; visits still being claimed or waiting as unbookable are cancelled
 * (their alternatives name technicians and times for the person); other customers' series that
 * name the person as their second contact drop them.
 */
export function seriesErasureStatements(db: Db, accountId: string, now: number): D1PreparedStatement[] {
  const raw = db.$client;
  return [
    raw
      .prepare(
        `UPDATE series_occurrences SET status = 'cancelled', alternatives = NULL, claimed_at = NULL, updated_at = ?2
          WHERE status IN ('booking', 'unbookable') AND series_id IN (SELECT id FROM series WHERE customer_id = ?1)`,
      )
      .bind(accountId, now),
    raw
      .prepare(
        "UPDATE series SET status = 'ended', notes = NULL, contact_account_id = NULL, contact_name = NULL, updated_at = ?2 WHERE customer_id = ?1",
      )
      .bind(accountId, now),
    raw
      .prepare("UPDATE series SET contact_account_id = NULL, contact_name = NULL, updated_at = ?2 WHERE contact_account_id = ?1")
      .bind(accountId, now),
  ];
}
