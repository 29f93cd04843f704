/**
 * The live WeChat Pay API v3 client (PAYMENT_PROVIDER_CLIENT=live): prepay (JSAPI, APP, Native),
 * query and close by out_trade_no, domestic refunds, and payouts by merchant transfer (商家转账):
 * a transfer bill per withdrawal (out_bill_no), queried until final, the payee's real name
 * encrypted (RSA-OAEP) on transfers of ¥2,000 or more.
 *
 * Every request is signed `WECHATPAY2-SHA256-RSA2048` with the merchant API private key over
 * `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`; every answer's signature is checked with the platform key
 * of the serial it names (WECHATPAY_PUBLIC_KEYS, as for notifications) before anything in it is
 * believed. A timeout, a 5xx, an unsigned or badly signed answer throws `ProviderError`: the caller
 * records nothing, and the work is tried again later (reconciliation).
 */
import { config } from "../config";
import type { PaymentProvider } from "../domain/money";
import { randomToken } from "../lib/encoding";
import { rsaOaepEncrypt, rsaPrivateKey, rsaSign } from "../lib/provider-crypto";
import { verifyWechatSignature } from "../lib/wechatpay-signature";
import { ProviderError } from "./provider-error";
import type { PayoutState, PrepayRequest, Prepared, ProviderClient, RefundState, TradeState } from "./payment-provider";

export { ProviderError };

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
}

const nonce = () =>
  randomToken(24)
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, 32)
    .padEnd(32, "0");

/** Merchant bill numbers (out_bill_no) may hold only letters and digits: our ids without the `_`. */
export const outBillNo = (withdrawalId: string) => withdrawalId.replace(/[^A-Za-z0-9]/g, "");

/** Trims to at most `max` characters (WeChat Pay's limits on descriptions and remarks). */
const cut = (s: string, max: number) => Array.from(s).slice(0, max).join("");

/** The signed HTTP calls, answers verified. */
export function wechatpayApi(env: Env) {
  const cfg = config(env);
  const base = cfg.WECHATPAY_API_BASE.replace(/\/+$/, "");

  /** The `WECHATPAY2-SHA256-RSA2048` Authorization of a request: `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` signed. */
  async function authorize(method: "GET" | "POST", url: URL, body: string): Promise<string> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonceStr = nonce();
    const key = await rsaPrivateKey(cfg.WECHATPAY_MERCHANT_PRIVATE_KEY);
    if (!key) throw new ProviderError("wechatpay: WECHATPAY_MERCHANT_PRIVATE_KEY is not a PKCS#8 RSA key", false);
    const signature = await rsaSign(key, `${method}\n${url.pathname}${url.search}\n${timestamp}\n${nonceStr}\n${body}\n`);
    return (
      `WECHATPAY2-SHA256-RSA2048 mchid="${cfg.WECHATPAY_MCHID}",nonce_str="${nonceStr}",` +
      `signature="${signature}",timestamp="${timestamp}",serial_no="${cfg.WECHATPAY_MERCHANT_SERIAL}"`
    );
  }

  /** A failed exchange: a timeout or a refused connection, both worth trying again. */
  function unreachable(what: string, err: unknown): ProviderError {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return new ProviderError(`${what} ${timedOut ? `timed out after ${cfg.WECHATPAY_TIMEOUT_MS} ms` : `failed: ${String(err)}`}`, true);
  }

  async function call(method: "GET" | "POST", path: string, payload?: unknown, extraHeaders: Record<string, string> = {}): Promise<Answer> {
    const url = new URL(base + path);
    const body = payload === undefined ? "" : JSON.stringify(payload);
    const authorization = await authorize(method, url, body);
    const what = `wechatpay: ${method} ${url.pathname}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: {
          Authorization: authorization,
          Accept: "application/json",
          "User-Agent": "Doorstep/1.0",
          ...(payload === undefined ? {} : { "Content-Type": "application/json" }),
          ...extraHeaders,
        },
        body: payload === undefined ? undefined : body,
        signal: AbortSignal.timeout(cfg.WECHATPAY_TIMEOUT_MS),
      });
      text = await res.text();
    } catch (err) {
      throw unreachable(what, err);
    }
    if (res.status >= 500) throw new ProviderError(`${what} answered ${res.status}`, true, res.status);
    // Nothing in an answer is believed before its signature is checked, error answers included.
    const verified = await verifyWechatSignature((name) => res.headers.get(name), text, cfg.WECHATPAY_PUBLIC_KEYS, Date.now(), {
      requireType: false,
    });
    if (!verified.ok) throw new ProviderError(`${what}: answer refused (${verified.reason})`, true, res.status);
    let parsed: unknown = null;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ProviderError(`${what}: answer is not JSON`, true, res.status);
      }
    }
    return { status: res.status, body: isObject(parsed) ? parsed : null };
  }

  /** A 4xx the operation does not expect: the request itself was refused. */
  function refused(what: string, a: Answer): ProviderError {
    const code = typeof a.body?.code === "string" ? a.body.code : null;
    const message = typeof a.body?.message === "string" ? a.body.message : "";
    const why = [a.status, code, message].filter(Boolean).join(" ");
    // Too many requests (429 FREQUENCY_LIMITED) is worth trying again; other 4xx refuse the request itself.
    return new ProviderError(`wechatpay: ${what} refused (${why})`, a.status === 429, a.status, code);
  }

  return { call, refused, authorize, unreachable, base, cfg };
}

/** The trade states of WeChat Pay mapped onto ours. */
function tradeState(body: Record<string, unknown>): TradeState {
  const state = body.trade_state;
  if (state === "SUCCESS" || state === "REFUND") {
    const amount = isObject(body.amount) ? body.amount.total : undefined;
    if (typeof body.transaction_id !== "string" || typeof amount !== "number") {
      throw new ProviderError("wechatpay: paid trade without transaction_id or amount", true);
    }
    return { state: "paid", transactionId: body.transaction_id, amount };
  }
  if (state === "NOTPAY" || state === "USERPAYING") return { state: "unpaid" };
  if (state === "CLOSED" || state === "REVOKED" || state === "PAYERROR") return { state: "closed" };
  throw new ProviderError(`wechatpay: unknown trade_state ${String(state)}`, true);
}

/**
 * A refund is processing until WeChat Pay says SUCCESS. CLOSED and ABNORMAL (the payer's account
 * cannot take it) are refusals, as the REFUND.CLOSED / REFUND.ABNORMAL notifications are.
 */
function refundState(body: Record<string, unknown>): RefundState {
  const id = typeof body.refund_id === "string" ? body.refund_id : "";
  if (!id) throw new ProviderError("wechatpay: refund answer without refund_id", true);
  if (body.status === "SUCCESS") return { status: "succeeded", providerRefundId: id };
  if (body.status === "CLOSED" || body.status === "ABNORMAL") {
    return { status: "failed", reason: `refund ${String(body.status).toLowerCase()} at the provider` };
  }
  if (body.status === "PROCESSING") return { status: "processing", providerRefundId: id };
  throw new ProviderError(`wechatpay: unknown refund status ${String(body.status)}`, true);
}

const TRANSFER_PENDING = new Set(["ACCEPTED", "PROCESSING", "WAIT_USER_CONFIRM", "TRANSFERING", "CANCELING"]);

/**
 * A transfer bill's state (an answer or a MCHTRANSFER.BILL.FINISHED notification) mapped onto ours:
 * only SUCCESS is paid; FAIL and CANCELLED failed, with WeChat Pay's fail_reason; the states on
 * the way (ACCEPTED, PROCESSING, WAIT_USER_CONFIRM, TRANSFERING, CANCELING) processing; with
 * WAIT_USER_CONFIRM its package_info, which the payee's app hands to wx.requestMerchantTransfer.
 */
export function transferState(body: Record<string, unknown>): PayoutState {
  const ref = typeof body.transfer_bill_no === "string" ? body.transfer_bill_no : "";
  if (body.state === "SUCCESS") return { status: "succeeded", payoutRef: ref };
  if (body.state === "FAIL" || body.state === "CANCELLED") {
    return { status: "failed", reason: `transfer ${String(body.state).toLowerCase()}: ${String(body.fail_reason ?? "no reason given")}` };
  }
  if (body.state === "WAIT_USER_CONFIRM" && typeof body.package_info === "string" && body.package_info) {
    return { status: "processing", payoutRef: ref, confirmPackage: body.package_info };
  }
  if (typeof body.state === "string" && TRANSFER_PENDING.has(body.state)) return { status: "processing", payoutRef: ref };
  throw new ProviderError(`wechatpay: unknown transfer state ${String(body.state)}`, true);
}

/** WeChat Pay requires the payee's real name (user_name) on transfers of ¥2,000 (200000 分) or more. */
export const TRANSFER_NAME_FROM = 200_000;

const PREPAY_PATHS: Record<string, string> = {
  jsapi: "/v3/pay/transactions/jsapi",
  app: "/v3/pay/transactions/app",
  native: "/v3/pay/transactions/native",
};

/** The live client for WeChat Pay; other providers must not be routed here. */
export function wechatpayClient(env: Env): ProviderClient {
  const { call, refused, cfg } = wechatpayApi(env);
  const tradePath = (paymentId: string) => `/v3/pay/transactions/out-trade-no/${encodeURIComponent(paymentId)}`;
  const billPath = (withdrawalId: string) => `/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/${outBillNo(withdrawalId)}`;

  async function queryTransfer(withdrawalId: string): Promise<PayoutState | null> {
    const a = await call("GET", billPath(withdrawalId));
    if (a.status === 404) return null;
    if (a.status !== 200 || !a.body) throw refused("transfer query", a);
    if (a.body.out_bill_no !== outBillNo(withdrawalId)) throw new ProviderError("wechatpay: transfer query answered another bill", true);
    return transferState(a.body);
  }

  /** The payee's name encrypted with the WeChat Pay key of WECHATPAY_ENCRYPT_SERIAL, and that serial. */
  async function encryptedName(name: string): Promise<{ serial: string; userName: string }> {
    const serial = cfg.WECHATPAY_ENCRYPT_SERIAL || Object.keys(cfg.WECHATPAY_PUBLIC_KEYS)[0] || "";
    const pem = cfg.WECHATPAY_PUBLIC_KEYS[serial];
    const userName = pem ? await rsaOaepEncrypt(pem, name) : null;
    if (!userName) throw new ProviderError(`wechatpay: no public key for serial ${serial || "(none)"} to encrypt user_name`, false);
    return { serial, userName };
  }

  return {
    async prepay(req: PrepayRequest): Promise<Prepared> {
      const path = PREPAY_PATHS[req.channel];
      if (!path) throw new ProviderError(`wechatpay: no prepay for channel ${req.channel}`, false);
      if (req.channel === "jsapi" && !req.payerOpenId) throw new ProviderError("wechatpay: JSAPI prepay needs the payer's openid", false);
      const a = await call("POST", path, {
        appid: cfg.WECHATPAY_APPID,
        mchid: cfg.WECHATPAY_MCHID,
        description: cut(req.description, 127),
        out_trade_no: req.paymentId,
        notify_url: req.notifyUrl,
        amount: { total: req.amount, currency: req.currency.toUpperCase() },
        ...(req.channel === "jsapi" ? { payer: { openid: req.payerOpenId } } : {}),
      });
      if (a.status !== 200 || !a.body) throw refused("prepay", a);
      if (req.channel === "native") {
        if (typeof a.body.code_url !== "string") throw new ProviderError("wechatpay: native prepay without code_url", true);
        return { providerRef: null, codeUrl: a.body.code_url };
      }
      if (typeof a.body.prepay_id !== "string") throw new ProviderError("wechatpay: prepay without prepay_id", true);
      return { providerRef: a.body.prepay_id };
    },

    async queryPayment(_provider: PaymentProvider, paymentId: string): Promise<TradeState> {
      const a = await call("GET", `${tradePath(paymentId)}?mchid=${encodeURIComponent(cfg.WECHATPAY_MCHID)}`);
      // Never created there (the prepay failed): it cannot be paid.
      if (a.status === 404) return { state: "unpaid" };
      if (a.status !== 200 || !a.body) throw refused("trade query", a);
      if (a.body.out_trade_no !== paymentId) throw new ProviderError("wechatpay: trade query answered another trade", true);
      return tradeState(a.body);
    },

    async closePayment(_provider: PaymentProvider, paymentId: string): Promise<void> {
      const a = await call("POST", `${tradePath(paymentId)}/close`, { mchid: cfg.WECHATPAY_MCHID });
      if (a.status === 204 || a.status === 200) return;
      // Already paid, already closed or never created: the caller asks for the state next.
      const code = a.body?.code;
      if (code === "ORDERPAID" || code === "ORDER_CLOSED" || code === "ORDER_NOT_EXIST" || a.status === 404) return;
      throw refused("close", a);
    },

    async refund(req): Promise<RefundState> {
      if (req.amount <= 0 || req.amount > req.paymentAmount) return { status: "failed", reason: "refund amount exceeds the payment" };
      const currency = req.currency.toUpperCase();
      const a = await call("POST", "/v3/refund/domestic/refunds", {
        ...(req.providerTxnId ? { transaction_id: req.providerTxnId } : { out_trade_no: req.paymentId }),
        out_refund_no: req.refundId,
        reason: cut(req.reason, 80),
        amount: { refund: req.amount, total: req.paymentAmount, currency },
      });
      if (a.status !== 200 || !a.body) throw refused("refund", a);
      return refundState(a.body);
    },

    async queryRefund(_provider: PaymentProvider, refundId: string): Promise<RefundState | null> {
      const a = await call("GET", `/v3/refund/domestic/refunds/${encodeURIComponent(refundId)}`);
      if (a.status === 404) return null;
      if (a.status !== 200 || !a.body) throw refused("refund query", a);
      return refundState(a.body);
    },

    async payout(req): Promise<PayoutState> {
      // Asked again (reconciliation), the bill made the first time answers: one transfer per withdrawal.
      const known = await queryTransfer(req.withdrawalId);
      if (known) return known;
      if (!req.payeeOpenId) return { status: "failed", reason: "the technician has no WeChat openid for transfers" };
      let named: { serial: string; userName: string } | null = null;
      if (req.amount >= TRANSFER_NAME_FROM) {
        if (!req.payeeName) return { status: "failed", reason: "transfers of ¥2,000 or more need the payee's real name" };
        named = await encryptedName(req.payeeName);
      }
      const a = await call(
        "POST",
        "/v3/fund-app/mch-transfer/transfer-bills",
        {
          appid: cfg.WECHATPAY_APPID,
          out_bill_no: outBillNo(req.withdrawalId),
          // 1005: 佣金报酬 (pay for work done), with the two report items that scene requires.
          transfer_scene_id: "1005",
          openid: req.payeeOpenId,
          ...(named ? { user_name: named.userName } : {}),
          transfer_amount: req.amount,
          transfer_remark: "技师服务收入提现",
          ...(req.notifyUrl ? { notify_url: req.notifyUrl } : {}),
          transfer_scene_report_infos: [
            { info_type: "岗位类型", info_content: "上门服务技师" },
            { info_type: "报酬说明", info_content: "服务收入提现" },
          ],
        },
        // The serial names the key user_name is encrypted with.
        named ? { "Wechatpay-Serial": named.serial } : {},
      );
      if (a.status !== 200 || !a.body) throw refused("transfer", a);
      return transferState(a.body);
    },

    queryPayout(_provider: string, withdrawalId: string): Promise<PayoutState | null> {
      return queryTransfer(withdrawalId);
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
