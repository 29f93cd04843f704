/**
 * Packages (次卡 / 套餐) paid and refunded through the payment providers. A payment's subject is an
 * order or a customer's package (payments.package_id); a package's payment goes through the same
 * providers, verified webhooks and reconciliation as an order's:
 * - paid: the package becomes active and its money is deferred (ledger package_sale), once per
 *   payment however often and however concurrently the provider reports it;
 * - a second payment of a package paid already goes back in full (refund kind `duplicate`);
 * - a refund of the unused rest goes back to the original payment through the provider's refund
 *   flow (refund kind `package`: refund_request, then refund when the provider confirms it).
 * This module imports no other area's services, so src/membership may call it.
 */
import { getDb } from "../db/client";
import { findTx, ledgerStatements } from "../db/repositories/ledger.repo";
import {
  activateStatements,
  findPackage,
  packageRefundFailedStatements,
  refundPackageStatements,
  type CustomerPackageRow,
} from "../db/repositories/membership.repo";
import {
  eventRow,
  findPayment,
  findRefund,
  insertPayment,
  paymentDisposed,
  paymentSucceeded,
  refundMoved,
  refundRow,
  setRefundProviderId,
  type PaymentRow,
  type ProviderEventRow,
  type RefundRow,
} from "../db/repositories/payments.repo";
import { allOf, paymentDisposedBy, refundMarked, runBatch, type Guard } from "../db/repositories/statements";
import {
  packageRefundRequestTx,
  packageRefundTx,
  packageSaleTx,
  packageSubject,
  paymentTx,
  refundRequestTx,
  refundReversalTx,
  refundTx,
  type PackageFacts,
  type TxDraft,
} from "../domain/ledger";
import { deferredOfSale, packageRefundOf } from "../domain/membership";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";
import { providerClient } from "../adapters/payment-provider";
import { ProviderError, providerFailed } from "../adapters/provider-error";
import { paymentInput, paymentView, prepareTrade, type CreatePaymentInput } from "./payments.service";
import { draftOf } from "./money-writes";

const DAY = 86_400_000;

const factsOf = (p: CustomerPackageRow): PackageFacts => ({
  id: p.id,
  merchantId: p.merchantId,
  serviceId: p.serviceId,
  currency: p.currency,
});

/** The payment is paid and its money not decided yet. */
const undisposed = (paymentId: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM payments WHERE id = ? AND status = 'succeeded' AND disposition IS NULL)",
  params: [paymentId],
});

/**
 * The customer pays their pending package through a provider (the whole price, stage `full`) and
 * gets what the app needs to pay. 404 for someone else's package, 409 PACKAGE_NOT_PENDING once paid.
 */
export async function createPackagePayment(env: Env, customerId: string, packageId: string, input: CreatePaymentInput, origin: string) {
  const db = getDb(env);
  const pkg = await findPackage(db, packageId);
  if (!pkg || pkg.customerId !== customerId) throw notFound("Package");
  if (pkg.status !== "pending_payment") throw AppError.of("PACKAGE_NOT_PENDING");
  const { channel, openId } = await paymentInput(env, customerId, input);
  const now = Date.now();
  const id = newId("pay", now);
  const trade = await prepareTrade(
    env,
    input,
    { id, channel, openId, amount: pkg.price, currency: pkg.currency, description: `套餐 ${pkg.id}`, now },
    origin,
  );
  const row: PaymentRow = {
    id,
    orderId: null,
    packageId: pkg.id,
    customerId,
    merchantId: pkg.merchantId,
    provider: input.provider,
    channel,
    stage: "full",
    amount: pkg.price,
    currency: pkg.currency,
    status: "pending",
    providerRef: trade.providerRef,
    providerTxnId: null,
    clientParams: trade.clientParams,
    successEventId: null,
    succeededAt: null,
    disposition: null,
    dispositionRef: null,
    createdAt: now,
    updatedAt: now,
  };
  await insertPayment(db, row);
  return paymentView(row, [], true);
}

/**
 * Records a verified success of a package's payment once (a duplicate event changes nothing and
 * answers false), then settles it: also after a duplicate, since the first delivery may have stopped
 * before settling.
 */
export async function applyPackagePaymentSuccess(
  env: Env,
  p: PaymentRow,
  f: { providerTxnId: string; event: ProviderEventRow },
): Promise<boolean> {
  const db = getDb(env);
  let fresh = true;
  try {
    await runBatch(db, [
      eventRow(db, f.event),
      paymentSucceeded(db, { id: p.id, providerTxnId: f.providerTxnId, eventId: f.event.eventId }, Date.now()),
    ]);
  } catch (err) {
    if (!/UNIQUE constraint failed: provider_events/i.test(String(err))) throw err;
    fresh = false;
  }
  await settlePackagePayment(env, p.id);
  return fresh;
}

/**
 * Decides a paid package payment's money, once (idempotent, safe concurrently: every write is
 * guarded on the payment being undecided, and deciding it is in the same batch): a pending package
 * becomes active with its money deferred; a package already paid (or refunded) gets the money back.
 */
export async function settlePackagePayment(env: Env, paymentId: string): Promise<void> {
  const db = getDb(env);
  const p = await findPayment(db, paymentId);
  if (!p || p.packageId === null || p.status !== "succeeded" || p.disposition !== null) return;
  const pkg = (await findPackage(db, p.packageId))!;
  const now = Date.now();
  const open = undisposed(p.id);
  if (pkg.status === "pending_payment" && p.amount === pkg.price) {
    const deferred = deferredOfSale(pkg.kind, pkg.price, pkg.unitsTotal);
    const tx = packageSaleTx(factsOf(pkg), { ref: p.id, provider: p.provider, price: p.amount, deferred });
    await runBatch(db, [
      ...activateStatements(db, pkg, { ref: p.id, deferred, validUntil: now + pkg.validDays * DAY, tx }, now, open),
      paymentDisposed(db, p.id, "applied", pkg.id, now, {
        sql: "EXISTS (SELECT 1 FROM customer_packages WHERE id = ? AND payment_ref = ?)",
        params: [pkg.id, p.id],
      }),
    ]);
    if ((await findPayment(db, p.id))?.disposition !== null) return;
  }
  const latest = (await findPackage(db, pkg.id))!;
  if (latest.paymentRef === p.id) return;
  // Paid twice (or after a refund): the whole payment goes back the way it came.
  const refundId = newId("rfd", now);
  const subject = packageSubject(factsOf(pkg));
  const decided = paymentDisposedBy(p.id, refundId);
  const [first] = await runBatch(db, [
    paymentDisposed(db, p.id, "refunded_duplicate", refundId, now),
    ...ledgerStatements(db, paymentTx(subject, p), now, decided),
    refundRow(
      db,
      packageRefundRow(pkg, p, { id: refundId, kind: "duplicate", amount: p.amount, reason: "the package was paid already" }, now),
      decided,
    ),
    ...ledgerStatements(db, refundRequestTx(subject, { id: refundId, provider: p.provider, amount: p.amount }, null), now, decided),
  ]);
  if (first?.meta.changes === 1) await sendPackageRefunds(env, [refundId]);
}

function packageRefundRow(
  pkg: CustomerPackageRow,
  p: PaymentRow,
  r: { id: string; kind: "package" | "duplicate"; amount: number; reason: string; requestedBy?: string },
  now: number,
): RefundRow {
  return {
    id: r.id,
    orderId: null,
    packageId: pkg.id,
    paymentId: p.id,
    customerId: pkg.customerId,
    merchantId: pkg.merchantId,
    provider: p.provider,
    kind: r.kind,
    amount: r.amount,
    currency: p.currency,
    status: "processing",
    reason: r.reason,
    requestedBy: r.requestedBy ?? null,
    decidedBy: r.requestedBy ?? null,
    decidedAt: now,
    providerRefundId: null,
    afterSplit: false,
    changeId: null,
    succeededAt: null,
    failureReason: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** The provider payment that activated the package, if it was paid through a provider (not at the counter). */
export async function providerPaymentOf(env: Env, pkg: CustomerPackageRow): Promise<PaymentRow | undefined> {
  if (!pkg.paymentRef) return undefined;
  const p = await findPayment(getDb(env), pkg.paymentRef);
  return p && p.packageId === pkg.id ? p : undefined;
}

/**
 * Refunds what is left of an active package paid through a provider by its policy: the refund is
 * set aside and sent to the original payment through the provider (applied when the provider
 * confirms it; a refusal makes the package active again), the rest is earned at once. 409
 * PACKAGE_NOT_ACTIVE when it is not active or moved meanwhile. Returns the refund's id (null when
 * nothing goes back).
 */
export async function refundPackageToProvider(
  env: Env,
  actorId: string,
  pkg: CustomerPackageRow,
  payment: PaymentRow,
  reason: string,
): Promise<string | null> {
  const db = getDb(env);
  const now = Date.now();
  const { refund, kept } = packageRefundOf(pkg.deferredLeft, pkg.refundPercent);
  const refundId = newId("rfd", now);
  const facts = factsOf(pkg);
  const txs: TxDraft[] = [
    ...(refund > 0 ? [packageRefundRequestTx(facts, { id: refundId, provider: payment.provider, amount: refund })] : []),
    ...(kept > 0 ? [packageRefundTx(facts, { ref: refundId, provider: payment.provider, deferredLeft: kept, refund: 0 })] : []),
  ];
  const [updated] = await runBatch(
    db,
    refundPackageStatements(db, pkg, { ref: refundId, refund, txs }, now, (guard) =>
      refund > 0
        ? [
            refundRow(
              db,
              packageRefundRow(pkg, payment, { id: refundId, kind: "package", amount: refund, reason, requestedBy: actorId }, now),
              guard,
            ),
          ]
        : [],
    ),
  );
  if (updated?.meta.changes !== 1) throw AppError.of("PACKAGE_NOT_ACTIVE");
  if (refund === 0) return null;
  await sendPackageRefunds(env, [refundId]);
  return refundId;
}

/**
 * Sends a processing refund to its provider (idempotent per refund id) and applies a final answer
 * with `apply`. A provider that fails leaves the refund processing and unsent, for reconciliation.
 */
export async function askProviderToRefund(
  env: Env,
  refund: RefundRow,
  apply: (outcome: { status: "succeeded"; providerRefundId: string } | { status: "failed"; reason: string }) => Promise<unknown>,
): Promise<void> {
  const db = getDb(env);
  const payment = (await findPayment(db, refund.paymentId))!;
  const answer = await providerClient(env).refund({
    refundId: refund.id,
    paymentId: payment.id,
    provider: payment.provider,
    providerTxnId: payment.providerTxnId,
    amount: refund.amount,
    paymentAmount: payment.amount,
    currency: refund.currency,
    reason: refund.reason,
  });
  if (answer.status === "processing") await setRefundProviderId(db, refund.id, answer.providerRefundId);
  else
    await apply(
      answer.status === "succeeded"
        ? { status: "succeeded", providerRefundId: answer.providerRefundId }
        : { status: "failed", reason: answer.reason },
    );
}

async function sendPackageRefunds(env: Env, ids: string[]): Promise<void> {
  for (const id of ids) {
    const refund = await findRefund(getDb(env), id);
    if (!refund || refund.status !== "processing") continue;
    try {
      await askProviderToRefund(env, refund, (outcome) => applyPackageRefundOutcome(env, refund, outcome));
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      providerFailed("refund", id, err);
    }
  }
}

/**
 * A package refund's final outcome, once (with `event`, a duplicate delivery changes nothing and
 * answers false): paid out (refunds_payable to the provider), or refused (the set-aside money is
 * the package's again and the package active, for staff to try again).
 */
export async function applyPackageRefundOutcome(
  env: Env,
  refund: RefundRow,
  outcome: { status: "succeeded"; providerRefundId: string } | { status: "failed"; reason: string },
  event?: ProviderEventRow,
): Promise<boolean> {
  const db = getDb(env);
  const pkg = (await findPackage(db, refund.packageId!))!;
  const marker = event?.eventId ?? newId("chg");
  const now = Date.now();
  const guard = refundMarked(refund.id, marker);
  const subject = packageSubject(factsOf(pkg));
  let money: D1PreparedStatement[];
  if (outcome.status === "succeeded") money = ledgerStatements(db, refundTx(subject, refund), now, guard);
  else {
    const request = await findTx(db, "refund_request", refund.id);
    money = [
      ...(request ? ledgerStatements(db, refundReversalTx(draftOf(request)), now, guard) : []),
      ...(refund.kind === "package" ? packageRefundFailedStatements(db, pkg.id, refund.amount, allOf(guard), now) : []),
    ];
  }
  try {
    await runBatch(db, [
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
    ]);
  } catch (err) {
    if (event && /UNIQUE constraint failed: provider_events/i.test(String(err))) return false;
    throw err;
  }
  return true;
}
