/**
 * Provider notifications: verified exactly per PAYMENTS.md over the raw body, checked against our
 * payment (ids, merchant/app ids, amounts) or withdrawal (WeChat Pay transfer bills), then applied
 * at most once. A verified notice that
 * disagrees with our payment is a security event: logged, rejected, nothing changed.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import {
  eventRow,
  findPayment,
  findRefund,
  paymentFailed,
  paymentIdByProviderRef,
  refundsOfSubject,
  type PaymentRow,
  type ProviderEventRow,
} from "../db/repositories/payments.repo";
import { runBatch } from "../db/repositories/statements";
import { yuanToFen, type PaymentProvider } from "../domain/money";
import { wechatPublicKeys } from "./providers";
import { applyRefundOutcome, isDuplicate } from "./refund-flow.service";
import { applyExternalRefund } from "./external-refund.service";
import { applyPaymentSuccess } from "./settle.service";
import { verifyAlipay, verifyStripe, verifyWechat, type StripeEvent } from "./verify";
import { findWithdrawal } from "../db/repositories/withdrawals.repo";
import type { PayoutState } from "../adapters/payment-provider";
import { outBillNo, transferState } from "../adapters/wechatpay";
import { applyPayoutOutcome } from "./withdrawals.service";
import { logger } from "../lib/log";

export type WebhookOutcome = { ok: true; duplicate: boolean } | { ok: false; reason: string };

const rejected = (reason: string): WebhookOutcome => ({ ok: false, reason });

function securityEvent(provider: string, reason: string, data: Record<string, unknown>): WebhookOutcome {
  logger.warn("payment.security", { provider, reason, ...data });
  return rejected(reason);
}

function eventOf(
  provider: string,
  eventId: string,
  type: string,
  data: Record<string, unknown>,
  ids: { paymentId?: string; refundId?: string } = {},
): ProviderEventRow {
  return { provider, eventId, type, paymentId: ids.paymentId ?? null, refundId: ids.refundId ?? null, data, receivedAt: Date.now() };
}

/** Records an event that changes nothing (acknowledged, deduplicated). */
async function recordOnly(env: Env, e: ProviderEventRow): Promise<WebhookOutcome> {
  try {
    const db = getDb(env);
    await runBatch(db, [eventRow(db, e)]);
    return { ok: true, duplicate: false };
  } catch (err) {
    if (isDuplicate(err)) return { ok: true, duplicate: true };
    throw err;
  }
}

async function ourPayment(env: Env, provider: PaymentProvider, paymentId: unknown): Promise<PaymentRow | null> {
  if (typeof paymentId !== "string" || paymentId.length > 64) return null;
  const p = await findPayment(getDb(env), paymentId);
  return p && p.provider === provider ? p : null;
}

async function paid(
  env: Env,
  p: PaymentRow,
  event: ProviderEventRow,
  providerTxnId: string,
  payer: string | null,
): Promise<WebhookOutcome> {
  const fresh = await applyPaymentSuccess(env, { paymentId: p.id, providerTxnId, event, payer });
  return { ok: true, duplicate: !fresh };
}

// ——— Who paid (the referral fraud guard compares payers; only a keyed hash is stored) ———

const payerId = (v: unknown): string | null => (typeof v === "string" && v.length > 0 && v.length <= 128 ? v : null);

/** WeChat Pay: the decrypted transaction's `payer.openid` (one person within our appid). */
export function wechatPayer(r: Record<string, unknown>): string | null {
  const payer = typeof r.payer === "object" && r.payer !== null ? (r.payer as Record<string, unknown>) : {};
  return payerId(payer.openid);
}

/** Alipay: `buyer_id` (the buyer's 2088… user id), or `buyer_open_id` for apps that get open ids instead. */
export function alipayPayer(f: Record<string, string | undefined>): string | null {
  const id = payerId(f.buyer_id) ?? payerId(f.buyer_open_id);
  return id && (id === f.buyer_open_id ? `open:${id}` : `user:${id}`);
}

/**
 * Stripe (and the sandbox, which speaks Stripe): the card's `fingerprint` (the same card in any
 * customer) when the PaymentIntent carries its charges, else the PaymentIntent's `customer`.
 */
export function stripePayer(o: Record<string, unknown>): string | null {
  const charges = typeof o.charges === "object" && o.charges !== null ? (o.charges as { data?: unknown }).data : undefined;
  for (const c of Array.isArray(charges) ? charges : []) {
    const details = (c as { payment_method_details?: { card?: { fingerprint?: unknown } } }).payment_method_details;
    const fingerprint = payerId(details?.card?.fingerprint);
    if (fingerprint) return `card:${fingerprint}`;
  }
  const customer = payerId(o.customer);
  return customer && `customer:${customer}`;
}

/** A refund notice: ours by id (its amount must agree), or one made at the provider. */
async function refunded(
  env: Env,
  p: PaymentRow,
  event: ProviderEventRow,
  n: {
    ourRefundId: string | null;
    providerRefundId: string;
    amount: number;
    status: "succeeded" | "failed" | "pending";
    providerTxnId: string | null;
  },
): Promise<WebhookOutcome> {
  const db = getDb(env);
  const ours = n.ourRefundId ? await findRefund(db, n.ourRefundId) : undefined;
  if (ours) {
    if (ours.paymentId !== p.id || ours.amount !== n.amount) {
      return securityEvent(event.provider, "refund notice disagrees with our refund", { refundId: ours.id, amount: n.amount });
    }
    if (n.status === "pending" || ours.status !== "processing") return recordOnly(env, { ...event, refundId: ours.id });
    const fresh = await applyRefundOutcome(
      env,
      ours.id,
      n.status === "succeeded"
        ? { status: "succeeded", providerRefundId: n.providerRefundId }
        : { status: "failed", reason: "refused by the provider" },
      { ...event, refundId: ours.id },
    );
    return { ok: true, duplicate: !fresh };
  }
  if (n.ourRefundId && n.ourRefundId.startsWith("rfd_"))
    return securityEvent(event.provider, "refund notice for an unknown refund", { refundId: n.ourRefundId });
  if (n.status !== "succeeded") return recordOnly(env, event);
  const known = (await refundsOfSubject(db, p)).some((r) => r.providerRefundId === n.providerRefundId);
  if (known) return recordOnly(env, event);
  if (p.orderId === null) {
    // A package's money refunded in the provider's dashboard: recorded for staff, not booked.
    logger.warn("payment.external_package_refund", { provider: event.provider, paymentId: p.id, amount: n.amount });
    return recordOnly(env, event);
  }
  const fresh = await applyExternalRefund(
    env,
    p,
    { amount: n.amount, providerRefundId: n.providerRefundId, providerTxnId: n.providerTxnId },
    event,
  );
  return { ok: true, duplicate: !fresh };
}

// ——— Stripe (and the sandbox, which speaks Stripe's format with its own secret) ———

export async function receiveStripe(
  env: Env,
  provider: "stripe" | "sandbox",
  rawBody: string,
  signature: string | undefined,
  now = Date.now(),
): Promise<WebhookOutcome> {
  const secret = provider === "stripe" ? config(env).STRIPE_WEBHOOK_SECRET : config(env).SANDBOX_WEBHOOK_SECRET;
  const verified = await verifyStripe(rawBody, signature, secret ?? "", now);
  if (!verified.ok) return rejected(verified.reason);
  return applyStripeEvent(env, provider, verified.value);
}

async function applyStripeEvent(env: Env, provider: "stripe" | "sandbox", e: StripeEvent): Promise<WebhookOutcome> {
  const o = e.data.object;
  const metadata = (typeof o.metadata === "object" && o.metadata !== null ? o.metadata : {}) as Record<string, unknown>;
  const summary = { type: e.type, object: o.object, id: o.id, amount: o.amount, currency: o.currency, status: o.status, metadata };
  if (
    o.object === "payment_intent" &&
    (e.type === "payment_intent.succeeded" || e.type === "payment_intent.payment_failed" || e.type === "payment_intent.canceled")
  ) {
    if (metadata.paymentId === undefined) return recordOnly(env, eventOf(provider, e.id, e.type, summary));
    const p = await ourPayment(env, provider, metadata.paymentId);
    if (!p) return securityEvent(provider, "payment_intent for an unknown payment", { eventId: e.id });
    if (o.id !== p.providerRef || o.amount !== p.amount || String(o.currency).toUpperCase() !== p.currency) {
      return securityEvent(provider, "payment_intent disagrees with our payment", { eventId: e.id, paymentId: p.id });
    }
    const event = eventOf(provider, e.id, e.type, summary, { paymentId: p.id });
    if (e.type !== "payment_intent.succeeded") return failed(env, p, event);
    return paid(env, p, event, typeof o.latest_charge === "string" ? o.latest_charge : String(o.id), stripePayer(o));
  }
  if (o.object === "refund") {
    const p = await ourPayment(env, provider, metadata.paymentId ?? (await paymentByIntent(env, o.payment_intent)));
    if (!p) return securityEvent(provider, "refund for an unknown payment", { eventId: e.id });
    if (typeof o.amount !== "number" || !Number.isSafeInteger(o.amount) || o.payment_intent !== p.providerRef) {
      return securityEvent(provider, "refund disagrees with our payment", { eventId: e.id, paymentId: p.id });
    }
    const status = o.status === "succeeded" ? "succeeded" : o.status === "failed" || o.status === "canceled" ? "failed" : "pending";
    return refunded(env, p, eventOf(provider, e.id, e.type, summary, { paymentId: p.id }), {
      ourRefundId: typeof metadata.refundId === "string" ? metadata.refundId : null,
      providerRefundId: String(o.id),
      amount: o.amount,
      status,
      providerTxnId: typeof o.charge === "string" ? o.charge : null,
    });
  }
  return recordOnly(env, eventOf(provider, e.id, e.type, summary));
}

async function paymentByIntent(env: Env, intent: unknown): Promise<string | null> {
  if (typeof intent !== "string") return null;
  return (await paymentIdByProviderRef(getDb(env), intent)) ?? null;
}

/** A failed attempt: recorded with the event; the order keeps waiting for another payment. */
async function failed(env: Env, p: PaymentRow, event: ProviderEventRow): Promise<WebhookOutcome> {
  try {
    const db = getDb(env);
    await runBatch(db, [eventRow(db, event), paymentFailed(db, p.id, Date.now())]);
    return { ok: true, duplicate: false };
  } catch (err) {
    if (isDuplicate(err)) return { ok: true, duplicate: true };
    throw err;
  }
}

// ——— WeChat Pay ———

export async function receiveWechat(
  env: Env,
  header: (name: string) => string | undefined,
  rawBody: string,
  now = Date.now(),
): Promise<WebhookOutcome> {
  const verified = await verifyWechat(
    header,
    rawBody,
    { apiV3Key: config(env).WECHATPAY_APIV3_KEY, publicKeys: wechatPublicKeys(env) },
    now,
  );
  if (!verified.ok) return rejected(verified.reason);
  const { notification: n, resource: r } = verified.value;
  const amount = (typeof r.amount === "object" && r.amount !== null ? r.amount : {}) as Record<string, unknown>;
  const summary = {
    event_type: n.event_type,
    out_trade_no: r.out_trade_no,
    transaction_id: r.transaction_id,
    trade_state: r.trade_state,
    out_refund_no: r.out_refund_no,
    refund_status: r.refund_status,
    amount,
  };
  if (n.event_type.startsWith("MCHTRANSFER.")) return transferNotice(env, n.id, n.event_type, r);
  const isTransaction = n.event_type.startsWith("TRANSACTION.");
  const isRefund = n.event_type.startsWith("REFUND.");
  if (!isTransaction && !isRefund) return recordOnly(env, eventOf("wechatpay", n.id, n.event_type, summary));
  if (r.mchid !== config(env).WECHATPAY_MCHID) return securityEvent("wechatpay", "mchid disagrees", { eventId: n.id });
  const p = await ourPayment(env, "wechatpay", r.out_trade_no);
  if (!p) return securityEvent("wechatpay", "notice for an unknown out_trade_no", { eventId: n.id });
  if (amount.total !== p.amount || (amount.currency !== undefined && amount.currency !== p.currency)) {
    return securityEvent("wechatpay", "amount disagrees with our payment", { eventId: n.id, paymentId: p.id });
  }
  const event = eventOf("wechatpay", n.id, n.event_type, summary, { paymentId: p.id });
  if (isTransaction) {
    if (r.appid !== config(env).WECHATPAY_APPID) return securityEvent("wechatpay", "appid disagrees", { eventId: n.id });
    if (n.event_type !== "TRANSACTION.SUCCESS" || r.trade_state !== "SUCCESS") return recordOnly(env, event);
    return paid(env, p, event, String(r.transaction_id ?? ""), wechatPayer(r));
  }
  if (typeof amount.refund !== "number" || !Number.isSafeInteger(amount.refund))
    return securityEvent("wechatpay", "refund amount missing", { eventId: n.id });
  const status =
    r.refund_status === "SUCCESS" ? "succeeded" : r.refund_status === "ABNORMAL" || r.refund_status === "CLOSED" ? "failed" : "pending";
  return refunded(env, p, event, {
    ourRefundId: typeof r.out_refund_no === "string" ? r.out_refund_no : null,
    providerRefundId: String(r.refund_id ?? r.out_refund_no ?? n.id),
    amount: amount.refund,
    status,
    providerTxnId: typeof r.transaction_id === "string" ? r.transaction_id : null,
  });
}

/**
 * A merchant transfer reached a final state (MCHTRANSFER.BILL.FINISHED): applied to its withdrawal
 * once (the bill must be ours: mchid, out_bill_no, amount), like the transfer query's answer.
 */
async function transferNotice(env: Env, id: string, eventType: string, r: Record<string, unknown>): Promise<WebhookOutcome> {
  const summary = {
    event_type: eventType,
    out_bill_no: r.out_bill_no,
    transfer_bill_no: r.transfer_bill_no,
    state: r.state,
    transfer_amount: r.transfer_amount,
    fail_reason: r.fail_reason,
  };
  const event = eventOf("wechatpay", id, eventType, summary);
  if (r.mchid !== config(env).WECHATPAY_MCHID) return securityEvent("wechatpay", "mchid disagrees", { eventId: id });
  const bill = typeof r.out_bill_no === "string" ? r.out_bill_no : "";
  // Our out_bill_no is the withdrawal id without its `_` (outBillNo).
  const w = /^wdr[A-Za-z0-9]+$/.test(bill) ? await findWithdrawal(getDb(env), `wdr_${bill.slice(3)}`) : undefined;
  if (!w || w.payoutProvider !== "wechatpay" || outBillNo(w.id) !== bill) {
    return securityEvent("wechatpay", "transfer notice for an unknown out_bill_no", { eventId: id });
  }
  if (r.transfer_amount !== w.amount) {
    return securityEvent("wechatpay", "transfer amount disagrees with our withdrawal", { eventId: id, withdrawalId: w.id });
  }
  let state: PayoutState;
  try {
    state = transferState(r);
  } catch {
    return rejected(`unknown transfer state ${String(r.state)}`);
  }
  if (state.status === "processing") return recordOnly(env, event);
  const fresh = await applyPayoutOutcome(env, w.id, state, { ...event, data: { ...summary, withdrawalId: w.id } });
  return { ok: true, duplicate: !fresh };
}

// ——— Alipay ———

export async function receiveAlipay(env: Env, rawBody: string): Promise<WebhookOutcome> {
  const verified = await verifyAlipay(rawBody, config(env).ALIPAY_PUBLIC_KEY);
  if (!verified.ok) return rejected(verified.reason);
  const f = verified.value;
  const eventId = f.notify_id;
  if (!eventId) return rejected("notify_id missing");
  const summary = {
    notify_type: f.notify_type,
    trade_status: f.trade_status,
    out_trade_no: f.out_trade_no,
    trade_no: f.trade_no,
    total_amount: f.total_amount,
    refund_fee: f.refund_fee,
    out_biz_no: f.out_biz_no,
  };
  if (f.app_id !== config(env).ALIPAY_APP_ID) return securityEvent("alipay", "app_id disagrees", { eventId });
  const p = await ourPayment(env, "alipay", f.out_trade_no);
  if (!p) return securityEvent("alipay", "notice for an unknown out_trade_no", { eventId });
  const total = yuanToFen(f.total_amount ?? "");
  if (total !== p.amount) return securityEvent("alipay", "total_amount disagrees with our payment", { eventId, paymentId: p.id });
  const event = eventOf("alipay", eventId, `${f.notify_type ?? "notify"}:${f.trade_status ?? ""}`, summary, { paymentId: p.id });
  if (f.refund_fee !== undefined || f.out_biz_no !== undefined) {
    // A refund: refund_fee is the total refunded on the trade so far.
    const cumulative = yuanToFen(f.refund_fee ?? "");
    if (cumulative === null) return securityEvent("alipay", "refund_fee malformed", { eventId });
    const refunds = await refundsOfSubject(getDb(env), p);
    const before = refunds
      .filter((r) => r.paymentId === p.id && r.status === "succeeded" && r.id !== f.out_biz_no)
      .reduce((s, r) => s + r.amount, 0);
    return refunded(env, p, event, {
      ourRefundId: f.out_biz_no ?? null,
      providerRefundId: f.out_biz_no ? `${f.trade_no}:${f.out_biz_no}` : `${f.trade_no}:${eventId}`,
      amount:
        f.out_biz_no && refunds.some((r) => r.id === f.out_biz_no)
          ? refunds.find((r) => r.id === f.out_biz_no)!.amount
          : cumulative - before,
      status: "succeeded",
      providerTxnId: f.trade_no ?? null,
    });
  }
  if (f.trade_status !== "TRADE_SUCCESS" && f.trade_status !== "TRADE_FINISHED") return recordOnly(env, event);
  return paid(env, p, event, f.trade_no ?? "", alipayPayer(f));
}
