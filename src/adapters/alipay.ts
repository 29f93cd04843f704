/**
 * Alipay's OpenAPI (RSA2) behind the ProviderClient interface: trade query, close, refund, refund
 * query, and payouts to Alipay accounts (alipay.fund.trans.uni.transfer / common.query).
 *
 * Requests: the common parameters plus `biz_content` (JSON), signed RSASSA-PKCS1-v1_5 / SHA-256 with
 * the app private key over the sorted `k=v&…` string of every non-empty parameter but `sign`, and
 * POSTed form-encoded to ALIPAY_GATEWAY_URL. Answers: `{ "<method>_response": {…}, "sign": "…" }`;
 * `sign` is verified with Alipay's public key over the response value exactly as it appears in the
 * body before anything in it is believed.
 *
 * A timeout, a 5xx, an unverifiable answer or an Alipay system error throws `AlipayUnavailableError`:
 * nothing is recorded, and the money services try again on their next pass. A business refusal
 * (say, the payee's account does not exist) is an answer: the refund or payout failed.
 */
import { ProviderError } from "./provider-error";
import { config } from "../config";
import { getDb } from "../db/client";
import { findRefund } from "../db/repositories/payments.repo";
import { fenToYuan, yuanToFen } from "../domain/money";
import { rsaPrivateKey, rsaPublicKey, rsaSign, rsaVerify } from "../lib/provider-crypto";
import type { PayoutState, ProviderClient, RefundState, TradeState } from "./payment-provider";

/** Alipay could not be asked, or its answer cannot be trusted: try again later. */
export class AlipayUnavailableError extends ProviderError {
  constructor(
    readonly method: string,
    reason: string,
  ) {
    super(`alipay ${method}: ${reason}`, true);
    this.name = "AlipayUnavailableError";
  }
}

/** A verified answer: `code` "10000" is success; otherwise `sub_code` says why. */
export type AlipayAnswer = Record<string, unknown> & { code: string; sub_code?: string; sub_msg?: string };

/** The string a request signs: non-empty parameters but `sign`, sorted by key (code units), `k=v` joined by `&`. */
function signedString(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== "sign" && params[k] !== "")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${params[k]}`)
    .join("&");
}

/** Alipay's timestamp: `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8, no daylight saving). */
function beijingTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
}

/** The common parameters of a request, `sign` included. */
async function signedParams(env: Env, method: string, biz: Record<string, unknown>, extra: Record<string, string> = {}, now = Date.now()) {
  const cfg = config(env);
  const params: Record<string, string> = {
    app_id: cfg.ALIPAY_APP_ID,
    method,
    format: "JSON",
    charset: "utf-8",
    sign_type: "RSA2",
    timestamp: beijingTime(now),
    version: "1.0",
    ...extra,
    biz_content: JSON.stringify(biz),
  };
  const key = await rsaPrivateKey(cfg.ALIPAY_APP_PRIVATE_KEY);
  if (!key) throw new AlipayUnavailableError(method, "ALIPAY_APP_PRIVATE_KEY is not a PKCS#8 RSA key");
  return { ...params, sign: await rsaSign(key, signedString(params)) };
}

/**
 * The raw JSON text of the value of top-level `key` in `body`, exactly as sent (Alipay signs these
 * bytes, so the value must not be re-serialised); null when it is not there.
 */
export function rawJsonValue(body: string, key: string): string | null {
  let depth = 0;
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    if (ch === '"') {
      const end = stringEnd(body, i);
      if (end < 0) return null;
      let j = end + 1;
      while (/\s/.test(body[j] ?? "")) j++;
      // A member name of the outermost object (a string followed by ":"), not a value.
      if (depth === 1 && body[j] === ":" && JSON.parse(body.slice(i, end + 1)) === key) {
        j++;
        while (/\s/.test(body[j] ?? "")) j++;
        const stop = valueEnd(body, j);
        return stop < 0 ? null : body.slice(j, stop);
      }
      i = end + 1;
      continue;
    }
    if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") depth--;
    i++;
  }
  return null;
}

/** Index of the closing quote of the string opening at `start`; -1 when unterminated. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** Index just past the JSON value starting at `start`; -1 when it does not end. */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      i = stringEnd(text, i);
      if (i < 0) return -1;
      if (depth === 0) return i + 1;
    } else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) return i + 1;
      if (depth < 0) return -1;
    } else if (depth === 0 && (ch === "," || ch === "}")) return i;
  }
  return depth === 0 ? text.length : -1;
}

/** Calls `method` and returns its verified answer; throws AlipayUnavailableError (see the module comment). */
export async function alipayCall(env: Env, method: string, biz: Record<string, unknown>): Promise<AlipayAnswer> {
  const cfg = config(env);
  const params = await signedParams(env, method, biz);
  let res: Response;
  try {
    res = await fetch(cfg.ALIPAY_GATEWAY_URL, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded;charset=utf-8" },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(cfg.ALIPAY_TIMEOUT_MS),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new AlipayUnavailableError(method, timedOut ? `timed out after ${cfg.ALIPAY_TIMEOUT_MS} ms` : `no answer (${String(err)})`);
  }
  const body = await res.text().catch(() => "");
  if (!res.ok) throw new AlipayUnavailableError(method, `HTTP ${res.status}`);
  const responseKey = `${method.replaceAll(".", "_")}_response`;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new AlipayUnavailableError(method, "answer is not JSON");
  }
  // A gateway-level refusal (bad app id, our signature refused) comes as error_response.
  const raw = rawJsonValue(body, responseKey) ?? rawJsonValue(body, "error_response");
  const sign = parsed.sign;
  if (raw === null || typeof sign !== "string" || sign === "") {
    throw new AlipayUnavailableError(method, `unsigned or malformed answer${subCodeOf(parsed)}`);
  }
  const key = await rsaPublicKey(cfg.ALIPAY_PUBLIC_KEY);
  if (!key) throw new AlipayUnavailableError(method, "ALIPAY_PUBLIC_KEY is not an SPKI RSA key");
  if (!(await rsaVerify(key, sign, raw))) throw new AlipayUnavailableError(method, "answer signature invalid");
  const answer = JSON.parse(raw) as AlipayAnswer;
  if (typeof answer.code !== "string") throw new AlipayUnavailableError(method, "answer without code");
  if (answer.code !== "10000" && isSystemError(answer)) {
    throw new AlipayUnavailableError(method, `${answer.code} ${answer.sub_code ?? ""} ${answer.sub_msg ?? answer.msg ?? ""}`.trim());
  }
  return answer;
}

function subCodeOf(parsed: Record<string, unknown>): string {
  const err = parsed.error_response as { sub_code?: unknown } | undefined;
  return typeof err?.sub_code === "string" ? ` (${err.sub_code})` : "";
}

/** Errors worth asking again about: service unavailable, Alipay's own faults, the gateway refusing our call. */
function isSystemError(a: AlipayAnswer): boolean {
  const sub = a.sub_code ?? "";
  // "No bill for that day" is an answer about the bill, not a fault of Alipay's.
  if (sub === "isp.bill_not_exist") return false;
  return (
    a.code === "20000" ||
    a.code === "20001" ||
    a.code === "40001" ||
    a.code === "40002" ||
    a.code === "40006" ||
    sub.startsWith("isp.") ||
    sub.startsWith("aop.") ||
    /SYSTEM_ERROR$/.test(sub)
  );
}

export const reasonOf = (a: AlipayAnswer) => `${a.sub_code ?? a.code}: ${a.sub_msg ?? String(a.msg ?? "")}`.trim();

const TRANSFER = { product_code: "TRANS_ACCOUNT_NO_PWD", biz_scene: "DIRECT_TRANSFER" } as const;

function payoutStateOf(method: string, a: AlipayAnswer): PayoutState {
  const ref = String(a.order_id ?? a.pay_fund_order_id ?? a.out_biz_no ?? "");
  switch (a.status) {
    case "SUCCESS":
      return { status: "succeeded", payoutRef: ref };
    case "DEALING":
    case "WAIT_PAY":
    case "INIT":
      return { status: "processing", payoutRef: ref };
    case "FAIL":
    case "REFUND":
    case "CLOSED":
      return {
        status: "failed",
        reason: `payout ${String(a.status).toLowerCase()}: ${String(a.fail_reason ?? a.error_code ?? "")}`.trim(),
      };
    default:
      throw new AlipayUnavailableError(method, `unknown transfer status ${String(a.status)}`);
  }
}

/** What Alipay knows of payout `withdrawalId` (alipay.fund.trans.common.query); null when it has none. */
export async function queryAlipayPayout(env: Env, withdrawalId: string): Promise<PayoutState | null> {
  const method = "alipay.fund.trans.common.query";
  const a = await alipayCall(env, method, { out_biz_no: withdrawalId, ...TRANSFER });
  if (a.code !== "10000") {
    if (a.sub_code === "ORDER_NOT_EXIST") return null;
    throw new AlipayUnavailableError(method, reasonOf(a));
  }
  return payoutStateOf(method, a);
}

/**
 * The signed URL that opens Alipay's cashier in a browser: `alipay.trade.wap.pay` (phone browsers)
 * or `alipay.trade.page.pay` (desktop). Alipay creates the trade when the payer opens it.
 */
export async function alipayPayUrl(
  env: Env,
  p: { kind: "wap" | "page"; paymentId: string; amount: number; subject: string; notifyUrl: string; returnUrl?: string; now?: number },
): Promise<string> {
  const method = p.kind === "wap" ? "alipay.trade.wap.pay" : "alipay.trade.page.pay";
  const params = await signedParams(
    env,
    method,
    {
      out_trade_no: p.paymentId,
      total_amount: fenToYuan(p.amount),
      subject: p.subject,
      product_code: p.kind === "wap" ? "QUICK_WAP_WAY" : "FAST_INSTANT_TRADE_PAY",
    },
    { notify_url: p.notifyUrl, ...(p.returnUrl ? { return_url: p.returnUrl } : {}) },
    p.now,
  );
  return `${config(env).ALIPAY_GATEWAY_URL}?${new URLSearchParams(params).toString()}`;
}

/** The live Alipay client (PAYMENT_PROVIDER_CLIENT=live, provider `alipay`). */
export function alipayClient(env: Env): ProviderClient {
  return {
    // App pay needs no call: the app hands Alipay the order string signed in clientParams, and
    // Alipay creates the trade when the payer confirms.
    prepay() {
      return Promise.resolve({ providerRef: null });
    },

    async queryPayment(_provider, paymentId): Promise<TradeState> {
      const method = "alipay.trade.query";
      const a = await alipayCall(env, method, { out_trade_no: paymentId });
      if (a.code !== "10000") {
        // The trade exists only once the payer has opened the cashier.
        if (a.sub_code === "ACQ.TRADE_NOT_EXIST") return { state: "unpaid" };
        throw new AlipayUnavailableError(method, reasonOf(a));
      }
      switch (a.trade_status) {
        case "WAIT_BUYER_PAY":
          return { state: "unpaid" };
        case "TRADE_CLOSED":
          return { state: "closed" };
        case "TRADE_SUCCESS":
        case "TRADE_FINISHED": {
          const amount = yuanToFen(String(a.total_amount ?? ""));
          if (amount === null || typeof a.trade_no !== "string")
            throw new AlipayUnavailableError(method, "paid trade without amount or trade_no");
          return { state: "paid", transactionId: a.trade_no, amount };
        }
        default:
          throw new AlipayUnavailableError(method, `unknown trade_status ${String(a.trade_status)}`);
      }
    },

    async closePayment(_provider, paymentId) {
      const method = "alipay.trade.close";
      const a = await alipayCall(env, method, { out_trade_no: paymentId });
      // Never opened, or no longer open (closed or paid): the caller asks again which.
      if (a.code === "10000" || a.sub_code === "ACQ.TRADE_NOT_EXIST" || a.sub_code === "ACQ.TRADE_STATUS_ERROR") return;
      throw new AlipayUnavailableError(method, reasonOf(a));
    },

    async refund(req): Promise<RefundState> {
      const a = await alipayCall(env, "alipay.trade.refund", {
        out_trade_no: req.paymentId,
        ...(req.providerTxnId ? { trade_no: req.providerTxnId } : {}),
        refund_amount: fenToYuan(req.amount),
        out_request_no: req.refundId,
        ...(req.reason ? { refund_reason: req.reason.slice(0, 256) } : {}),
      });
      if (a.code !== "10000") return { status: "failed", reason: reasonOf(a) };
      const providerRefundId = String(a.trade_no ?? req.providerTxnId ?? req.refundId);
      // fund_change "N": this call moved no money (e.g. a repeat); the refund query says whether it is done.
      return a.fund_change === "Y" ? { status: "succeeded", providerRefundId } : { status: "processing", providerRefundId };
    },

    async queryRefund(_provider, refundId, paymentId): Promise<RefundState | null> {
      const method = "alipay.trade.fastpay.refund.query";
      const outTradeNo = paymentId ?? (await findRefund(getDb(env), refundId))?.paymentId;
      if (!outTradeNo) return null;
      const a = await alipayCall(env, method, { out_trade_no: outTradeNo, out_request_no: refundId });
      if (a.code !== "10000") {
        if (a.sub_code === "ACQ.TRADE_NOT_EXIST") return null;
        throw new AlipayUnavailableError(method, reasonOf(a));
      }
      // Without REFUND_SUCCESS the refund is not done (or unknown to Alipay): not an answer yet.
      if (a.refund_status !== "REFUND_SUCCESS") return null;
      return { status: "succeeded", providerRefundId: String(a.trade_no ?? refundId) };
    },

    async payout(req): Promise<PayoutState> {
      const method = "alipay.fund.trans.uni.transfer";
      if (!req.payee) return { status: "failed", reason: "no Alipay account on file for the payee" };
      if (req.currency !== "CNY") return { status: "failed", reason: `Alipay pays out CNY, not ${req.currency}` };
      const a = await alipayCall(env, method, {
        out_biz_no: req.withdrawalId,
        trans_amount: fenToYuan(req.amount),
        ...TRANSFER,
        order_title: "Doorstep withdrawal",
        payee_info: {
          identity: req.payee.identity,
          identity_type: req.payee.identityType,
          ...(req.payee.name ? { name: req.payee.name } : {}),
        },
      });
      if (a.code !== "10000") return { status: "failed", reason: reasonOf(a) };
      return payoutStateOf(method, a);
    },

    queryPayout(_provider, withdrawalId) {
      return queryAlipayPayout(env, withdrawalId);
    },
  };
}
