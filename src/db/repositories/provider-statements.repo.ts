/**
 * Daily provider statements: the runs (one per provider and day) and the mismatches they found,
 * and our side of the comparison (payments and refunds by id, and those of a day).
 */
import { and, asc, eq, gte, inArray, lt, ne, sql } from "drizzle-orm";
import type { Db } from "../client";
import { chunked } from "../chunks";
import { payments, refunds, statementMismatches, statementRuns } from "../schema";
import type { OurRecord } from "../../domain/statements";

export type StatementRunRow = typeof statementRuns.$inferSelect;
export type StatementMismatchRow = typeof statementMismatches.$inferSelect;

/** Our payments and refunds of `provider`: those the statement names, and those that moved money in [from, to). */
export async function ourRecords(
  db: Db,
  q: { provider: StatementRunRow["provider"]; paymentIds: string[]; refundIds: string[]; from: number; to: number },
): Promise<{ records: OurRecord[]; ofTheDay: string[] }> {
  const pay = (r: typeof payments.$inferSelect): OurRecord => ({
    subject: "payment",
    id: r.id,
    provider: r.provider,
    amount: r.amount,
    status: r.status,
    orderId: r.orderId ?? r.packageId ?? "",
  });
  const ref = (r: typeof refunds.$inferSelect): OurRecord => ({
    subject: "refund",
    id: r.id,
    provider: r.provider,
    amount: r.amount,
    status: r.status,
    orderId: r.orderId ?? r.packageId ?? "",
  });
  const [paidThatDay, refundedThatDay, ...named] = await Promise.all([
    db
      .select()
      .from(payments)
      .where(
        and(
          eq(payments.provider, q.provider),
          eq(payments.status, "succeeded"),
          gte(payments.succeededAt, q.from),
          lt(payments.succeededAt, q.to),
        ),
      ),
    db
      .select()
      .from(refunds)
      .where(
        and(
          eq(refunds.provider, q.provider),
          eq(refunds.status, "succeeded"),
          gte(refunds.succeededAt, q.from),
          lt(refunds.succeededAt, q.to),
        ),
      ),
    ...chunked(q.paymentIds).map((ids) =>
      db
        .select()
        .from(payments)
        .where(inArray(payments.id, ids))
        .then((rows) => rows.map(pay)),
    ),
    ...chunked(q.refundIds).map((ids) =>
      db
        .select()
        .from(refunds)
        .where(inArray(refunds.id, ids))
        .then((rows) => rows.map(ref)),
    ),
  ]);
  const day = [
    ...(paidThatDay as (typeof payments.$inferSelect)[]).map(pay),
    ...(refundedThatDay as (typeof refunds.$inferSelect)[]).map(ref),
  ];
  return { records: [...day, ...(named as OurRecord[][]).flat()], ofTheDay: day.map((r) => `${r.subject}:${r.id}`) };
}

export async function findStatementRun(db: Db, provider: StatementRunRow["provider"], day: string): Promise<StatementRunRow | undefined> {
  const [row] = await db
    .select()
    .from(statementRuns)
    .where(and(eq(statementRuns.provider, provider), eq(statementRuns.day, day)))
    .limit(1);
  return row;
}

type RunValues = Omit<StatementRunRow, "id" | "attempts" | "createdAt" | "updatedAt" | "error" | "status" | "completedAt">;

/** The upsert of a provider's run of a day: one row per (provider, day), attempts counted. */
function upsertRun(db: Db, id: string, run: RunValues & Pick<StatementRunRow, "status" | "error" | "completedAt">, now: number) {
  const keep = run.status === "failed";
  return db
    .insert(statementRuns)
    .values({ id, ...run, attempts: 1, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [statementRuns.provider, statementRuns.day],
      set: {
        source: run.source,
        status: run.status,
        error: run.error,
        attemptedAt: run.attemptedAt,
        triggeredBy: run.triggeredBy,
        updatedAt: now,
        attempts: sql`${statementRuns.attempts} + 1`,
        // A failed attempt keeps what the last good run found.
        ...(keep
          ? {}
          : {
              payments: run.payments,
              refunds: run.refunds,
              paidTotal: run.paidTotal,
              refundedTotal: run.refundedTotal,
              empty: run.empty,
              completedAt: run.completedAt,
            }),
      },
    });
}

/**
 * Stores a good run of a provider's day in one batch: the run (replacing an earlier one), its
 * mismatches (replacing the earlier ones of that day), and drops the `missing_at_provider`
 * mismatches of other days for refs this statement shows (the provider booked them on this day).
 */
export async function saveStatementRun(
  db: Db,
  id: string,
  run: RunValues,
  mismatches: StatementMismatchRow[],
  shown: { subject: "payment" | "refund"; ref: string }[],
  now: number,
): Promise<void> {
  const resolve = (["payment", "refund"] as const).flatMap((subject) =>
    chunked(shown.filter((s) => s.subject === subject).map((s) => s.ref)).map((refs) =>
      db
        .delete(statementMismatches)
        .where(
          and(
            eq(statementMismatches.provider, run.provider),
            eq(statementMismatches.kind, "missing_at_provider"),
            eq(statementMismatches.subject, subject),
            ne(statementMismatches.day, run.day),
            inArray(statementMismatches.ref, refs),
          ),
        ),
    ),
  );
  // One batch: the run, its mismatches and what they replace change together or not at all.
  // Mismatches go 7 rows to a statement (13 columns each, under D1's 100 parameters).
  await db.batch([
    upsertRun(db, id, { ...run, status: "succeeded", error: null, completedAt: now }, now),
    db.delete(statementMismatches).where(and(eq(statementMismatches.provider, run.provider), eq(statementMismatches.day, run.day))),
    ...resolve,
    ...chunked(mismatches, 7).map((rows) => db.insert(statementMismatches).values(rows)),
  ]);
}

/** Records a failed attempt; what the last good run found stays. */
export async function statementRunFailed(db: Db, id: string, run: RunValues, error: string, now: number): Promise<void> {
  await upsertRun(db, id, { ...run, status: "failed", error, completedAt: null }, now);
}

export async function statementRunsOfDay(db: Db, day: string): Promise<StatementRunRow[]> {
  return db.select().from(statementRuns).where(eq(statementRuns.day, day)).orderBy(asc(statementRuns.provider));
}

export async function statementMismatchesOfDay(db: Db, day: string, limit: number): Promise<StatementMismatchRow[]> {
  return db
    .select()
    .from(statementMismatches)
    .where(eq(statementMismatches.day, day))
    .orderBy(asc(statementMismatches.provider), asc(statementMismatches.kind), asc(statementMismatches.ref))
    .limit(limit);
}
