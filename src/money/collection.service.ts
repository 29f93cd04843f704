/**
 * Only money that was collected is split. At completion the order's split covers what the customer
 * paid (and the coupon's part of it); what is still due waits in `payment_dues`: the customer is
 * asked to pay (a `payment.due` notice), reminded after PAYMENT_DUE_REMINDER_HOURS, and the order
 * goes to the operators' exception queue (`exception: unpaid`) after PAYMENT_DUE_EXCEPTION_HOURS;
 * meanwhile the customer cannot book again. Each later collection (a payment of the balance, cash
 * the technician took) is split when it arrives, as its own split transaction of the order.
 */
import { config } from "../config";
import { getDb, type Db } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { bookableService } from "../db/repositories/booking.repo";
import {
  cashExists,
  cashInsert,
  cashOfOrder,
  dueEscalatedStatements,
  dueInsert,
  dueReminded,
  dueSettledStatements,
  dueWaivedStatements,
  findDue,
  notWaived,
  sameStatusEvent,
  waivedBy,
  duesToEscalate,
  duesToRemind,
  duesToSettle,
  fitsDue,
  orderServed,
  remindedAt,
  splitCountIs,
  stillDue,
  type CashRow,
} from "../db/repositories/dues.repo";
import { ledgerStatements, listTx } from "../db/repositories/ledger.repo";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import { paymentsOfOrder, refundsOfOrder, type PaymentRow, type RefundRow } from "../db/repositories/payments.repo";
import { allOf, outboxRow, runBatch, type Guard } from "../db/repositories/statements";
import { cashCollectionTx, waiverTx } from "../domain/ledger";
import type { Auth } from "../env";
import type { OutboxMessage } from "../domain/outbox";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";
import type { TransitionEffects } from "../orders/order-flow.service";
import { sharesOf } from "./commission.service";
import { couponOf, factsOf, merchantFundedOf, repricedOut, splitStatements } from "./money-writes";
import { drawnByOrder } from "../db/repositories/membership.repo";
import { settlementDelayMs } from "./providers";

/** Statuses in which an order's collected money is split (the visit happened). */
const SERVED = ["completed", "after_sales"];

/**
 * What the customer paid towards the order: `collected` counts applied payments and cash (what
 * settles the total); `splittable` is the customer money the ledger holds for it (less refunds
 * taken from the customer's funds before a split, such as an overpayment sent back).
 */
export function collectedOf(payments: PaymentRow[], refunds: RefundRow[], cash: CashRow[]) {
  const applied = payments.filter((p) => p.status === "succeeded" && p.disposition === "applied");
  const cashTotal = cash.reduce((s, c) => s + c.amount, 0);
  // What a reschedule to a cheaper time gave back no longer counts towards the total.
  const collected = applied.reduce((s, p) => s + p.amount, 0) + cashTotal - repricedOut(refunds);
  const returned = refunds
    .filter((r) => !r.afterSplit && (r.status === "processing" || r.status === "succeeded") && applied.some((p) => p.id === r.paymentId))
    .reduce((s, r) => s + r.amount, 0);
  return { collected, splittable: collected - returned, cash: cashTotal };
}

/** A discount's part of `upTo` of the order's total collected (all of it once the total is in). */
function partOf(discount: number, o: OrderRow, upTo: number): number {
  if (o.total <= 0 || upTo >= o.total) return discount;
  return Math.floor((discount * Math.max(0, upTo)) / o.total);
}

/** The platform-paid coupon's part of `upTo` collected. */
const couponPart = (o: OrderRow, upTo: number) => partOf(couponOf(o), o, upTo);

/** The merchant-funded discount's part of `upTo` collected (taken off the merchant's share). */
const merchantFundedPart = (o: OrderRow, upTo: number) => partOf(merchantFundedOf(o), o, upTo);

async function moneyOf(db: Db, orderId: string) {
  const [payments, refunds, cash, drawn] = await Promise.all([
    paymentsOfOrder(db, orderId),
    refundsOfOrder(db, orderId),
    cashOfOrder(db, orderId),
    drawnByOrder(db, orderId),
  ]);
  const c = collectedOf(payments, refunds, cash);
  // What a package paid (its draw, already customer money in the ledger) is split like a payment.
  return { payments, refunds, cashRows: cash, ...c, splittable: c.splittable + drawn };
}

function dueMessage(o: OrderRow, amount: number, reminder: boolean): OutboxMessage {
  return {
    id: newId("msg"),
    topic: "payment.due",
    payload: { orderId: o.id, customerId: o.customerId, amount, currency: o.currency, reminder },
  };
}

/**
 * The completed order's money, in the completion's own batch: the split of what was collected (with
 * the coupon's part of it), and, if anything is still due, the due row and the customer's notice.
 */
export async function completionSplit(env: Env, order: OrderRow): Promise<TransitionEffects> {
  const db = getDb(env);
  const m = await moneyOf(db, order.id);
  const funds = m.splittable;
  const coupon = couponPart(order, m.collected);
  const merchantFunded = merchantFundedPart(order, m.collected);
  const shares = await sharesOf(env, order, funds + coupon + merchantFunded);
  const due = order.total - m.collected;
  return {
    extra: (guard: Guard, now: number) => [
      ...splitStatements(
        db,
        order,
        { funds, coupon, merchantFunded, shares, technicianAvailableAt: now + settlementDelayMs(env), memo: `order ${order.id} completed` },
        now,
        allOf(guard, splitCountIs(order.id, 0)),
      ),
      ...(due > 0
        ? [
            dueInsert(
              db,
              {
                orderId: order.id,
                customerId: order.customerId,
                merchantId: order.merchantId,
                createdAt: now,
                remindedAt: null,
                escalatedAt: null,
                settledAt: null,
                waivedAt: null,
                waivedBy: null,
                waiveReason: null,
                waivedAmount: null,
              },
              guard,
            ),
            outboxRow(db, dueMessage(order, due, false), now, allOf(guard, stillDue(order.id))),
          ]
        : []),
    ],
  };
}

/**
 * Splits what the served order collected since its last split (a payment of the balance, cash),
 * and settles its due once the total is in. Idempotent; safe to run at any time and concurrently
 * (each split is written only if nobody split the order meanwhile, then it looks again).
 */
export async function splitCollected(env: Env, orderId: string): Promise<void> {
  const db = getDb(env);
  for (let attempt = 0; attempt < 4; attempt++) {
    const order = await findOrder(db, orderId);
    if (!order || !SERVED.includes(order.status)) return;
    const [m, splits] = await Promise.all([moneyOf(db, orderId), listTx(db, { orderId, kind: "split" }, 100)]);
    const sumOf = (account: string) =>
      splits.reduce((s, t) => s + t.entries.filter((e) => e.account === account).reduce((a, e) => a + e.amount, 0), 0);
    const funds = m.splittable - sumOf("customer_funds");
    const coupon = couponPart(order, m.collected) - sumOf("coupon_expense");
    // What earlier splits took off the merchant for its promotion: their debits of its payable.
    const fundedBefore = splits.reduce(
      (s, t) => s + t.entries.filter((e) => e.account.startsWith("merchant_payable:") && e.amount > 0).reduce((a, e) => a + e.amount, 0),
      0,
    );
    const merchantFunded = Math.max(0, merchantFundedPart(order, m.collected) - fundedBefore);
    const now = Date.now();
    const settle = dueSettledStatements(db, orderId, now);
    if (funds <= 0 || funds + coupon <= 0) {
      await runBatch(db, settle);
      return;
    }
    const shares = await sharesOf(env, order, funds + coupon + merchantFunded);
    // The first split of the order is named by the order (as at completion), later ones by their number.
    const ref = splits.length === 0 ? order.id : `${order.id}:${splits.length + 1}`;
    await runBatch(db, [
      ...splitStatements(
        db,
        order,
        {
          ref,
          funds,
          coupon,
          merchantFunded,
          shares,
          technicianAvailableAt: now + settlementDelayMs(env),
          memo: `order ${order.id}: collected after completion`,
        },
        now,
        allOf(orderServed(orderId), splitCountIs(orderId, splits.length)),
      ),
      ...settle,
    ]);
    // Look again: what arrived meanwhile (or a split someone else wrote first) is handled the same way.
  }
}

/** A cash collection as the technician and staff see it. */
export function cashView(c: CashRow) {
  return {
    id: c.id,
    orderId: c.orderId,
    technicianId: c.technicianId,
    amount: { amount: c.amount, currency: c.currency },
    at: new Date(c.createdAt).toISOString(),
  };
}

/**
 * The order's technician records cash they took from the customer (`amount` in 分), where the
 * service allows cash: during the visit or once it is completed, at most what is still due. It
 * counts as collected (split like a payment, the customer's balance settled by it) and comes off
 * the technician's balance at once (they hold the money). Audited.
 */
export async function recordCash(env: Env, technicianId: string, accountId: string, orderId: string, amount: number) {
  const db = getDb(env);
  const order = await findOrder(db, orderId);
  if (!order || order.technicianId !== technicianId) throw notFound("Order");
  if (order.status !== "in_service" && !SERVED.includes(order.status)) {
    throw AppError.of("INVALID_TRANSITION", { status: order.status }, { extra: { status: order.status } });
  }
  const found = await bookableService(db, order.serviceId);
  if (!found?.service.paymentOptions.cash) throw AppError.of("CASH_NOT_ACCEPTED", {});
  const [m, dueRow] = await Promise.all([moneyOf(db, orderId), findDue(db, orderId)]);
  const due = dueRow?.waivedAt ? 0 : order.total - m.collected;
  if (due <= 0)
    throw AppError.of("NOTHING_TO_PAY", { stage: "cash", status: order.status }, { extra: { status: order.status, stage: "cash" } });
  if (amount > due) {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.amount", message: `at most ${due} (what is still due)` }] });
  }
  const now = Date.now();
  const row: CashRow = {
    id: newId("csh", now),
    orderId,
    technicianId,
    amount,
    currency: order.currency,
    recordedBy: accountId,
    createdAt: now,
  };
  const [inserted] = await runBatch(db, [
    // Written only while it fits what is due when the batch runs (a payment may have arrived meanwhile).
    cashInsert(db, row, allOf(fitsDue(orderId, amount), notWaived(orderId))),
    ...ledgerStatements(db, cashCollectionTx({ ...factsOf(order), technicianId }, row), now, cashExists(row.id)),
  ]);
  if (inserted?.meta.changes !== 1) {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.amount", message: "more than is still due" }] });
  }
  await appendAudit(db, {
    actorId: accountId,
    action: "cash.collect",
    targetType: "order",
    targetId: orderId,
    data: { cashId: row.id, technicianId, amount, currency: order.currency },
  });
  await splitCollected(env, orderId);
  return cashView(row);
}

/** What a waiver answers: the order's due as it stands now. */
export interface WaiverView {
  orderId: string;
  waived: { amount: number; currency: string };
  reason: string;
  waivedAt: string;
  waivedBy: string;
}

/**
 * Staff (operators and admins) waive what a served order still owes, with a reason: the due is
 * settled (the customer may book again), the amount is written off as the platform's expense (a
 * `waiver` ledger transaction paying the merchant's and the technician's shares of it), the order
 * leaves the exception queue, its timeline says so and the customer is told (payment.waived).
 * Audited as `due.waive`. Exactly one of a waiver and a payment (or cash) racing it settles the due:
 * the waiver is written only while exactly what it read is still due, and money arriving after it
 * is not applied (settle.service refunds it). 404 for an unknown order or one without a due;
 * 409 NOTHING_TO_PAY once it is settled (paid, or waived before).
 */
export async function waiveDue(env: Env, auth: Auth, orderId: string, reason: string): Promise<WaiverView> {
  const db = getDb(env);
  for (let attempt = 0; attempt < 4; attempt++) {
    const [order, due] = await Promise.all([findOrder(db, orderId), findDue(db, orderId)]);
    if (!order || !due) throw notFound("Order");
    const m = await moneyOf(db, orderId);
    const amount = order.total - m.collected;
    if (due.settledAt !== null || amount <= 0) {
      // Paid meanwhile but not settled yet: settle it as the cron would.
      if (due.settledAt === null) await splitCollected(env, orderId);
      throw AppError.of("NOTHING_TO_PAY", { stage: "waive", status: order.status }, { extra: { status: order.status, stage: "waive" } });
    }
    const now = Date.now();
    const shares = await sharesOf(env, order, amount);
    const mine = waivedBy(orderId, now, auth.accountId);
    const [settled] = await runBatch(db, [
      ...dueWaivedStatements(db, orderId, { at: now, by: auth.accountId, reason, amount }),
      ...ledgerStatements(
        db,
        waiverTx(
          { ...factsOf(order) },
          {
            ref: `${orderId}:waiver`,
            amount,
            shares,
            technicianAvailableAt: now + settlementDelayMs(env),
            memo: `order ${orderId}: balance waived`,
          },
        ),
        now,
        mine,
      ),
      sameStatusEvent(
        db,
        {
          id: newId("evt", now),
          orderId,
          at: now,
          actorType: "operator",
          actorId: auth.accountId,
          fromStatus: order.status,
          toStatus: order.status,
          reason: "balance waived",
          data: { amount, currency: order.currency, reason },
        },
        mine,
      ),
      outboxRow(
        db,
        { id: newId("msg"), topic: "payment.waived", payload: { orderId, customerId: order.customerId, amount, currency: order.currency } },
        now,
        mine,
      ),
    ]);
    if (settled?.meta.changes !== 1) continue; // paid, partly paid or waived meanwhile: look again
    await appendAudit(db, {
      actorId: auth.accountId,
      action: "due.waive",
      targetType: "order",
      targetId: orderId,
      data: { amount, currency: order.currency, reason, customerId: order.customerId },
    });
    return {
      orderId,
      waived: { amount, currency: order.currency },
      reason,
      waivedAt: new Date(now).toISOString(),
      waivedBy: auth.accountId,
    };
  }
  throw AppError.of("CONCURRENT_UPDATE");
}

/** Cash recorded for an order (its views). */
export async function cashOf(env: Env, orderId: string) {
  return (await cashOfOrder(getDb(env), orderId)).map(cashView);
}

export interface DuesSummary {
  settled: number;
  reminded: number;
  escalated: number;
}

const BATCH = 50;

/**
 * The cron's pass over unpaid served orders: money that arrived but was not split yet is split
 * (and the due settled); dues older than PAYMENT_DUE_REMINDER_HOURS get one reminder; those older
 * than PAYMENT_DUE_EXCEPTION_HOURS go to the operators' exception queue (`exception: unpaid`).
 */
export async function runPaymentDues(env: Env, now = Date.now()): Promise<DuesSummary> {
  const db = getDb(env);
  const cfg = config(env);
  const s: DuesSummary = { settled: 0, reminded: 0, escalated: 0 };
  for (const d of await duesToSettle(db, BATCH)) {
    await splitCollected(env, d.orderId);
    s.settled += 1;
  }
  for (const d of await duesToRemind(db, now - cfg.PAYMENT_DUE_REMINDER_HOURS * 3_600_000, BATCH)) {
    const order = await findOrder(db, d.orderId);
    if (!order) continue;
    const m = await moneyOf(db, order.id);
    const due = order.total - m.collected;
    if (due <= 0) {
      await splitCollected(env, order.id);
      continue;
    }
    await runBatch(db, [dueReminded(db, order.id, now), outboxRow(db, dueMessage(order, due, true), now, remindedAt(order.id, now))]);
    s.reminded += 1;
  }
  for (const d of await duesToEscalate(db, now - cfg.PAYMENT_DUE_EXCEPTION_HOURS * 3_600_000, BATCH)) {
    const [first] = await runBatch(db, dueEscalatedStatements(db, d.orderId, now));
    if (first?.meta.changes === 1) s.escalated += 1;
  }
  return s;
}
