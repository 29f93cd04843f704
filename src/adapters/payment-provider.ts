/**
 * Calls to the payment providers' servers: create the provider-side trade, query it, close it,
 * refund, pay a technician out. These machines cannot reach the providers, so the built-in client
 * is `local`: it keeps what a provider's servers would know in D1 (local_provider_records). A
 * production deployment adds a client per provider behind this interface (PAYMENT_PROVIDER_CLIENT).
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { getLocalRecord, putLocalRecord, setLocalState } from "../db/repositories/local-provider.repo";
import type { PaymentProvider } from "../domain/money";
import { randomToken } from "../lib/encoding";
import { alipayClient } from "./alipay";
import { stripeClient } from "./stripe";
import { wechatpayClient } from "./wechatpay";

export interface PrepayRequest {
  paymentId: string;
  provider: PaymentProvider;
  channel: string;
  amount: number;
  currency: string;
  description: string;
  notifyUrl: string;
  payerOpenId?: string;
}

export interface Prepared {
  /** prepay_id (WeChat Pay), PaymentIntent id (Stripe, sandbox); null when the app signs the order itself (Alipay). */
  providerRef: string | null;
  /** Stripe's PaymentIntent client secret. */
  clientSecret?: string;
  /** WeChat Pay Native: the code_url the payer scans. */
  codeUrl?: string;
}

export type TradeState = { state: "paid"; transactionId: string; amount: number } | { state: "unpaid" } | { state: "closed" };

export interface RefundRequest {
  refundId: string;
  paymentId: string;
  provider: PaymentProvider;
  providerTxnId: string | null;
  amount: number;
  paymentAmount: number;
  currency: string;
  reason: string;
}

export type RefundState =
  | { status: "succeeded"; providerRefundId: string }
  | { status: "processing"; providerRefundId: string }
  | { status: "failed"; reason: string };

export interface PayoutRequest {
  withdrawalId: string;
  provider: string;
  technicianId: string;
  amount: number;
  currency: string;
  /** The payee's account at the provider, when the provider needs one named (Alipay transfers). */
  payee?: { identity: string; identityType: "ALIPAY_USER_ID" | "ALIPAY_LOGON_ID"; name?: string };
  /** WeChat Pay transfers: the technician's openid under WECHATPAY_APPID. */
  payeeOpenId?: string;
  /** WeChat Pay transfers: the payee's real name, sent (encrypted) with transfers of ¥2,000 or more. */
  payeeName?: string;
  /** Where the provider reports the payout's final state (WeChat Pay's transfer notify_url). */
  notifyUrl?: string;
}

export type PayoutState =
  | { status: "succeeded"; payoutRef: string }
  /** `confirmPackage`: WeChat Pay's package_info when the payee must confirm the transfer (WAIT_USER_CONFIRM). */
  | { status: "processing"; payoutRef: string; confirmPackage?: string }
  | { status: "failed"; reason: string };

export interface ProviderClient {
  /** Creates (idempotently, per payment id) the trade at the provider. */
  prepay(req: PrepayRequest): Promise<Prepared>;
  /** What the provider knows of the trade `paymentId`. */
  queryPayment(provider: PaymentProvider, paymentId: string): Promise<TradeState>;
  /** Closes an unpaid trade so it can no longer be paid. */
  closePayment(provider: PaymentProvider, paymentId: string): Promise<void>;
  /** Asks for a refund (idempotent per refund id). */
  refund(req: RefundRequest): Promise<RefundState>;
  /** What the provider knows of refund `refundId` (of payment `paymentId`, which Alipay needs to find it). */
  queryRefund(provider: PaymentProvider, refundId: string, paymentId?: string): Promise<RefundState | null>;
  /** Pays a technician out (idempotent per withdrawal id: WeChat Pay's out_bill_no, Alipay's out_biz_no). */
  payout(req: PayoutRequest): Promise<PayoutState>;
  /** What the provider knows of the payout of withdrawal `withdrawalId`; null when it has none. */
  queryPayout(provider: string, withdrawalId: string): Promise<PayoutState | null>;
}

/** Provider-shaped ids: WeChat prepay_id `wx…`, Stripe `pi_…`, transaction ids per provider. */
const alnum = (n: number) =>
  randomToken(n * 2)
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, n);
function providerRefFor(provider: PaymentProvider): string | null {
  if (provider === "wechatpay") return `wx${Date.now()}${alnum(20)}`;
  if (provider === "stripe" || provider === "sandbox") return `pi_${alnum(24)}`;
  return null;
}
export function transactionIdFor(provider: PaymentProvider): string {
  if (provider === "wechatpay") return `4200${Date.now()}${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
  if (provider === "alipay") return `2026${Date.now()}${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
  return `ch_${alnum(24)}`;
}

/** The local stand-in for the providers' servers (see the module comment). */
export function localClient(env: Env): ProviderClient {
  const db = getDb(env);
  /** Records what the provider would now know (once per ref); answers what it knows. */
  const record = (
    ref: string,
    provider: string,
    kind: "trade" | "refund" | "payout",
    amount: number,
    state: string,
    providerId: string,
    data: Record<string, unknown>,
  ) => {
    const now = Date.now();
    return putLocalRecord(db, { ref, provider, kind, amount, state, providerId, data, createdAt: now, updatedAt: now });
  };
  return {
    async prepay(req) {
      const providerRef = providerRefFor(req.provider);
      const row = await record(req.paymentId, req.provider, "trade", req.amount, "NOTPAY", providerRef ?? req.paymentId, {
        channel: req.channel,
        notifyUrl: req.notifyUrl,
        clientSecret: providerRef?.startsWith("pi_") ? `${providerRef}_secret_${alnum(24)}` : null,
      });
      const secret = row.data.clientSecret;
      // Native (QR) pay answers a code_url instead of a prepay_id, as WeChat Pay does.
      if (req.provider === "wechatpay" && req.channel === "native") {
        return { providerRef: null, codeUrl: `weixin://wxpay/bizpayurl?pr=${row.providerId.slice(-10)}` };
      }
      return { providerRef: providerRef === null ? null : row.providerId, clientSecret: typeof secret === "string" ? secret : undefined };
    },
    async queryPayment(_provider, paymentId) {
      const row = await getLocalRecord(db, paymentId);
      if (!row || row.state === "NOTPAY") return { state: "unpaid" };
      if (row.state === "CLOSED") return { state: "closed" };
      return { state: "paid", transactionId: String(row.data.transactionId ?? row.providerId), amount: row.amount };
    },
    async closePayment(_provider, paymentId) {
      const row = await getLocalRecord(db, paymentId);
      if (row?.state === "NOTPAY") await setLocalState(db, paymentId, "CLOSED");
    },
    async refund(req) {
      if (req.amount <= 0 || req.amount > req.paymentAmount) return { status: "failed", reason: "refund amount exceeds the payment" };
      // Alipay refunds synchronously and so does the sandbox; WeChat Pay and Stripe notify later.
      const sync = req.provider === "alipay" || req.provider === "sandbox";
      const providerId = req.provider === "stripe" || req.provider === "sandbox" ? `re_${alnum(24)}` : `50${Date.now()}${alnum(8)}`;
      const row = await record(req.refundId, req.provider, "refund", req.amount, sync ? "SUCCESS" : "PROCESSING", providerId, {
        paymentId: req.paymentId,
      });
      return localRefundState(row.state, row.providerId);
    },
    async queryRefund(_provider, refundId) {
      const row = await getLocalRecord(db, refundId);
      return row ? localRefundState(row.state, row.providerId) : null;
    },
    async payout(req) {
      const row = await record(req.withdrawalId, req.provider, "payout", req.amount, "SUCCESS", `po_${alnum(24)}`, {
        technicianId: req.technicianId,
      });
      return localPayoutState(row.state, row.providerId);
    },
    async queryPayout(_provider, withdrawalId) {
      const row = await getLocalRecord(db, withdrawalId);
      return row?.kind === "payout" ? localPayoutState(row.state, row.providerId) : null;
    },
  };
}

function localPayoutState(state: string, payoutRef: string): PayoutState {
  if (state === "SUCCESS") return { status: "succeeded", payoutRef };
  if (state === "PROCESSING") return { status: "processing", payoutRef };
  return { status: "failed", reason: `payout ${state.toLowerCase()} at the provider` };
}

function localRefundState(state: string, providerRefundId: string): RefundState {
  if (state === "SUCCESS") return { status: "succeeded", providerRefundId };
  if (state === "PROCESSING") return { status: "processing", providerRefundId };
  return { status: "failed", reason: `refund ${state.toLowerCase()} at the provider` };
}

/** One client per provider; providers without a live client keep `fallback`. */
function byProvider(live: Partial<Record<string, ProviderClient>>, fallback: ProviderClient): ProviderClient {
  const pick = (provider: string) => live[provider] ?? fallback;
  return {
    prepay: (req) => pick(req.provider).prepay(req),
    queryPayment: (provider, paymentId) => pick(provider).queryPayment(provider, paymentId),
    closePayment: (provider, paymentId) => pick(provider).closePayment(provider, paymentId),
    refund: (req) => pick(req.provider).refund(req),
    queryRefund: (provider, refundId, paymentId) => pick(provider).queryRefund(provider, refundId, paymentId),
    payout: (req) => pick(req.provider).payout(req),
    queryPayout: (provider, withdrawalId) => pick(provider).queryPayout(provider, withdrawalId),
  };
}

/**
 * The configured provider client (`PAYMENT_PROVIDER_CLIENT`): `local` keeps everything in D1;
 * `live` calls WeChat Pay API v3 for `wechatpay`, Alipay's gateway for `alipay` and Stripe's API for
 * `stripe`, and keeps the local client for the other providers.
 */
export function providerClient(env: Env): ProviderClient {
  switch (config(env).PAYMENT_PROVIDER_CLIENT) {
    case "local":
      return localClient(env);
    case "live":
      return byProvider({ wechatpay: wechatpayClient(env), alipay: alipayClient(env), stripe: stripeClient(env) }, localClient(env));
  }
}
