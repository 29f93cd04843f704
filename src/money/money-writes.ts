/**
 * The statements that move money, composed into the D1 batch of the change that causes them:
 * a payment's success, a refund's creation, an order's split. Each is guarded on that change.
 */
import type { OutboxMessage, OutboxMessageOf } from "../domain/outbox";
import type { Db } from "../db/client";
import { findTx, ledgerStatements, listTx } from "../db/repositories/ledger.repo";
import type { OrderRow } from "../db/repositories/orders.repo";
import { paymentSucceeded, refundRow, type PaymentRow, type RefundRow } from "../db/repositories/payments.repo";
import { allOf, outboxRow, paymentSucceededBy, refundExists, refundFits, type Guard } from "../db/repositories/statements";
import { account, paymentTx, refundRequestTx, splitTx, txHeader, type Account, type OrderFacts, type TxDraft } from "../domain/ledger";
import { LEDGER_ACCOUNT_KINDS, type LedgerAccountKind, type RefundKind, type Shares } from "../domain/money";
import { newId } from "../lib/ids";

export const factsOf = (o: OrderRow): OrderFacts => ({
  id: o.id,
  merchantId: o.merchantId,
  serviceId: o.serviceId,
  technicianId: o.technicianId,
  currency: o.currency,
});

/** The outbox topics about an order's money. */
type OrderMoneyTopic = "payment.succeeded" | "payment.refunded_late" | "payment.refunded_duplicate" | "refund.succeeded" | "refund.failed";

/** A message for the notification consumer: who, which order, what happened. */
export function message<T extends OrderMoneyTopic>(
  topic: T,
  o: OrderRow,
  data: Omit<OutboxMessageOf<T>["payload"], "orderId" | "customerId">,
): OutboxMessage {
  return { id: newId("msg"), topic, payload: { orderId: o.id, customerId: o.customerId, ...data } } as OutboxMessageOf<T>;
}

/** Marks the payment paid by `eventId`, books its money and tells the customer: all only if the mark won. */
export function paymentSuccessStatements(
  db: Db,
  o: OrderRow,
  p: PaymentRow,
  s: { eventId: string; providerTxnId: string },
  now: number,
): D1PreparedStatement[] {
  const guard = paymentSucceededBy(p.id, s.eventId);
  return [
    paymentSucceeded(db, { id: p.id, providerTxnId: s.providerTxnId, eventId: s.eventId }, now),
    ...ledgerStatements(db, paymentTx(factsOf(o), p), now, guard),
    outboxRow(
      db,
      message("payment.succeeded", o, { paymentId: p.id, stage: p.stage, amount: p.amount, currency: p.currency, provider: p.provider }),
      now,
      guard,
    ),
  ];
}

export interface NewRefund {
  id: string;
  kind: RefundKind;
  amount: number;
  status: "pending_approval" | "processing" | "succeeded";
  reason: string;
  requestedBy: string | null;
  decidedBy?: string | null;
  changeId?: string | null;
  /** The split's shares when the order's money was split already (the refund takes them back). */
  splitShares: Shares | null;
}

export function refundRowOf(o: OrderRow, p: PaymentRow, r: NewRefund, now: number): RefundRow {
  return {
    id: r.id,
    orderId: o.id,
    packageId: null,
    paymentId: p.id,
    customerId: o.customerId,
    merchantId: o.merchantId,
    provider: p.provider,
    kind: r.kind,
    amount: r.amount,
    currency: p.currency,
    status: r.status,
    reason: r.reason,
    requestedBy: r.requestedBy,
    decidedBy: r.decidedBy ?? null,
    decidedAt: r.status === "pending_approval" ? null : now,
    providerRefundId: null,
    afterSplit: r.splitShares !== null,
    changeId: r.changeId ?? null,
    succeededAt: null,
    failureReason: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * A new refund row and, unless it waits for approval, the money it sets aside for the customer.
 * Written only if `guard` holds and the payment's refunds stay within what it paid (concurrent
 * refunds can never give back more than was taken).
 */
export function refundStatements(db: Db, o: OrderRow, p: PaymentRow, r: NewRefund, now: number, guard?: Guard): D1PreparedStatement[] {
  const stmts = [refundRow(db, refundRowOf(o, p, r, now), allOf(guard, refundFits(p.id, r.amount)))];
  if (r.status !== "pending_approval")
    stmts.push(
      ...ledgerStatements(
        db,
        refundRequestTx(factsOf(o), { id: r.id, provider: p.provider, amount: r.amount }, r.splitShares),
        now,
        refundExists(r.id),
      ),
    );
  return stmts;
}

/**
 * The discount the platform pays (negative quote lines, e.g. a coupon, but not a merchant-funded one).
 * A package's line is not a discount: the package pays that part with its customer's prepaid money (the draw).
 */
export const couponOf = (o: OrderRow) =>
  -o.lines.filter((l) => l.amount < 0 && l.fundedBy !== "merchant" && !l.code.startsWith("package:")).reduce((s, l) => s + l.amount, 0);

/** The discount the merchant pays (a merchant-funded promotion's coupon line): taken off the merchant's share. */
export const merchantFundedOf = (o: OrderRow) =>
  -o.lines.filter((l) => l.amount < 0 && l.fundedBy === "merchant").reduce((s, l) => s + l.amount, 0);

/** An order's split of `funds` (and `coupon`), named `ref` (default: the order; later splits of it are numbered). */
export function splitStatements(
  db: Db,
  o: OrderRow,
  a: { ref?: string; funds: number; coupon: number; merchantFunded?: number; shares: Shares; technicianAvailableAt: number; memo: string },
  now: number,
  guard: Guard,
): D1PreparedStatement[] {
  if (a.funds + a.coupon + (a.merchantFunded ?? 0) === 0) return [];
  return ledgerStatements(db, splitTx(factsOf(o), { ...a, ref: a.ref ?? o.id }), now, guard);
}

export function accountFromCode(code: string): Account {
  const at = code.indexOf(":");
  const kind = (at < 0 ? code : code.slice(0, at)) as LedgerAccountKind;
  if (!LEDGER_ACCOUNT_KINDS.includes(kind)) throw new Error(`unknown ledger account ${code}`);
  return account(kind, at < 0 ? null : code.slice(at + 1));
}

/** A stored transaction as a draft again (to mirror it). */
export function draftOf(tx: NonNullable<Awaited<ReturnType<typeof findTx>>>): TxDraft {
  return {
    ...txHeader(tx),
    entries: tx.entries.map((e) => ({ account: accountFromCode(e.account), amount: e.amount, availableAt: e.availableAt })),
  };
}

/** What the order's splits (at completion and of money collected later) credited to each share, or null before any. */
export async function splitSharesOf(db: Db, orderId: string): Promise<Shares | null> {
  const txs = await listTx(db, { orderId, kind: "split" }, 100);
  if (txs.length === 0) return null;
  const entries = txs.flatMap((t) => t.entries);
  const credit = (kind: LedgerAccountKind) =>
    -entries.filter((e) => accountFromCode(e.account).kind === kind).reduce((s, e) => s + e.amount, 0);
  return { platform: credit("platform_revenue"), merchant: credit("merchant_payable"), technician: credit("technician_payable") };
}

/**
 * What reschedules to a cheaper time gave back (or are giving back) of the order's payments: money
 * no longer towards the order's total, so it is not counted as paid.
 */
export function repricedOut(refunds: RefundRow[]): number {
  return refunds
    .filter((r) => r.kind === "reschedule" && (r.status === "processing" || r.status === "succeeded"))
    .reduce((s, r) => s + r.amount, 0);
}

/** What of a payment is not refunded (or being refunded) yet. */
export function netOf(p: PaymentRow, refunds: RefundRow[]): number {
  const out = refunds
    .filter((r) => r.paymentId === p.id && (r.status === "processing" || r.status === "succeeded" || r.status === "pending_approval"))
    .reduce((s, r) => s + r.amount, 0);
  return p.amount - out;
}
