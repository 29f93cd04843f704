/** Customers paying their orders: creating a payment through a provider, and the payments of an order. */
import { getDb } from "../db/client";
import { bookableService } from "../db/repositories/booking.repo";
import { insertPayment, paymentsOfOrder, refundsOfOrder, type PaymentRow, type RefundRow } from "../db/repositories/payments.repo";
import { CHANNELS_OF, providerName, type PaymentChannel, type PaymentProvider, type PaymentStage } from "../domain/money";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";
import { findOrder } from "../db/repositories/orders.repo";
import { clientParams } from "./client-params";
import { notifyUrl, providerConfigured } from "./providers";
import { providerClient } from "../adapters/payment-provider";
import { ProviderError } from "../adapters/provider-error";
import { FINAL_STATUSES, SERVED_STATUSES } from "../domain/order-state";
import type { OrderRow } from "../db/repositories/orders.repo";
import { config } from "../config";
import { boundOpenId } from "../identity/wechat.service";
import { cashOfOrder, findDue } from "../db/repositories/dues.repo";
import { repricedOut } from "./money-writes";
import { logger } from "../lib/log";

export interface CreatePaymentInput {
  provider: PaymentProvider;
  stage?: PaymentStage;
  /** See CHANNELS_OF: WeChat Pay app/jsapi (needs `openId`)/native, Alipay app/wap/page. */
  channel?: PaymentChannel;
  /** JSAPI: the payer's openid; absent, the one the customer bound (POST /v1/me/wechat). */
  openId?: string;
  /** Alipay wap/page: where the cashier sends the payer back. */
  returnUrl?: string;
}

const CHANNELS: Record<PaymentProvider, readonly string[]> = CHANNELS_OF;

function defaultStage(plan: string, status: string): PaymentStage {
  if (status !== "pending_payment") return plan === "after_service" ? "full" : "balance";
  return plan === "deposit" ? "deposit" : "full";
}

/**
 * Creates a payment of the caller's order for a stage (full, deposit or balance) through a provider
 * and returns what the app needs to pay. The provider's notification (or the reconciliation job)
 * completes it.
 */
export async function createPayment(env: Env, customerId: string, orderId: string, input: CreatePaymentInput, origin: string) {
  const db = getDb(env);
  const order = await findOrder(db, orderId);
  if (!order || order.customerId !== customerId) throw notFound("Order");
  const { channel, openId } = await paymentInput(env, customerId, input);
  const stage = input.stage ?? defaultStage(order.paymentPlan, order.status);
  const [payments, refunds, found, cash, due] = await Promise.all([
    paymentsOfOrder(db, order.id),
    refundsOfOrder(db, order.id),
    bookableService(db, order.serviceId),
    cashOfOrder(db, order.id),
    findDue(db, order.id),
  ]);
  // Staff waived the balance (collection.service waiveDue): nothing is left to pay.
  const amount = due?.waivedAt
    ? null
    : amountDue(
        order,
        payments,
        stage,
        found?.service.paymentOptions.depositPercent ?? null,
        cash.reduce((s, c) => s + c.amount, 0),
        repricedOut(refunds),
      );
  if (amount === null || amount <= 0) {
    throw AppError.of("NOTHING_TO_PAY", { stage, status: order.status }, { extra: { status: order.status, stage } });
  }
  const now = Date.now();
  const id = newId("pay", now);
  const description = found ? `${found.service.nameZh} ${order.id}` : order.id;
  const trade = await prepareTrade(env, input, { id, channel, openId, amount, currency: order.currency, description, now }, origin);
  const row: PaymentRow = {
    id,
    orderId: order.id,
    packageId: null,
    customerId,
    merchantId: order.merchantId,
    provider: input.provider,
    channel,
    stage,
    amount,
    currency: order.currency,
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

/** The provider and channel of a new payment checked (the provider configured here, the channel its own, JSAPI's openid found). */
export async function paymentInput(env: Env, customerId: string, input: CreatePaymentInput) {
  if (!providerConfigured(env, input.provider)) {
    throw AppError.of("PROVIDER_NOT_CONFIGURED", { provider: providerName(input.provider) });
  }
  const channel = (input.channel ?? CHANNELS[input.provider][0]!) as PaymentChannel;
  if (!CHANNELS[input.provider].includes(channel)) {
    throw AppError.of(
      "VALIDATION_FAILED",
      {},
      { errors: [{ path: "body.channel", message: `one of ${CHANNELS[input.provider].join(", ")}` }] },
    );
  }
  // JSAPI pays from the payer's openid under WECHATPAY_APPID: the one given, else the one bound.
  const openId = channel === "jsapi" ? (input.openId ?? (await boundOpenId(env, customerId, config(env).WECHATPAY_APPID))) : input.openId;
  if (channel === "jsapi" && !openId) {
    throw AppError.of(
      "VALIDATION_FAILED",
      {},
      { errors: [{ path: "body.openId", message: "required for channel jsapi unless the account bound its WeChat (POST /v1/me/wechat)" }] },
    );
  }
  if (input.returnUrl !== undefined && !(input.provider === "alipay" && (channel === "wap" || channel === "page"))) {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.returnUrl", message: "only for alipay channels wap and page" }] });
  }
  return { channel, openId: openId ?? undefined };
}

/** Opens the trade at the provider and builds what the app needs to pay it. Nothing is recorded when the provider fails. */
export async function prepareTrade(
  env: Env,
  input: CreatePaymentInput,
  t: { id: string; channel: PaymentChannel; openId?: string; amount: number; currency: string; description: string; now: number },
  origin: string,
) {
  const url = notifyUrl(env, origin, input.provider === "sandbox" ? "stripe" : input.provider);
  const prepared = await providerClient(env)
    .prepay({
      paymentId: t.id,
      provider: input.provider,
      channel: t.channel,
      amount: t.amount,
      currency: t.currency,
      description: t.description,
      notifyUrl: url,
      payerOpenId: t.openId,
    })
    .catch((err: unknown) => {
      // Nothing is recorded yet: the customer may simply try again (the same Idempotency-Key works).
      if (err instanceof ProviderError) {
        logger.warn("payment.provider_failed", { what: "prepay", id: t.id, retryable: err.retryable, error: err.message });
        if (err.retryable)
          throw AppError.of("PROVIDER_UNAVAILABLE", { provider: providerName(input.provider) }, { headers: { "Retry-After": "5" } });
        throw AppError.of("PROVIDER_REFUSED", { provider: providerName(input.provider) }, { extra: { providerCode: err.code } });
      }
      throw err;
    });
  const clientParamsOf = await clientParams(env, {
    paymentId: t.id,
    provider: input.provider,
    channel: t.channel,
    amount: t.amount,
    description: t.description,
    notifyUrl: url,
    returnUrl: input.returnUrl,
    prepared,
    now: t.now,
  });
  return { providerRef: prepared.providerRef, clientParams: clientParamsOf };
}

/** A payment as its customer or staff see it; `clientParams` only right after creating it. */
export function paymentView(p: PaymentRow, refunds: RefundRow[], withParams = false) {
  const money = (amount: number) => ({ amount, currency: p.currency });
  const mine = refunds.filter((r) => r.paymentId === p.id);
  return {
    id: p.id,
    orderId: p.orderId,
    packageId: p.packageId,
    provider: p.provider,
    channel: p.channel,
    stage: p.stage,
    amount: money(p.amount),
    status: p.status,
    disposition: p.disposition,
    providerTxnId: p.providerTxnId,
    refunded: money(mine.filter((r) => r.status === "succeeded").reduce((s, r) => s + r.amount, 0)),
    ...(withParams ? { clientParams: p.clientParams } : {}),
    createdAt: new Date(p.createdAt).toISOString(),
    succeededAt: p.succeededAt === null ? null : new Date(p.succeededAt).toISOString(),
  };
}

export function refundView(r: RefundRow) {
  return {
    id: r.id,
    orderId: r.orderId,
    packageId: r.packageId,
    paymentId: r.paymentId,
    provider: r.provider,
    kind: r.kind,
    amount: { amount: r.amount, currency: r.currency },
    status: r.status,
    reason: r.reason,
    failureReason: r.failureReason,
    createdAt: new Date(r.createdAt).toISOString(),
    decidedAt: r.decidedAt === null ? null : new Date(r.decidedAt).toISOString(),
    succeededAt: r.succeededAt === null ? null : new Date(r.succeededAt).toISOString(),
  };
}

/** The payments and refunds of an order, for its views. */
export async function moneyOfOrder(env: Env, orderId: string) {
  const db = getDb(env);
  const [payments, refunds, due] = await Promise.all([paymentsOfOrder(db, orderId), refundsOfOrder(db, orderId), findDue(db, orderId)]);
  return { payments: payments.map((p) => paymentView(p, refunds)), refunds: refunds.map(refundView), due: due ? dueView(due) : null };
}

/** A served order's payment due as staff see it: open (blocking the customer's bookings), settled, or waived. */
export function dueView(d: NonNullable<Awaited<ReturnType<typeof findDue>>>) {
  return {
    since: new Date(d.createdAt).toISOString(),
    settled: d.settledAt !== null,
    waived:
      d.waivedAt !== null
        ? { amount: d.waivedAmount ?? 0, reason: d.waiveReason ?? "", at: new Date(d.waivedAt).toISOString(), by: d.waivedBy ?? "" }
        : null,
  };
}

/**
 * Whether an order can still take a payment for `stage` (and for how much); `cash` the technician
 * collected counts as paid, what a reschedule to a cheaper time gave back (`repriced`) does not.
 */
export function amountDue(
  order: OrderRow,
  payments: PaymentRow[],
  stage: PaymentRow["stage"],
  depositPercent: number | null,
  cash = 0,
  repriced = 0,
): number | null {
  if (FINAL_STATUSES.includes(order.status) && !SERVED_STATUSES.includes(order.status)) return null;
  const paid = payments.filter(
    (p) => p.status === "succeeded" && p.disposition !== "refunded_late" && p.disposition !== "refunded_duplicate",
  );
  const paidStages = new Set(paid.map((p) => p.stage));
  if (stage === "full") {
    if (order.status !== "pending_payment" && order.paymentPlan !== "after_service") return null;
    if (paidStages.size > 0) return null;
    return order.total - cash > 0 ? order.total - cash : null;
  }
  if (stage === "deposit") {
    if (order.status !== "pending_payment" || order.paymentPlan !== "deposit" || depositPercent === null || paidStages.size > 0)
      return null;
    return Math.floor((order.total * depositPercent + 50) / 100);
  }
  if (order.status === "pending_payment") return null;
  const due = order.total - paid.reduce((s, p) => s + p.amount, 0) - cash + repriced;
  return due > 0 ? due : null;
}
