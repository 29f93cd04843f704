/**
 * A paid payment and what it does to its order, exactly once. Recording the payment (provider event,
 * payment status, ledger, message) is one D1 batch; settling the order follows and is idempotent, so
 * a duplicate delivery or the reconciliation job can always run it again:
 * - a pending order is confirmed (its hold booked, or the same interval held again if the hold
 *   expired) and dispatched; if the interval is gone, it is cancelled and the payment refunded;
 * - a cancelled order's late payment, or a stage paid twice, is refunded in full, and the customer told.
 */
import { getDb } from "../db/client";
import { bookableService } from "../db/repositories/booking.repo";
import { findOrder, findOrderByHoldKey, type OrderRow } from "../db/repositories/orders.repo";
import {
  eventRow,
  findPayment,
  paymentDisposed,
  paymentPayerRow,
  paymentsOfOrder,
  refundsOfOrder,
  type PaymentRow,
  type ProviderEventRow,
  type RefundRow,
} from "../db/repositories/payments.repo";
import { outboxRow, paymentDisposedBy, runBatch, type Guard } from "../db/repositories/statements";
import { AppError } from "../errors";
import { Pii } from "../lib/pii";
import { newId } from "../lib/ids";
import { bookHold, holdFor, jobOf, releaseHold, reserveBest, type Reservation } from "../dispatch/dispatch.service";
import { handleHoldExpired, repairLapsedHold, SYSTEM, startDispatch, transition } from "../orders/order-flow.service";
import { reheldInWindow, windowNoteOf } from "../orders/quote-window";
import { message, netOf, paymentSuccessStatements, refundStatements, repricedOut } from "./money-writes";
import { isDuplicate, submitRefunds } from "./refund-flow.service";
import { splitCollected } from "./collection.service";
import { cashOfOrder, findDue, notWaived } from "../db/repositories/dues.repo";
import { applyPackagePaymentSuccess } from "./package-money.service";

export interface PaidFacts {
  paymentId: string;
  providerTxnId: string;
  event: ProviderEventRow;
  /** The payer as the provider's notification names it (see `payerOf`), when it names one. Only its keyed hash is stored. */
  payer?: string | null;
}

/**
 * Records a verified payment success once (a duplicate event changes nothing and answers false),
 * then settles its order.
 */
export async function applyPaymentSuccess(env: Env, f: PaidFacts): Promise<boolean> {
  const db = getDb(env);
  const payment = (await findPayment(db, f.paymentId))!;
  if (payment.orderId === null) return applyPackagePaymentSuccess(env, payment, f);
  const order = (await findOrder(db, payment.orderId))!;
  const now = Date.now();
  let fresh = true;
  try {
    const payerHash = f.payer ? await (await Pii.fromEnv(env)).lookupHash(`payer:${payment.provider}:${f.payer}`) : null;
    await runBatch(db, [
      eventRow(db, f.event),
      ...paymentSuccessStatements(db, order, payment, { eventId: f.event.eventId, providerTxnId: f.providerTxnId }, now),
      ...(payerHash
        ? [paymentPayerRow(db, { paymentId: payment.id, accountId: payment.customerId, provider: payment.provider, payerHash }, now)]
        : []),
    ]);
  } catch (err) {
    if (!isDuplicate(err)) throw err;
    fresh = false;
  }
  // Also after a duplicate: the first delivery may have stopped before settling.
  await settleOrder(env, order.id);
  return fresh;
}

/** Settles every paid payment of the order whose money is not applied or refunded yet. */
export async function settleOrder(env: Env, orderId: string): Promise<void> {
  const db = getDb(env);
  for (let attempt = 0; attempt < 6; attempt++) {
    const order = await findOrder(db, orderId);
    if (!order) return;
    const [payments, refunds, cash, due] = await Promise.all([
      paymentsOfOrder(db, orderId),
      refundsOfOrder(db, orderId),
      cashOfOrder(db, orderId),
      findDue(db, orderId),
    ]);
    const next = payments.find((p) => p.status === "succeeded" && p.disposition === null);
    if (!next) return;
    try {
      await settlePayment(
        env,
        order,
        next,
        payments,
        refunds,
        // What staff waived settles the order's total as money collected does (collection.service waiveDue).
        cash.reduce((s, c) => s + c.amount, 0) + (due?.waivedAmount ?? 0),
      );
    } catch (err) {
      // Someone else moved the order or decided the payment first: look again.
      if (!(err instanceof AppError && err.status === 409)) throw err;
    }
  }
}

const applied = (payments: PaymentRow[]) => payments.filter((p) => p.disposition === "applied").reduce((s, p) => s + p.amount, 0);

async function settlePayment(
  env: Env,
  order: OrderRow,
  p: PaymentRow,
  payments: PaymentRow[],
  refunds: RefundRow[],
  cash: number,
): Promise<void> {
  const db = getDb(env);
  const net = netOf(p, refunds);
  if (net <= 0) {
    // Refunded in full at the provider before we settled it: nothing of it goes to the order.
    const ref = refunds.find((r) => r.paymentId === p.id)?.id ?? newId("chg");
    await dispose(env, p, "refunded_late", ref);
    if (order.status === "pending_payment" && order.holdExpiresAt !== null && order.holdExpiresAt <= Date.now())
      await handleHoldExpired(env, order.holdKey ?? "");
    return;
  }
  if (order.status === "pending_payment") {
    if (p.stage === "balance") return refundWhole(env, order, p, net, "duplicate", "a balance paid before the order was confirmed");
    return confirmByPayment(env, order, p, net);
  }
  if (order.status === "cancelled" || order.status === "refunded") {
    return refundWhole(env, order, p, net, "late_payment", "paid after the order was cancelled");
  }
  // Cash the technician recorded (and a waiver) settles the order's total as a payment does.
  const due = order.total - applied(payments) - cash + repricedOut(refunds);
  if (due <= 0) return refundWhole(env, order, p, net, "duplicate", "this stage was paid already");
  // Applied only while the balance is not waived meanwhile (then it is looked at again, and refunded).
  const unwaived = notWaived(order.id);
  if (net > due) {
    // Applied, except what exceeds the order's total.
    const refundId = newId("rfd");
    const now = Date.now();
    const guard = paymentDisposedBy(p.id, refundId);
    const [applied] = await runBatch(db, [
      paymentDisposed(db, p.id, "applied", refundId, now, unwaived),
      ...refundStatements(db, order, p, duplicateRefund(refundId, net - due, "paid more than the order's total"), now, guard),
    ]);
    if (applied?.meta.changes !== 1) throw AppError.of("PAYMENT_DECIDED");
    await submitRefunds(env, [refundId]);
    return splitCollected(env, order.id);
  }
  await dispose(env, p, "applied", newId("chg"), unwaived);
  // Paid after the visit: this money is split now (earlier money was split at completion).
  await splitCollected(env, order.id);
}

function duplicateRefund(id: string, amount: number, reason: string) {
  return {
    id,
    kind: "duplicate" as const,
    amount,
    status: "processing" as const,
    reason,
    requestedBy: null,
    // An overpayment was never split, so it comes back from the customer's funds even after the visit.
    splitShares: null,
  };
}

async function dispose(env: Env, p: PaymentRow, disposition: NonNullable<PaymentRow["disposition"]>, ref: string, guard?: Guard) {
  const db = getDb(env);
  const res = await runBatch(db, [paymentDisposed(db, p.id, disposition, ref, Date.now(), guard)]);
  if (res[0]?.meta.changes !== 1) throw AppError.of("PAYMENT_DECIDED");
}

/** Refunds the rest of a paid payment in full (late or duplicate), telling the customer. */
async function refundWhole(env: Env, order: OrderRow, p: PaymentRow, net: number, kind: "late_payment" | "duplicate", reason: string) {
  const db = getDb(env);
  const refundId = newId("rfd");
  const now = Date.now();
  const guard = paymentDisposedBy(p.id, refundId);
  const [first] = await runBatch(db, [
    paymentDisposed(db, p.id, kind === "late_payment" ? "refunded_late" : "refunded_duplicate", refundId, now),
    ...refundStatements(
      db,
      order,
      p,
      { id: refundId, kind, amount: net, status: "processing", reason, requestedBy: null, splitShares: null },
      now,
      guard,
    ),
    outboxRow(
      db,
      message(kind === "late_payment" ? "payment.refunded_late" : "payment.refunded_duplicate", order, {
        paymentId: p.id,
        refundId,
        amount: net,
        currency: p.currency,
        reason,
      }),
      now,
      guard,
    ),
  ]);
  if (first?.meta.changes !== 1) throw AppError.of("PAYMENT_DECIDED");
  await submitRefunds(env, [refundId]);
}

/**
 * Confirms a pending order with its payment: books the hold, or holds the same interval again
 * (the same technician first, else anyone who fits) when the hold expired. If nobody is free then,
 * the order is cancelled and the payment refunded in full.
 */
async function confirmByPayment(env: Env, order: OrderRow, p: PaymentRow, net: number): Promise<void> {
  const db = getDb(env);
  let reservation: Reservation | null = null;
  const booked = order.technicianId && order.holdKey ? await bookHold(env, order.technicianId, order.holdKey) : false;
  if (!booked) {
    const found = await bookableService(db, order.serviceId);
    const job = { ...(await jobOf(env, order, found?.service.requiredSkills ?? [])), exclude: [] };
    const round = order.dispatchRound + 1;
    reservation = order.technicianId ? await holdFor(env, order.technicianId, job, round) : null;
    if (!reservation && order.dispatchMode !== "chosen")
      reservation = await reserveBest(env, job, round, order.dispatchMode, "held again after a late payment");
    if (!reservation || !(await bookHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell)))
      return cancelLatePaid(env, order, p, net);
  }
  // A flexible-window order held again takes the start the new hold got inside its window; the
  // confirmation names the window and the start (docs/flexible-windows.md).
  const moved = reheldInWindow(order, reservation);
  const note = await windowNoteOf(db, order, moved.patch.startAt ?? order.startAt);
  // A full payment made at the price before a reschedule to a cheaper time: the rest goes back.
  const over = p.stage === "full" ? net - order.total : 0;
  const refundId = over > 0 ? newId("rfd") : null;
  let next: OrderRow;
  try {
    next = await transition(
      env,
      order,
      "confirmed",
      SYSTEM,
      reservation ? "paid after the hold expired: the same time is held again" : "paid",
      {
        holdExpiresAt: null,
        ...(reservation
          ? {
              technicianId: reservation.technicianId,
              holdKey: reservation.holdKey,
              dispatchRound: order.dispatchRound + 1,
              ...moved.patch,
            }
          : {}),
      },
      { paymentId: p.id, amount: p.amount, provider: p.provider, stage: p.stage, ...moved.data, ...(note ? { note } : {}) },
      {
        messages: moved.messages,
        note,
        extra: (guard, now, eventId) => [
          paymentDisposed(db, p.id, "applied", eventId, now, guard),
          ...(refundId
            ? refundStatements(
                db,
                order,
                p,
                {
                  id: refundId,
                  kind: "reschedule",
                  amount: over,
                  status: "processing",
                  reason: "paid at the price before the reschedule",
                  requestedBy: null,
                  splitShares: null,
                },
                now,
                guard,
              )
            : []),
        ],
      },
    );
  } catch (err) {
    if (reservation) await releaseHold(env, reservation.technicianId, reservation.holdKey, reservation.homeCell);
    throw err;
  }
  if (reservation && order.holdKey && order.holdKey !== reservation.holdKey) await releaseHold(env, order.technicianId, order.holdKey);
  if (refundId) await submitRefunds(env, [refundId]);
  await startDispatch(env, next);
}

/** Paid, but the interval was taken after the hold expired: cancelled, refunded in full, the customer told. */
async function cancelLatePaid(env: Env, order: OrderRow, p: PaymentRow, net: number): Promise<void> {
  const db = getDb(env);
  const refundId = newId("rfd");
  const reason = "paid after the hold expired and the time was taken";
  await transition(
    env,
    order,
    "cancelled",
    SYSTEM,
    reason,
    {
      cancelReason: "paid_after_hold_expired",
      refundDecision: { percent: 100, amount: net, visitFee: 0, reason: "paid after the hold expired; refunded in full" },
      holdExpiresAt: null,
      acceptBy: null,
    },
    { paymentId: p.id, refundId },
    {
      extra: (guard, now) => [
        paymentDisposed(db, p.id, "refunded_late", refundId, now, guard),
        ...refundStatements(
          db,
          order,
          p,
          { id: refundId, kind: "late_payment", amount: net, status: "processing", reason, requestedBy: null, splitShares: null },
          now,
          guard,
        ),
      ],
      messages: [message("payment.refunded_late", order, { paymentId: p.id, refundId, amount: net, currency: p.currency, reason })],
    },
  );
  await releaseHold(env, order.technicianId, order.holdKey);
  await submitRefunds(env, [refundId]);
}

/**
 * A pending-payment hold expired (called by the technician's cell). An order with a paid payment is
 * settled (held again or refunded); one with a payment still open waits for the reconciliation job
 * to ask the provider; any other is cancelled unpaid.
 */
export async function onHoldExpiredWithPayments(env: Env, holdKey: string): Promise<void> {
  const db = getDb(env);
  const order = await findOrderByHoldKey(db, holdKey);
  if (!order) return;
  if (order.status !== "pending_payment") return repairLapsedHold(env, order, holdKey);
  const payments = await paymentsOfOrder(db, order.id);
  if (payments.some((p) => p.status === "succeeded" && p.disposition === null)) return settleOrder(env, order.id);
  if (payments.some((p) => p.status === "pending")) return;
  await handleHoldExpired(env, holdKey);
}
