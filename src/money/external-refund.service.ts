/** Refunds made at the provider (its dashboard) that we learn of from its notifications. */
import { getDb } from "../db/client";
import { ledgerStatements } from "../db/repositories/ledger.repo";
import { findOrder } from "../db/repositories/orders.repo";
import { eventRow, refundsOfOrder, refundSucceeded, type PaymentRow, type ProviderEventRow } from "../db/repositories/payments.repo";
import { outboxRow, refundExists, runBatch } from "../db/repositories/statements";
import { refundTx } from "../domain/ledger";
import { newId } from "../lib/ids";
import { factsOf, message, netOf, paymentSuccessStatements, refundStatements, splitSharesOf } from "./money-writes";
import { isDuplicate } from "./refund-flow.service";
import { settleOrder } from "./settle.service";

/**
 * A refund the provider reports that we did not ask for (made in the provider's dashboard). It
 * proves the payment too: if that notice has not arrived yet, the payment is recorded paid in the
 * same batch. Applied once per event; then the order is settled.
 */
export async function applyExternalRefund(
  env: Env,
  p: PaymentRow,
  r: { amount: number; providerRefundId: string; providerTxnId: string | null },
  event: ProviderEventRow,
): Promise<boolean> {
  const db = getDb(env);
  // Only an order's payment reaches here (a package's refunds made at the provider are recorded, not booked).
  const order = (await findOrder(db, p.orderId!))!;
  const refunds = await refundsOfOrder(db, order.id);
  const now = Date.now();
  const refundId = newId("rfd", now);
  const paid = p.status !== "succeeded";
  const split = await splitSharesOf(db, order.id);
  // A refund beyond what is left of the payment is not ours to book: record the event only.
  const fits = r.amount > 0 && r.amount <= (paid ? p.amount : netOf(p, refunds));
  const stmts: D1PreparedStatement[] = [eventRow(db, event)];
  if (fits) {
    if (paid)
      stmts.push(
        ...paymentSuccessStatements(db, order, p, { eventId: event.eventId, providerTxnId: r.providerTxnId ?? r.providerRefundId }, now),
      );
    const refund = {
      id: refundId,
      kind: "provider" as const,
      amount: r.amount,
      status: "processing" as const,
      reason: "refunded at the provider",
      requestedBy: null,
      changeId: event.eventId,
      splitShares: p.disposition === "applied" ? split : null,
    };
    stmts.push(...refundStatements(db, order, p, refund, now));
    stmts.push(
      refundSucceeded(db, refundId, r.providerRefundId, now),
      ...ledgerStatements(
        db,
        refundTx(factsOf(order), { id: refundId, provider: p.provider, amount: r.amount }),
        now,
        refundExists(refundId),
      ),
      outboxRow(
        db,
        message("refund.succeeded", order, { refundId, amount: r.amount, currency: p.currency, kind: "provider" }),
        now,
        refundExists(refundId),
      ),
    );
  }
  try {
    await runBatch(db, stmts);
  } catch (err) {
    if (isDuplicate(err)) return false;
    throw err;
  }
  await settleOrder(env, order.id);
  return true;
}
