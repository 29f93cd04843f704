/**
 * The series area's SQL: series and their occurrences. An occurrence is claimed by inserting its
 * row (unique per series and local date) before its order is placed, so two generations at once
 * book a date once; every later change is a compare-and-set on the occurrence's status, and the
 * notices it causes are written in the same batch, only if the change won.
 */
import { and, asc, desc, eq, gt, gte, inArray, lte, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { series, seriesOccurrences } from "../db/schema";
import type { OutboxMessage } from "../domain/outbox";
import { insertRow, outboxRow, runBatch, updateRows, type Guard, type Values } from "../db/repositories/statements";
import { staffNoticeRows, type StaffNoticeRows } from "../db/repositories/staff-notices";

export type { StaffNoticeRows };

export type SeriesRow = typeof series.$inferSelect;
export type OccurrenceRow = typeof seriesOccurrences.$inferSelect;
export type OccurrenceStatus = OccurrenceRow["status"];

/** Rows a list answers at most. */
export const LIST_MAX = 100;

export async function insertSeries(db: Db, row: SeriesRow): Promise<void> {
  await db.insert(series).values(row);
}

export async function findSeries(db: Db, id: string): Promise<SeriesRow | undefined> {
  return db.query.series.findFirst({ where: eq(series.id, id) });
}

/** A customer's series, newest first. */
export async function seriesOfCustomer(db: Db, customerId: string, limit = LIST_MAX): Promise<SeriesRow[]> {
  return db.select().from(series).where(eq(series.customerId, customerId)).orderBy(desc(series.id)).limit(limit);
}

/** Series for staff, newest first: every one (`merchantId` undefined) or one merchant's. */
export async function seriesForStaff(db: Db, merchantId: string | undefined, limit = LIST_MAX): Promise<SeriesRow[]> {
  const where = merchantId === undefined ? undefined : eq(series.merchantId, merchantId);
  return db.select().from(series).where(where).orderBy(desc(series.id)).limit(limit);
}

/** Active series whose next run fell due, oldest due first. */
export async function dueSeries(db: Db, now: number, limit: number): Promise<SeriesRow[]> {
  return db
    .select()
    .from(series)
    .where(and(eq(series.status, "active"), lte(series.nextRunAt, now)))
    .orderBy(asc(series.nextRunAt))
    .limit(limit);
}

/** Changes a series if it is still in `from` status; false when it was not (changed meanwhile). */
export async function updateSeries(
  db: Db,
  id: string,
  from: SeriesRow["status"][],
  patch: Values<typeof series>,
  extra: D1PreparedStatement[] = [],
): Promise<boolean> {
  const [result] = await runBatch(db, [
    updateRows(db, series, patch, { sql: `id = ? AND status IN (${from.map(() => "?").join(", ")})`, params: [id, ...from] }),
    ...extra,
  ]);
  return (result?.meta.changes ?? 0) > 0;
}

/** When the cron should next look at a series. */
export async function setNextRun(db: Db, id: string, at: number): Promise<void> {
  await db.update(series).set({ nextRunAt: at }).where(eq(series.id, id));
}

/** A series' occurrences from a local date on (all without `fromDate`), by date. */
export async function occurrencesOf(db: Db, seriesId: string, fromDate?: string): Promise<OccurrenceRow[]> {
  const where = fromDate
    ? and(eq(seriesOccurrences.seriesId, seriesId), gte(seriesOccurrences.date, fromDate))
    : eq(seriesOccurrences.seriesId, seriesId);
  return db.select().from(seriesOccurrences).where(where).orderBy(asc(seriesOccurrences.date));
}

export async function findOccurrence(db: Db, seriesId: string, id: string): Promise<OccurrenceRow | undefined> {
  return db.query.seriesOccurrences.findFirst({ where: and(eq(seriesOccurrences.id, id), eq(seriesOccurrences.seriesId, seriesId)) });
}

/** The occurrences of several series (for lists), by date. */
export async function occurrencesOfMany(db: Db, seriesIds: string[]): Promise<OccurrenceRow[]> {
  if (seriesIds.length === 0) return [];
  return db.select().from(seriesOccurrences).where(inArray(seriesOccurrences.seriesId, seriesIds)).orderBy(asc(seriesOccurrences.date));
}

/** The `problem` of a visit a pause cancelled: booked again when the series resumes. */
export const PAUSED = "SERIES_PAUSED";

/**
 * Claims a date for booking: the row is inserted as `booking` unless the date has a row already
 * (then false: another generation has it, or it was skipped). A `booking` claim older than
 * `staleBefore` (its booker died) is taken over, and so is a visit a pause cancelled. The claim is
 * what keeps a date booked once.
 */
export async function claimOccurrence(db: Db, row: OccurrenceRow, staleBefore: number): Promise<boolean> {
  const [inserted] = await runBatch(db, [insertRow(db, seriesOccurrences, row, undefined, true)]);
  if ((inserted?.meta.changes ?? 0) > 0) return true;
  const [taken] = await runBatch(db, [
    updateRows(
      db,
      seriesOccurrences,
      { status: "booking", orderId: null, technicianId: null, problem: null, claimedAt: row.claimedAt, updatedAt: row.updatedAt },
      {
        sql: `series_id = ? AND date = ? AND ((status = 'booking' AND claimed_at < ?) OR (status = 'cancelled' AND problem = '${PAUSED}'))`,
        params: [row.seriesId, row.date, staleBefore],
      },
    ),
  ]);
  return (taken?.meta.changes ?? 0) > 0;
}

/** The occurrence row of a series' date (after a claim). */
export async function occurrenceOnDate(db: Db, seriesId: string, date: string): Promise<OccurrenceRow | undefined> {
  return db.query.seriesOccurrences.findFirst({ where: and(eq(seriesOccurrences.seriesId, seriesId), eq(seriesOccurrences.date, date)) });
}

const won = (id: string, status: OccurrenceStatus, updatedAt: number): Guard => ({
  sql: "EXISTS (SELECT 1 FROM series_occurrences WHERE id = ? AND status = ? AND updated_at = ?)",
  params: [id, status, updatedAt],
});

/**
 * Moves an occurrence on from one of the `from` statuses (compare-and-set) and writes its notices
 * only if that change won. False when the occurrence was not in `from` (someone else changed it).
 */
export async function updateOccurrence(
  db: Db,
  id: string,
  from: OccurrenceStatus[],
  patch: Values<typeof seriesOccurrences> & { status: OccurrenceStatus; updatedAt: number },
  messages: OutboxMessage[] = [],
  staff?: StaffNoticeRows,
): Promise<boolean> {
  const guard = won(id, patch.status, patch.updatedAt);
  const [result] = await runBatch(db, [
    updateRows(db, seriesOccurrences, patch, {
      sql: `id = ? AND status IN (${from.map(() => "?").join(", ")})`,
      params: [id, ...from],
    }),
    ...messages.map((m) => outboxRow(db, m, patch.updatedAt, guard)),
    ...(staff ? [staffNoticeRows(db, staff, patch.updatedAt, guard)] : []),
  ]);
  return (result?.meta.changes ?? 0) > 0;
}

/** Writes a decided occurrence (a skip of a date not generated yet) unless the date has a row. */
export async function insertDecided(db: Db, row: OccurrenceRow, messages: OutboxMessage[] = []): Promise<boolean> {
  const [result] = await runBatch(db, [
    insertRow(db, seriesOccurrences, row, undefined, true),
    ...messages.map((m) => outboxRow(db, m, row.updatedAt, won(row.id, row.status, row.updatedAt))),
  ]);
  return (result?.meta.changes ?? 0) > 0;
}

/**
 * Occurrences for staff that could not be booked and start from `since` on, by id (the order they
 * were found), after the cursor's id: every merchant's (`merchantId` undefined) or one merchant's,
 * in one city or all. Fetch `limit + 1` to know whether a next page exists.
 */
export async function unbookableForStaff(
  db: Db,
  q: { merchantId?: string; cityId?: string; since: number; after?: string; limit: number },
) {
  return db
    .select({ occurrence: seriesOccurrences, series })
    .from(seriesOccurrences)
    .innerJoin(series, eq(series.id, seriesOccurrences.seriesId))
    .where(
      and(
        eq(seriesOccurrences.status, "unbookable"),
        gte(seriesOccurrences.startAt, q.since),
        q.merchantId === undefined ? undefined : eq(series.merchantId, q.merchantId),
        q.cityId === undefined ? undefined : eq(series.cityId, q.cityId),
        q.after === undefined ? undefined : gt(seriesOccurrences.id, q.after),
      ),
    )
    .orderBy(asc(seriesOccurrences.id))
    .limit(q.limit);
}

/** Booked occurrences of a series starting from `since` on (those a pause or an end cancels). */
export async function bookedFrom(db: Db, seriesId: string, fromDate: string): Promise<OccurrenceRow[]> {
  return db
    .select()
    .from(seriesOccurrences)
    .where(
      and(
        eq(seriesOccurrences.seriesId, seriesId),
        gte(seriesOccurrences.date, fromDate),
        or(eq(seriesOccurrences.status, "booked"), eq(seriesOccurrences.status, "unbookable"), eq(seriesOccurrences.status, "booking")),
      ),
    )
    .orderBy(asc(seriesOccurrences.date));
}
