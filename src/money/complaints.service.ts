/**
 * After-sales: a customer's complaint about a completed order opens a refund request that an
 * operator (or the order's merchant) approves in full or in part, or rejects; operators may also
 * refund an order on their own decision. Every decision goes to the audit log.
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import {
  findPayment,
  findRefund,
  paymentsOfOrder,
  refundMoved,
  refundsOfOrder,
  type PaymentRow,
  type RefundRow,
} from "../db/repositories/payments.repo";
import { ledgerStatements } from "../db/repositories/ledger.repo";
import { refundMarked, runBatch } from "../db/repositories/statements";
import { refundRequestTx } from "../domain/ledger";
import { SERVED_STATUSES } from "../domain/order-state";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";
import { transition, type Actor } from "../orders/order-flow.service";
import { complaintWindowMs } from "./providers";
import { factsOf, netOf, refundStatements, splitSharesOf } from "./money-writes";
import { refundView } from "./payments.service";
import { afterRefund, submitDecidedRefunds } from "./refund-flow.service";

const nothingToRefund = () => AppError.of("NOTHING_TO_REFUND");

/** The applied payments of an order and what of each can still be refunded, largest first. */
function refundable(payments: PaymentRow[], refunds: RefundRow[]) {
  return payments
    .filter((p) => p.status === "succeeded" && p.disposition === "applied")
    .map((p) => ({ payment: p, left: netOf(p, refunds) }))
    .filter((x) => x.left > 0)
    .sort((a, b) => b.left - a.left);
}

/** What of the paid money can be refunded, and the amount asked for (default: all of it), checked. */
export function refundAmount(payments: PaymentRow[], refunds: RefundRow[], asked: number | undefined) {
  const parts = refundable(payments, refunds);
  const left = parts.reduce((s, p) => s + p.left, 0);
  if (left === 0) throw nothingToRefund();
  const amount = asked ?? left;
  if (amount > left) throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.amount", message: `at most ${left}` }] });
  return { parts, amount };
}

/** Spreads `amount` over the payments, each at most what is left of it. */
export function spread(amount: number, parts: { payment: PaymentRow; left: number }[]) {
  const out: { payment: PaymentRow; amount: number }[] = [];
  let rest = amount;
  for (const p of parts) {
    if (rest === 0) break;
    const take = Math.min(rest, p.left);
    out.push({ payment: p.payment, amount: take });
    rest -= take;
  }
  return out;
}

/** Opens a complaint on the caller's completed order: after_sales, with a refund request awaiting approval. */
export async function complain(env: Env, customerId: string, orderId: string, input: { reason: string; amount?: number }) {
  const db = getDb(env);
  const order = await findOrder(db, orderId);
  if (!order || order.customerId !== customerId) throw notFound("Order");
  if (order.status !== "completed") {
    throw AppError.of("INVALID_TRANSITION", { status: order.status }, { extra: { status: order.status } });
  }
  if (Date.now() > order.updatedAt + complaintWindowMs(env)) {
    throw AppError.of("COMPLAINT_WINDOW_CLOSED");
  }
  const [payments, refunds] = await Promise.all([paymentsOfOrder(db, orderId), refundsOfOrder(db, orderId)]);
  const { parts, amount } = refundAmount(payments, refunds, input.amount);
  // One request per payment the money goes back to (largest first); each is approved or rejected.
  const pieces = spread(amount, parts).map((x) => ({
    payment: x.payment,
    refund: {
      id: newId("rfd"),
      kind: "complaint" as const,
      amount: x.amount,
      status: "pending_approval" as const,
      reason: input.reason,
      requestedBy: customerId,
      splitShares: null,
    },
  }));
  await transition(
    env,
    order,
    "after_sales",
    { type: "customer", id: customerId },
    `complaint: ${input.reason}`,
    {},
    { refunds: pieces.map((p) => p.refund.id), amount },
    { extra: (guard, now) => pieces.flatMap((p) => refundStatements(db, order, p.payment, p.refund, now, guard)) },
  );
  const after = await refundsOfOrder(db, order.id);
  return { items: after.filter((r) => pieces.some((p) => p.refund.id === r.id)).map(refundView) };
}

function staffActor(auth: Auth): Actor {
  return { type: auth.roles.includes("operator") || auth.roles.includes("admin") ? "operator" : "merchant", id: auth.accountId };
}

/** A refund the caller may decide: operators any, a merchant_admin its merchant's (404 otherwise). */
export async function managedRefund(env: Env, auth: Auth, id: string): Promise<RefundRow & { orderId: string }> {
  const refund = await findRefund(getDb(env), id);
  const platform = auth.roles.includes("operator") || auth.roles.includes("admin");
  // A package's refund is decided with the package (POST /v1/admin/packages/{id}/refund), never here.
  if (!refund || refund.orderId === null || (!platform && (auth.merchantId === null || refund.merchantId !== auth.merchantId)))
    throw notFound({ en: "Refund", zh: "退款" });
  return { ...refund, orderId: refund.orderId };
}

/**
 * Approves a requested refund, in full or for a smaller `amount`: the money is set aside (taken
 * back from the split's shares when the order was split) and sent through the provider.
 */
export async function approveRefund(env: Env, auth: Auth, id: string, input: { amount?: number; note?: string }) {
  const refund = await managedRefund(env, auth, id);
  if (refund.status !== "pending_approval") {
    throw AppError.of("REFUND_DECIDED", {}, { extra: { status: refund.status } });
  }
  const amount = input.amount ?? refund.amount;
  if (amount > refund.amount)
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.amount", message: `at most ${refund.amount}` }] });
  const db = getDb(env);
  const order = (await findOrder(db, refund.orderId))!;
  const payment = (await findPayment(db, refund.paymentId))!;
  const refunds = await refundsOfOrder(db, order.id);
  // What is left of its payment besides this request itself.
  const left = netOf(payment, refunds) + refund.amount;
  if (amount > left) throw nothingToRefund();
  // Once the order's money was split (completed, or kept at a cancellation), a refund takes it back from the shares.
  const split = await splitSharesOf(db, order.id);
  const marker = newId("chg");
  const now = Date.now();
  const guard = refundMarked(refund.id, marker);
  const [moved] = await runBatch(db, [
    refundMoved(
      db,
      refund.id,
      ["pending_approval"],
      { status: "processing", amount, decidedBy: auth.accountId, decidedAt: now, afterSplit: split !== null, changeId: marker },
      now,
    ),
    ...ledgerStatements(db, refundRequestTx(factsOf(order), { id: refund.id, provider: refund.provider, amount }, split), now, guard),
  ]);
  if (moved?.meta.changes !== 1) throw AppError.of("REFUND_DECIDED");
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "refund.approve",
    targetType: "refund",
    targetId: refund.id,
    data: { orderId: order.id, requested: refund.amount, approved: amount, note: input.note ?? null },
  });
  await submitDecidedRefunds(env, [refund.id]);
  return refundView((await findRefund(db, refund.id))!);
}

export async function rejectRefund(env: Env, auth: Auth, id: string, reason: string) {
  const db = getDb(env);
  const refund = await managedRefund(env, auth, id);
  const now = Date.now();
  const [moved] = await runBatch(db, [
    refundMoved(
      db,
      refund.id,
      ["pending_approval"],
      { status: "rejected", decidedBy: auth.accountId, decidedAt: now, failureReason: reason, changeId: newId("chg") },
      now,
    ),
  ]);
  if (moved?.meta.changes !== 1) {
    throw AppError.of("REFUND_DECIDED", {}, { extra: { status: refund.status } });
  }
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "refund.reject",
    targetType: "refund",
    targetId: refund.id,
    data: { orderId: refund.orderId, amount: refund.amount, reason },
  });
  await afterRefund(env, refund.orderId);
  return refundView((await findRefund(db, refund.id))!);
}

/**
 * An operator's own refund of an order (full or partial), approved as it is made: a served order
 * passes through after_sales, a cancelled one stays cancelled until the money arrives.
 */
export async function refundByOperator(env: Env, auth: Auth, order: OrderRow, input: { amount?: number; reason: string }) {
  const db = getDb(env);
  const [payments, refunds] = await Promise.all([paymentsOfOrder(db, order.id), refundsOfOrder(db, order.id)]);
  if (refunds.some((r) => r.status === "pending_approval" || r.status === "processing")) {
    throw AppError.of("REFUND_IN_PROGRESS");
  }
  const { parts, amount } = refundAmount(payments, refunds, input.amount);
  // A live order is cancelled (by the policy) rather than refunded by hand.
  if (!SERVED_STATUSES.includes(order.status) && order.status !== "cancelled" && order.status !== "refunded") {
    throw AppError.of("INVALID_TRANSITION", { status: order.status }, { extra: { status: order.status } });
  }
  const split = await splitSharesOf(db, order.id);
  const pieces = spread(amount, parts).map((x) => ({
    payment: x.payment,
    refund: {
      id: newId("rfd"),
      kind: "operator" as const,
      amount: x.amount,
      status: "processing" as const,
      reason: input.reason,
      requestedBy: auth.accountId,
      decidedBy: auth.accountId,
      splitShares: split,
    },
  }));
  const actor = staffActor(auth);
  const extra = (guard: ReturnType<typeof refundMarked>, now: number) =>
    pieces.flatMap((p) => refundStatements(db, order, p.payment, p.refund, now, guard));
  if (order.status === "completed") {
    await transition(env, order, "after_sales", actor, `refund by staff: ${input.reason}`, {}, { amount }, { extra });
  } else {
    // No status change: each refund is written only while it fits what its payment has left.
    await runBatch(
      db,
      pieces.flatMap((p) => refundStatements(db, order, p.payment, p.refund, Date.now())),
    );
  }
  const made = (await refundsOfOrder(db, order.id)).filter((r) => pieces.some((p) => p.refund.id === r.id));
  if (made.length === 0) {
    throw AppError.of("REFUND_IN_PROGRESS");
  }
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "refund.create",
    targetType: "order",
    targetId: order.id,
    data: { amount, reason: input.reason, refunds: made.map((r) => r.id) },
  });
  await submitDecidedRefunds(
    env,
    made.map((r) => r.id),
  );
  const after = await refundsOfOrder(db, order.id);
  return after.filter((r) => made.some((m) => m.id === r.id)).map(refundView);
}
