/**
 * Refunds an after-sales ticket decides (src/tickets): made like an operator's refund (approved as
 * they are made, one per payment the money goes back to, largest first, each within what its
 * payment has left), but written in the ticket decision's own D1 batch under its guard, so two
 * decisions on one ticket can never refund twice. Sent to the provider after that batch.
 */
import { getDb } from "../db/client";
import type { OrderRow } from "../db/repositories/orders.repo";
import { paymentsOfOrder, refundsOfOrder } from "../db/repositories/payments.repo";
import type { Guard } from "../db/repositories/statements";
import { AppError } from "../errors";
import { newId } from "../lib/ids";
import { transition } from "../orders/order-flow.service";
import { refundAmount, spread } from "./complaints.service";
import { refundStatements, splitSharesOf } from "./money-writes";
import { afterRefund, submitDecidedRefunds } from "./refund-flow.service";

export interface PlannedTicketRefund {
  amount: number;
  refundIds: string[];
  /** The refund rows and the money they set aside, written only while `guard` holds. */
  statements(guard: Guard, now: number): D1PreparedStatement[];
}

/**
 * Plans a refund of `amount` (default: everything paid that is left) of the order for a ticket:
 * 409 NOTHING_TO_REFUND when nothing paid is left (an unpaid order), 409 REFUND_IN_PROGRESS while
 * another refund of it is open, 400 when `amount` is more than is left.
 */
export async function planTicketRefund(
  env: Env,
  order: OrderRow,
  input: { amount?: number; reason: string; staffId: string },
): Promise<PlannedTicketRefund> {
  const db = getDb(env);
  const [payments, refunds] = await Promise.all([paymentsOfOrder(db, order.id), refundsOfOrder(db, order.id)]);
  if (refunds.some((r) => r.status === "pending_approval" || r.status === "processing")) throw AppError.of("REFUND_IN_PROGRESS");
  const { parts, amount } = refundAmount(payments, refunds, input.amount);
  const split = await splitSharesOf(db, order.id);
  const pieces = spread(amount, parts).map((x) => ({
    payment: x.payment,
    refund: {
      id: newId("rfd"),
      kind: "operator" as const,
      amount: x.amount,
      status: "processing" as const,
      reason: input.reason,
      requestedBy: input.staffId,
      decidedBy: input.staffId,
      splitShares: split,
    },
  }));
  return {
    amount,
    refundIds: pieces.map((p) => p.refund.id),
    statements: (guard, now) => pieces.flatMap((p) => refundStatements(db, order, p.payment, p.refund, now, guard)),
  };
}

/**
 * After the decision's batch: a completed order passes through after_sales (so it ends refunded
 * when everything paid went back, else completed again), and the refunds go to the provider
 * (503 REFUND_DELAYED when a provider does not answer; the decision stands).
 */
export async function sendTicketRefunds(env: Env, order: OrderRow, refundIds: string[], staffId: string, ticketId: string): Promise<void> {
  if (order.status === "completed") {
    try {
      await transition(
        env,
        order,
        "after_sales",
        { type: "operator", id: staffId },
        `refund decided on ticket ${ticketId}`,
        {},
        { ticketId },
      );
    } catch (err) {
      // The order moved meanwhile: the refunds are written all the same and settle by themselves.
      if (!(err instanceof AppError && err.status === 409)) throw err;
    }
  }
  await submitDecidedRefunds(env, refundIds);
  await afterRefund(env, order.id);
}
