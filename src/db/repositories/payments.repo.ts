import { and, asc, desc, eq, inArray, isNull, lt, lte, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { paymentPayers, payments, providerEvents, refunds } from "../schema";
import type { RefundStatus } from "../../domain/money";
import { insertRow, updateRows, type Guard } from "./statements";

export type PaymentRow = typeof payments.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
export type ProviderEventRow = typeof providerEvents.$inferSelect;

export async function insertPayment(db: Db, row: PaymentRow): Promise<void> {
  await db.insert(payments).values(row);
}

export async function findPayment(db: Db, id: string): Promise<PaymentRow | undefined> {
  const [row] = await db.select().from(payments).where(eq(payments.id, id)).limit(1);
  return row;
}

export async function paymentsOfOrder(db: Db, orderId: string): Promise<PaymentRow[]> {
  return db.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(asc(payments.createdAt), asc(payments.id));
}

export async function refundsOfOrder(db: Db, orderId: string): Promise<RefundRow[]> {
  return db.select().from(refunds).where(eq(refunds.orderId, orderId)).orderBy(asc(refunds.createdAt), asc(refunds.id));
}

/** The payments of a customer's package, oldest first. */
export async function paymentsOfPackage(db: Db, packageId: string): Promise<PaymentRow[]> {
  return db.select().from(payments).where(eq(payments.packageId, packageId)).orderBy(asc(payments.createdAt), asc(payments.id));
}

/** The refunds of what a payment paid for: its order's, or its package's. */
export async function refundsOfSubject(db: Db, p: Pick<PaymentRow, "orderId" | "packageId">): Promise<RefundRow[]> {
  const where = p.orderId !== null ? eq(refunds.orderId, p.orderId) : eq(refunds.packageId, p.packageId ?? "");
  return db.select().from(refunds).where(where).orderBy(asc(refunds.createdAt), asc(refunds.id));
}

export async function findRefund(db: Db, id: string): Promise<RefundRow | undefined> {
  const [row] = await db.select().from(refunds).where(eq(refunds.id, id)).limit(1);
  return row;
}

/** The id of the payment the provider knows by `providerRef` (e.g. a PaymentIntent id). */
export async function paymentIdByProviderRef(db: Db, providerRef: string): Promise<string | undefined> {
  const [row] = await db.select({ id: payments.id }).from(payments).where(eq(payments.providerRef, providerRef)).limit(1);
  return row?.id;
}

export async function findRefundByProviderId(db: Db, providerRefundId: string): Promise<RefundRow | undefined> {
  const [row] = await db.select().from(refunds).where(eq(refunds.providerRefundId, providerRefundId)).limit(1);
  return row;
}

export async function findEvent(db: Db, provider: string, eventId: string): Promise<ProviderEventRow | undefined> {
  const [row] = await db
    .select()
    .from(providerEvents)
    .where(and(eq(providerEvents.provider, provider), eq(providerEvents.eventId, eventId)))
    .limit(1);
  return row;
}

/** The dedupe record: a plain insert, so a second delivery of the event fails its whole batch. */
export function eventRow(db: Db, e: ProviderEventRow): D1PreparedStatement {
  return insertRow(db, providerEvents, { ...e });
}

/** Marks the payment paid by `eventId` unless it already is; later writes guard on that event id. */
export function paymentSucceeded(db: Db, p: { id: string; providerTxnId: string; eventId: string }, now: number) {
  return updateRows(
    db,
    payments,
    { status: "succeeded", providerTxnId: p.providerTxnId, successEventId: p.eventId, succeededAt: now, updatedAt: now },
    { sql: "id = ? AND status <> 'succeeded'", params: [p.id] },
  );
}

/** Who paid a payment (a keyed hash), recorded once with its success; later deliveries change nothing. */
export function paymentPayerRow(
  db: Db,
  r: { paymentId: string; accountId: string; provider: PaymentRow["provider"]; payerHash: string },
  now: number,
) {
  return insertRow(db, paymentPayers, { ...r, createdAt: now }, undefined, true);
}

/** Decides what a paid payment's money does, once: only while undecided. */
export function paymentDisposed(
  db: Db,
  paymentId: string,
  disposition: NonNullable<PaymentRow["disposition"]>,
  ref: string,
  now: number,
  guard?: Guard,
) {
  return updateRows(
    db,
    payments,
    { disposition, dispositionRef: ref, updatedAt: now },
    { sql: "id = ? AND status = 'succeeded' AND disposition IS NULL", params: [paymentId] },
    guard,
  );
}

/** Marks a pending payment failed (an attempt the provider declined); a paid one stays paid. */
export function paymentFailed(db: Db, paymentId: string, now: number) {
  return updateRows(db, payments, { status: "failed", updatedAt: now }, { sql: "id = ? AND status = 'pending'", params: [paymentId] });
}

export function refundRow(db: Db, r: RefundRow, guard?: Guard) {
  return insertRow(db, refunds, { ...r }, guard);
}

/** Moves a refund from one of `from` to `set.status`, marking it with `marker` (guards what follows). */
export function refundMoved(db: Db, id: string, from: RefundStatus[], set: Partial<RefundRow> & { changeId: string }, now: number) {
  return updateRows(
    db,
    refunds,
    { ...set, updatedAt: now },
    { sql: `id = ? AND status IN (${from.map(() => "?").join(", ")})`, params: [id, ...from] },
  );
}

/** Marks a refund succeeded with the provider's refund id (a refund made at the provider, booked in the same batch). */
export function refundSucceeded(db: Db, id: string, providerRefundId: string, now: number) {
  return updateRows(
    db,
    refunds,
    { status: "succeeded", providerRefundId, succeededAt: now, updatedAt: now },
    { sql: "id = ?", params: [id] },
  );
}

export async function setRefundProviderId(db: Db, id: string, providerRefundId: string): Promise<void> {
  await db
    .update(refunds)
    .set({ providerRefundId, updatedAt: Date.now() })
    .where(and(eq(refunds.id, id), isNull(refunds.providerRefundId)));
}

export async function setPaymentStatus(db: Db, id: string, from: PaymentRow["status"], to: PaymentRow["status"]): Promise<boolean> {
  const res = await db
    .update(payments)
    .set({ status: to, updatedAt: Date.now() })
    .where(and(eq(payments.id, id), eq(payments.status, from)))
    .returning({ id: payments.id });
  return res.length > 0;
}

/** Pending payments created before `before`, oldest first (the reconciliation job's work). */
export async function pendingPayments(db: Db, before: number, limit: number): Promise<PaymentRow[]> {
  return db
    .select()
    .from(payments)
    .where(and(eq(payments.status, "pending"), lte(payments.createdAt, before)))
    .orderBy(asc(payments.createdAt))
    .limit(limit);
}

/** Paid payments whose money has not been applied or refunded yet (their order still needs settling). */
export async function undisposedPayments(db: Db, before: number, limit: number): Promise<PaymentRow[]> {
  return db
    .select()
    .from(payments)
    .where(and(eq(payments.status, "succeeded"), isNull(payments.disposition), lte(payments.updatedAt, before)))
    .orderBy(asc(payments.updatedAt))
    .limit(limit);
}

export async function refundsInStatus(db: Db, status: RefundStatus, before: number, limit: number): Promise<RefundRow[]> {
  return db
    .select()
    .from(refunds)
    .where(and(eq(refunds.status, status), lte(refunds.updatedAt, before)))
    .orderBy(asc(refunds.updatedAt))
    .limit(limit);
}

export interface RefundFilter {
  status?: RefundStatus;
  merchantId?: string;
  orderId?: string;
  beforeId?: string;
}

export async function listRefunds(db: Db, f: RefundFilter, limit: number): Promise<RefundRow[]> {
  const where: SQL[] = [];
  if (f.status) where.push(eq(refunds.status, f.status));
  if (f.merchantId) where.push(eq(refunds.merchantId, f.merchantId));
  if (f.orderId) where.push(eq(refunds.orderId, f.orderId));
  if (f.beforeId) where.push(lt(refunds.id, f.beforeId));
  return db
    .select()
    .from(refunds)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(refunds.id))
    .limit(limit);
}

/** Paid payments and confirmed refunds per provider in a window (what the providers told us). */
export async function providerTotals(db: Db, from: number, to: number) {
  const [paid, refunded] = await db.batch([
    db
      .select({ provider: payments.provider, sum: sql<number>`sum(${payments.amount})`, count: sql<number>`count(*)` })
      .from(payments)
      .where(and(eq(payments.status, "succeeded"), sql`${payments.succeededAt} >= ${from}`, sql`${payments.succeededAt} < ${to}`))
      .groupBy(payments.provider),
    db
      .select({ provider: refunds.provider, sum: sql<number>`sum(${refunds.amount})`, count: sql<number>`count(*)` })
      .from(refunds)
      .where(and(eq(refunds.status, "succeeded"), sql`${refunds.succeededAt} >= ${from}`, sql`${refunds.succeededAt} < ${to}`))
      .groupBy(refunds.provider),
  ]);
  return { paid, refunded };
}

export async function paymentsByIds(db: Db, ids: string[]): Promise<PaymentRow[]> {
  if (ids.length === 0) return [];
  return db.select().from(payments).where(inArray(payments.id, ids));
}
