/**
 * The reconciliation job (cron, every minute): what the providers' notifications left undone.
 * - pending payments are queried: paid ones are applied like a notification (once, event
 *   `query:<payment id>`); unpaid ones whose order can no longer take them are closed, and an order
 *   whose hold expired meanwhile is cancelled unpaid;
 * - paid payments whose order was never settled (a crash between the two writes) are settled;
 * - refunds never sent are sent, processing ones queried; approved withdrawals are paid out.
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
} from "../db/repositories/payments.repo";
import { approvedWithdrawals } from "../db/repositories/withdrawals.repo";
import { handleHoldExpired } from "../orders/order-flow.service";
import { queryAfterMs } from "./providers";
import { providerClient } from "../adapters/payment-provider";
import { applyRefundOutcome, submitRefund } from "./refund-flow.service";
import { applyPaymentSuccess, settleOrder } from "./settle.service";
import { payOut } from "./withdrawals.service";

export interface ReconcileSummary {
  queried: number;
  paid: number;
  closed: number;
  cancelled: number;
  settled: number;
  refundsSent: number;
  refundsSettled: number;
  payouts: number;
}

const BATCH = 50;

/** One pass of the reconciliation job at `now`; safe to run concurrently and again. */
export async function reconcilePendingPayments(env: Env, now = Date.now()): Promise<ReconcileSummary> {
  const db = getDb(env);
  const client = providerClient(env);
  const s: ReconcileSummary = { queried: 0, paid: 0, closed: 0, cancelled: 0, settled: 0, refundsSent: 0, refundsSettled: 0, payouts: 0 };
  const before = now - queryAfterMs(env);

  for (const p of await pendingPayments(db, before, BATCH)) {
    s.queried += 1;
    const state = await client.queryPayment(p.provider, p.id);
    if (state.state === "paid") {
      if (state.amount !== p.amount) {
        console.warn(
          JSON.stringify({
            level: "warn",
            msg: "payment.security",
            provider: p.provider,
            reason: "queried amount disagrees",
            paymentId: p.id,
          }),
        );
        continue;
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
      continue;
    }
    const order = await findOrder(db, p.orderId);
    const unpayable = !order || !stillPayable(order, p, now);
    if (state.state === "closed" || unpayable) {
      if (state.state !== "closed") await client.closePayment(p.provider, p.id);
      // Closing raced a payment? The provider says which: ask again before giving up on it.
      const last = await client.queryPayment(p.provider, p.id);
      if (last.state === "paid") continue;
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

  for (const p of await undisposedPayments(db, now, BATCH)) {
    await settleOrder(env, p.orderId);
    s.settled += 1;
  }

  for (const r of await refundsInStatus(db, "processing", before, BATCH)) {
    if (!r.providerRefundId) {
      await submitRefund(env, r.id);
      s.refundsSent += 1;
      continue;
    }
    const state = await client.queryRefund(r.provider, r.id, r.paymentId);
    if (!state || state.status === "processing") continue;
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

  for (const w of await approvedWithdrawals(db, before, BATCH)) {
    await payOut(env, w.id);
    s.payouts += 1;
  }
  return s;
}

/** Whether the order can still be paid through `p`: pending with a live hold, or a balance still due. */
function stillPayable(order: NonNullable<Awaited<ReturnType<typeof findOrder>>>, p: PaymentRow, now: number): boolean {
  if (p.stage === "balance") return order.status !== "cancelled" && order.status !== "refunded";
  if (order.paymentPlan === "after_service") return order.status !== "cancelled" && order.status !== "refunded";
  return order.status === "pending_payment" && (order.holdExpiresAt === null || order.holdExpiresAt > now);
}
