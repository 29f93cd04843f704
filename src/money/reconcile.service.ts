/**
 * The reconciliation job (cron, every minute): what the providers' notifications left undone.
 * - pending payments are queried: paid ones are applied like a notification (once, event
 *   `query:<payment id>`); unpaid ones whose order can no longer take them are closed, and an order
 *   whose hold expired meanwhile is cancelled unpaid;
 * - paid payments whose order was never settled (a crash between the two writes) are settled;
 * - refunds never sent are sent, processing ones queried; approved withdrawals are paid out,
 *   processing ones (accepted by the provider, not finished) queried until final.
 * Every item is its own attempt: one whose provider call fails (a timeout, a 5xx, an answer that
 * cannot be believed) is logged without personal data, counted in `failed` and tried again on the
 * next pass; the rest of the pass goes on.
 */
import { getDb } from "../db/client";
import { findOrder } from "../db/repositories/orders.repo";
import {
  pendingPayments,
  refundsInStatus,
  setPaymentStatus,
  undisposedPayments,
  paymentsOfOrder,
  type PaymentRow,
  type RefundRow,
} from "../db/repositories/payments.repo";
import { withdrawalsInStatus } from "../db/repositories/withdrawals.repo";
import { handleHoldExpired } from "../orders/order-flow.service";
import { queryAfterMs } from "./providers";
import { providerClient } from "../adapters/payment-provider";
import { ProviderError } from "../adapters/provider-error";
import { applyRefundOutcome, submitRefund } from "./refund-flow.service";
import { applyPaymentSuccess, settleOrder } from "./settle.service";
import { payOut, queryPayout } from "./withdrawals.service";
import { logger } from "../lib/log";
import { findPackage } from "../db/repositories/membership.repo";
import { settlePackagePayment } from "./package-money.service";

export interface ReconcileSummary {
  queried: number;
  paid: number;
  closed: number;
  cancelled: number;
  settled: number;
  refundsSent: number;
  refundsSettled: number;
  /** Approved withdrawals sent to the provider. */
  payouts: number;
  /** Processing withdrawals the provider reported final (paid or failed). */
  payoutsSettled: number;
  /** Items whose provider call or write failed this pass; each is tried again on the next. */
  failed: number;
}

/**
 * Runs one item of the pass; a failure is logged (ids and the error only) and counted, never thrown.
 */
async function isolated(s: ReconcileSummary, what: string, id: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    s.failed += 1;
    const e = err instanceof Error ? err : new Error(String(err));
    logger.warn("reconcile.item_failed", {
      what,
      id,
      error: e.name,
      retryable: e instanceof ProviderError ? e.retryable : null,
      detail: e instanceof ProviderError ? e.message : undefined,
    });
  }
}

const BATCH = 50;

/** One pass of the reconciliation job at `now`; safe to run concurrently and again. */
export async function reconcilePendingPayments(env: Env, now = Date.now()): Promise<ReconcileSummary> {
  const db = getDb(env);
  const s: ReconcileSummary = {
    queried: 0,
    paid: 0,
    closed: 0,
    cancelled: 0,
    settled: 0,
    refundsSent: 0,
    refundsSettled: 0,
    payouts: 0,
    payoutsSettled: 0,
    failed: 0,
  };
  const before = now - queryAfterMs(env);

  for (const p of await pendingPayments(db, before, BATCH)) {
    s.queried += 1;
    await isolated(s, "payment", p.id, () => reconcilePayment(env, p, now, s));
  }

  for (const p of await undisposedPayments(db, now, BATCH)) {
    await isolated(s, "settlement", p.id, async () => {
      if (p.orderId === null) await settlePackagePayment(env, p.id);
      else await settleOrder(env, p.orderId);
      s.settled += 1;
    });
  }

  for (const r of await refundsInStatus(db, "processing", before, BATCH)) {
    await isolated(s, "refund", r.id, () => reconcileRefund(env, r, now, s));
  }

  for (const w of await withdrawalsInStatus(db, "approved", before, BATCH)) {
    await isolated(s, "payout", w.id, async () => {
      await payOut(env, w.id);
      s.payouts += 1;
    });
  }

  for (const w of await withdrawalsInStatus(db, "processing", before, BATCH)) {
    await isolated(s, "payout_query", w.id, async () => {
      if ((await queryPayout(env, w.id)) !== "processing") s.payoutsSettled += 1;
    });
  }
  return s;
}

/** A pending payment: paid at the provider is applied; unpayable is closed (and its order cancelled when due). */
async function reconcilePayment(env: Env, p: PaymentRow, now: number, s: ReconcileSummary): Promise<void> {
  const db = getDb(env);
  const client = providerClient(env);
  const state = await client.queryPayment(p.provider, p.id);
  if (state.state === "paid") {
    if (state.amount !== p.amount) {
      logger.warn("payment.security", { provider: p.provider, reason: "queried amount disagrees", paymentId: p.id });
      return;
    }
    await applyPaymentSuccess(env, {
      paymentId: p.id,
      providerTxnId: state.transactionId,
      event: {
        provider: p.provider,
        eventId: `query:${p.id}`,
        type: "query.paid",
        paymentId: p.id,
        refundId: null,
        data: { transactionId: state.transactionId, amount: state.amount },
        receivedAt: now,
      },
    });
    s.paid += 1;
    return;
  }
  const order = p.orderId === null ? undefined : await findOrder(db, p.orderId);
  const unpayable =
    p.orderId === null ? (await findPackage(db, p.packageId!))?.status !== "pending_payment" : !order || !stillPayable(order, p, now);
  if (state.state === "closed" || unpayable) {
    if (state.state !== "closed") await client.closePayment(p.provider, p.id);
    // Closing raced a payment? The provider says which: ask again before giving up on it.
    const last = await client.queryPayment(p.provider, p.id);
    if (last.state === "paid") return;
    if (await setPaymentStatus(db, p.id, "pending", "closed")) s.closed += 1;
    if (order?.status === "pending_payment" && order.holdExpiresAt !== null && order.holdExpiresAt <= now) {
      const open = (await paymentsOfOrder(db, order.id)).filter(
        (x) => x.status === "pending" || (x.status === "succeeded" && x.disposition === null),
      );
      if (open.length === 0) {
        await handleHoldExpired(env, order.holdKey ?? "");
        if ((await findOrder(db, order.id))?.status === "cancelled") s.cancelled += 1;
      }
    }
  }
}

/** A processing refund: sent when it never was, else asked about and a final answer applied. */
async function reconcileRefund(env: Env, r: RefundRow, now: number, s: ReconcileSummary): Promise<void> {
  if (!r.providerRefundId) {
    await submitRefund(env, r.id);
    s.refundsSent += 1;
    return;
  }
  const state = await providerClient(env).queryRefund(r.provider, r.id, r.paymentId);
  if (!state || state.status === "processing") return;
  await applyRefundOutcome(
    env,
    r.id,
    state.status === "succeeded"
      ? { status: "succeeded", providerRefundId: state.providerRefundId }
      : { status: "failed", reason: state.reason },
    {
      provider: r.provider,
      eventId: `query:${r.id}`,
      type: `query.refund_${state.status}`,
      paymentId: r.paymentId,
      refundId: r.id,
      data: { status: state.status },
      receivedAt: now,
    },
  );
  s.refundsSettled += 1;
}

/** Whether the order can still be paid through `p`: pending with a live hold, or a balance still due. */
function stillPayable(order: NonNullable<Awaited<ReturnType<typeof findOrder>>>, p: PaymentRow, now: number): boolean {
  if (p.stage === "balance") return order.status !== "cancelled" && order.status !== "refunded";
  if (order.paymentPlan === "after_service") return order.status !== "cancelled" && order.status !== "refunded";
  return order.status === "pending_payment" && (order.holdExpiresAt === null || order.holdExpiresAt > now);
}
