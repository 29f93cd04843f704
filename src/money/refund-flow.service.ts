/**
 * Refunds after they are decided: sent through the provider's refund interface, their outcome
 * (synchronous answer, notification or query) applied exactly once with its ledger entries, and the
 * order moved on once every refund of it is settled.
 */
import { providerName } from "../domain/money";
import { getDb } from "../db/client";
import { findTx, ledgerStatements } from "../db/repositories/ledger.repo";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import {
  eventRow,
  findRefund,
  paymentsOfOrder,
  refundMoved,
  refundsOfOrder,
  type PaymentRow,
  type ProviderEventRow,
  type RefundRow,
} from "../db/repositories/payments.repo";
import { outboxRow, refundMarked, runBatch } from "../db/repositories/statements";
import { refundReversalTx, refundTx } from "../domain/ledger";
import { AppError } from "../errors";
import { newId } from "../lib/ids";
import { SYSTEM, transition } from "../orders/order-flow.service";
import { draftOf, factsOf, message } from "./money-writes";
import { ProviderError, providerFailed } from "../adapters/provider-error";
import { refundView } from "./payments.service";
import { applyPackageRefundOutcome, askProviderToRefund } from "./package-money.service";

/** Whether a batch failed because a provider event was recorded already (a duplicate delivery). */
export function isDuplicate(err: unknown): boolean {
  return /UNIQUE constraint failed: provider_events/i.test(String(err));
}

/** Sends a processing refund to its provider (idempotent per refund id) and applies a final answer. */
export async function submitRefund(env: Env, refundId: string): Promise<void> {
  const refund = await findRefund(getDb(env), refundId);
  if (!refund || refund.status !== "processing") return;
  await askProviderToRefund(env, refund, (outcome) => applyRefundOutcome(env, refund.id, outcome));
}

/**
 * Sends refunds just recorded (a cancellation, a decision). A provider that fails leaves the refund
 * processing and unsent, for reconciliation to send again: what was recorded stands.
 */
export async function submitRefunds(env: Env, ids: string[]): Promise<void> {
  for (const id of ids) {
    try {
      await submitRefund(env, id);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      providerFailed("refund", id, err);
    }
  }
}

/**
 * Sends refunds staff just decided. A provider that does not answer leaves its refund processing
 * and unsent for reconciliation (the decision stands), and staff are told: 503 REFUND_DELAYED with
 * the refunds as they are now.
 */
export async function submitDecidedRefunds(env: Env, ids: string[]): Promise<void> {
  let delayed: string | null = null;
  for (const id of ids) {
    try {
      await submitRefund(env, id);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      providerFailed("refund", id, err);
      delayed ??= (await findRefund(getDb(env), id))?.provider ?? "the provider";
    }
  }
  if (delayed !== null) {
    const refunds = (await Promise.all(ids.map((id) => findRefund(getDb(env), id)))).filter((r) => r !== undefined);
    throw AppError.of("REFUND_DELAYED", { provider: providerName(delayed) }, { extra: { refunds: refunds.map(refundView) } });
  }
}

export type RefundOutcome = { status: "succeeded"; providerRefundId: string } | { status: "failed"; reason: string };

/**
 * Applies a processing refund's final outcome once: the status change, its ledger transaction
 * (paid out, or the set-aside money put back) and the message, in one batch; with `event`, the
 * provider event is recorded in it too (a duplicate delivery changes nothing). Returns false for a
 * duplicate event.
 */
export async function applyRefundOutcome(env: Env, refundId: string, outcome: RefundOutcome, event?: ProviderEventRow): Promise<boolean> {
  const db = getDb(env);
  const refund = (await findRefund(db, refundId))!;
  if (refund.orderId === null) return applyPackageRefundOutcome(env, refund, outcome, event);
  const order = (await findOrder(db, refund.orderId))!;
  const marker = event?.eventId ?? newId("chg");
  const now = Date.now();
  const guard = refundMarked(refund.id, marker);
  const money =
    outcome.status === "succeeded"
      ? ledgerStatements(db, refundTx(factsOf(order), refund), now, guard)
      : await reversalStatements(env, refund, now, guard);
  const stmts = [
    ...(event ? [eventRow(db, event)] : []),
    refundMoved(
      db,
      refund.id,
      ["processing"],
      outcome.status === "succeeded"
        ? { status: "succeeded", providerRefundId: outcome.providerRefundId, succeededAt: now, changeId: marker }
        : { status: "failed", failureReason: outcome.reason, changeId: marker },
      now,
    ),
    ...money,
    outboxRow(
      db,
      message(outcome.status === "succeeded" ? "refund.succeeded" : "refund.failed", order, {
        refundId: refund.id,
        amount: refund.amount,
        currency: refund.currency,
        kind: refund.kind,
      }),
      now,
      guard,
    ),
  ];
  try {
    await runBatch(db, stmts);
  } catch (err) {
    if (event && isDuplicate(err)) return false;
    throw err;
  }
  await afterRefund(env, order.id);
  return true;
}

async function reversalStatements(env: Env, refund: RefundRow, now: number, guard: ReturnType<typeof refundMarked>) {
  const db = getDb(env);
  const request = await findTx(db, "refund_request", refund.id);
  return request ? ledgerStatements(db, refundReversalTx(draftOf(request)), now, guard) : [];
}

/**
 * Once no refund of the order is open: a cancelled order whose refund arrived becomes `refunded`;
 * an after-sales order is refunded when nothing paid is left, else completed again.
 */
export async function afterRefund(env: Env, orderId: string): Promise<void> {
  const db = getDb(env);
  for (let attempt = 0; attempt < 3; attempt++) {
    const order = await findOrder(db, orderId);
    if (!order) return;
    const [refunds, payments] = await Promise.all([refundsOfOrder(db, orderId), paymentsOfOrder(db, orderId)]);
    if (refunds.some((r) => r.status === "pending_approval" || r.status === "processing")) return;
    try {
      await settleAfterSales(env, order, refunds, payments);
      return;
    } catch (err) {
      if (!(err instanceof AppError && err.status === 409)) throw err;
    }
  }
}

async function settleAfterSales(env: Env, order: OrderRow, refunds: RefundRow[], payments: PaymentRow[]) {
  const refunded = refunds.filter((r) => r.status === "succeeded").reduce((s, r) => s + r.amount, 0);
  if (order.status === "cancelled" && refunded > 0) {
    await transition(env, order, "refunded", SYSTEM, "the refund reached the customer", {}, { refunded });
  } else if (order.status === "after_sales") {
    const paid = payments.filter((p) => p.status === "succeeded").reduce((s, p) => s + p.amount, 0);
    const complaint = refunds.filter((r) => r.kind === "complaint" || r.kind === "operator").at(-1);
    if (paid > 0 && refunded >= paid)
      await transition(env, order, "refunded", SYSTEM, "refunded in full after the complaint", {}, { refunded });
    else
      await transition(
        env,
        order,
        "completed",
        SYSTEM,
        complaint?.status === "succeeded" ? "complaint resolved with a partial refund" : "complaint closed without a refund",
        {},
        { refunded },
      );
  }
}
