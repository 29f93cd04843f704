/**
 * The money of an order when it ends: a completion splits what was collected (collection.service);
 * a cancellation refunds what the policy grants and splits what is kept. Both are written in the order's own transition.
 */
import { getDb } from "../db/client";
import type { OrderRow } from "../db/repositories/orders.repo";
import { paymentsOfOrder, refundsOfOrder, type PaymentRow, type RefundRow } from "../db/repositories/payments.repo";
import type { Guard } from "../db/repositories/statements";
import { newId } from "../lib/ids";
import { sharesOf } from "./commission.service";
import { settlementDelayMs } from "./providers";
import { netOf, refundStatements, splitStatements } from "./money-writes";

/** The completed order's split of what was collected, and its due (see collection.service). */
export { completionSplit } from "./collection.service";

/** The order's applied payments with what of each is not refunded yet, largest first. */
function paidParts(payments: PaymentRow[], refunds: RefundRow[]) {
  return payments
    .filter((p) => p.status === "succeeded" && p.disposition === "applied")
    .map((p) => ({ payment: p, left: netOf(p, refunds) }))
    .filter((x) => x.left > 0)
    .sort((a, b) => b.left - a.left);
}

/** `refund` taken from the payments in turn, each piece a new refund of one payment. */
function refundPieces(parts: ReturnType<typeof paidParts>, refund: number) {
  let rest = refund;
  return parts.flatMap((p) => {
    const take = Math.min(rest, p.left);
    rest -= take;
    return take > 0 ? [{ payment: p.payment, id: newId("rfd"), amount: take }] : [];
  });
}

/** What was paid towards the order, and the writes of cancelling it with `refund` of that going back. */
export async function cancellationMoney(env: Env, order: OrderRow) {
  const db = getDb(env);
  const [payments, refunds] = await Promise.all([paymentsOfOrder(db, order.id), refundsOfOrder(db, order.id)]);
  const parts = paidParts(payments, refunds);
  const paid = parts.reduce((s, p) => s + p.left, 0);
  return {
    paid,
    async writes(refund: number) {
      const pieces = refundPieces(parts, refund);
      const kept = paid - refund;
      const shares = kept > 0 ? await sharesOf(env, order, kept) : null;
      return {
        refundIds: pieces.map((p) => p.id),
        extra: (guard: Guard, now: number) => [
          ...pieces.flatMap((p) =>
            refundStatements(
              db,
              order,
              p.payment,
              {
                id: p.id,
                kind: "cancellation",
                amount: p.amount,
                status: "processing",
                reason: "cancellation policy",
                requestedBy: null,
                splitShares: null,
              },
              now,
              guard,
            ),
          ),
          ...(shares
            ? splitStatements(
                db,
                order,
                {
                  funds: kept,
                  coupon: 0,
                  shares,
                  technicianAvailableAt: now + settlementDelayMs(env),
                  memo: `order ${order.id} cancelled: kept under the policy`,
                },
                now,
                guard,
              )
            : []),
        ],
      };
    },
  };
}

/**
 * The money of an order moved to a time that prices it at `total` (分) before the visit. Of what
 * was paid, anything above the new total goes back through the providers that took it (refunds of
 * kind `reschedule`, largest payment first; ledger `refund_request` then `refund`, balanced). An
 * order paid in full that now costs more owes the difference (`due`), paid as the `balance` stage
 * of `POST /v1/orders/{id}/payments`; left unpaid, its completion keeps it due like any balance.
 * An unpaid order (pay after service, not paid yet) only changes its total. The writes go into the
 * reschedule's own batch, guarded by it.
 */
export async function repriceMoney(env: Env, order: OrderRow, total: number) {
  const db = getDb(env);
  const [payments, refunds] = await Promise.all([paymentsOfOrder(db, order.id), refundsOfOrder(db, order.id)]);
  const parts = paidParts(payments, refunds);
  const paid = parts.reduce((s, p) => s + p.left, 0);
  const refund = Math.max(0, paid - total);
  const due = paid > 0 && paid >= order.total && total > paid ? total - paid : 0;
  const pieces = refundPieces(parts, refund);
  return {
    paid,
    refund,
    due,
    refundIds: pieces.map((p) => p.id),
    extra: (guard: Guard, now: number) =>
      pieces.flatMap((p) =>
        refundStatements(
          db,
          order,
          p.payment,
          {
            id: p.id,
            kind: "reschedule",
            amount: p.amount,
            status: "processing",
            reason: "rescheduled to a cheaper time",
            requestedBy: null,
            splitShares: null,
          },
          now,
          guard,
        ),
      ),
  };
}
