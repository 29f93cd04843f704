/**
 * A local fake of Alipay's OpenAPI gateway for the methods the live client uses. It keeps Alipay's
 * contract: it verifies every request's RSA2 signature with the app's public key and refuses a bad
 * one, and signs every answer with Alipay's private key over the exact text of `<method>_response`
 * (written with \u escapes, as a byte-exact signature must survive). Installed by replacing
 * `globalThis.fetch`: calls to GATEWAY reach the fake, everything else the real fetch.
 */
import { env } from "cloudflare:test";
import { routeFetch } from "./fetch-routes";
import { importPrivate, rsaSignB64, rsaVerifyB64 } from "./payments";

export const GATEWAY = "https://alipay.fake.test/gateway.do";
/** The env a live Alipay client runs with against the fake. */
export const alipayLiveEnv = (over: Partial<Record<string, string>> = {}) =>
  ({ ...env, PAYMENT_PROVIDER_CLIENT: "live", ALIPAY_GATEWAY_URL: GATEWAY, ...over }) as Env;

export type Answer = Record<string, unknown>;
interface Trade {
  tradeNo: string;
  total: string;
  status: "WAIT_BUYER_PAY" | "TRADE_SUCCESS" | "TRADE_CLOSED";
  refunded: number;
}

interface Transfer {
  orderId: string;
  amount: string;
  status: "SUCCESS" | "DEALING" | "FAIL";
  failReason?: string;
  name?: string;
}

export const fen = (yuan: string) => Math.round(Number(yuan) * 100);
export const yuan = (f: number) => `${Math.floor(f / 100)}.${String(f % 100).padStart(2, "0")}`;
export const OK = { code: "10000", msg: "Success" };
export const fail = (sub_code: string, sub_msg: string) => ({ code: "40004", msg: "Business Failed", sub_code, sub_msg });

/** Alipay's gateway as documented, for the methods the client uses. */
export class FakeAlipay {
  /** Methods beyond the trade, refund and transfer ones (a test adds what it needs). */
  methods: Record<string, (biz: Record<string, unknown>) => Answer> = {};
  trades = new Map<string, Trade>();
  refunds = new Map<string, { outTradeNo: string; amount: string }>();
  transfers = new Map<string, Transfer>();
  /** The status a new transfer answers with: SUCCESS at once, or DEALING (finished later with settleTransfer). */
  transferStatus: "SUCCESS" | "DEALING" = "SUCCESS";
  /** Never answer (until the caller gives up). */
  hang = false;
  calls: string[] = [];
  /** Changes the request on its way (a tampered request). */
  tamperRequest?: (body: string) => string;
  /** Changes the answer after it is signed (a tampered answer). */
  tamperAnswer?: (raw: string) => string;
  status = 200;

  /** The payer opened the cashier (`paid`: and paid). */
  open(outTradeNo: string, amount: number, paid = false) {
    this.trades.set(outTradeNo, {
      tradeNo: `2026120322001${Math.floor(Math.random() * 1e9)}`,
      total: yuan(amount),
      status: paid ? "TRADE_SUCCESS" : "WAIT_BUYER_PAY",
      refunded: 0,
    });
  }

  /** A transfer left DEALING reaches its final status. */
  settleTransfer(outBizNo: string, status: "SUCCESS" | "FAIL" = "SUCCESS", failReason?: string) {
    const t = this.transfers.get(outBizNo)!;
    t.status = status;
    t.failReason = failReason;
  }

  /** Routes fetch calls for GATEWAY to this fake until `uninstall`. */
  install(): this {
    this.restore = routeFetch([[GATEWAY, (req, signal) => this.handle(req, signal)]]);
    return this;
  }

  uninstall(): void {
    this.restore?.();
    this.restore = null;
  }

  private restore: (() => void) | null = null;

  async handle(req: Request, signal?: AbortSignal): Promise<Response> {
    if (this.hang) {
      return new Promise((_, reject) => {
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener("abort", () => reject(signal.reason));
      });
    }
    let body = new TextDecoder().decode(await req.arrayBuffer());
    if (this.tamperRequest) body = this.tamperRequest(body);
    if (this.status >= 500) return new Response("<html>Bad Gateway</html>", { status: this.status });
    const params = Object.fromEntries(new URLSearchParams(body));
    const method = params.method ?? "";
    this.calls.push(method);
    const signed = Object.keys(params)
      .filter((k) => k !== "sign" && params[k] !== "")
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join("&");
    const valid =
      req.method === "POST" &&
      (req.headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded") &&
      params.app_id === env.ALIPAY_APP_ID &&
      params.format === "JSON" &&
      params.charset === "utf-8" &&
      params.sign_type === "RSA2" &&
      params.version === "1.0" &&
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(params.timestamp ?? "") &&
      Math.abs(Date.parse(`${params.timestamp!.replace(" ", "T")}+08:00`) - Date.now()) < 10 * 60_000 &&
      (await rsaVerifyB64(env.TEST_ALIPAY_APP_PUBLIC_KEY, params.sign ?? "", signed).catch(() => false));
    if (!valid) {
      return this.answer("error_response", {
        code: "40002",
        msg: "Invalid Arguments",
        sub_code: "isv.invalid-signature",
        sub_msg: "验签出错",
      });
    }
    const biz = JSON.parse(params.biz_content ?? "{}") as Record<string, unknown>;
    return this.answer(`${method.replaceAll(".", "_")}_response`, this.dispatch(method, biz));
  }

  private dispatch(method: string, biz: Record<string, unknown>): Answer {
    const trade = this.trades.get(String(biz.out_trade_no));
    switch (method) {
      case "alipay.trade.query":
        if (!trade) return fail("ACQ.TRADE_NOT_EXIST", "交易不存在");
        return {
          ...OK,
          trade_no: trade.tradeNo,
          out_trade_no: biz.out_trade_no,
          buyer_logon_id: "159****5620",
          trade_status: trade.status,
          total_amount: trade.total,
          buyer_pay_amount: trade.status === "TRADE_SUCCESS" ? trade.total : "0.00",
        };
      case "alipay.trade.close":
        if (!trade) return fail("ACQ.TRADE_NOT_EXIST", "交易不存在");
        if (trade.status !== "WAIT_BUYER_PAY") return fail("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
        trade.status = "TRADE_CLOSED";
        return { ...OK, trade_no: trade.tradeNo, out_trade_no: biz.out_trade_no };
      case "alipay.trade.refund": {
        if (!trade) return fail("ACQ.TRADE_NOT_EXIST", "交易不存在");
        if (trade.status !== "TRADE_SUCCESS") return fail("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
        const out = String(biz.out_request_no);
        const again = this.refunds.has(out);
        if (!again) {
          const amount = fen(String(biz.refund_amount));
          if (!/^\d+\.\d{2}$/.test(String(biz.refund_amount)) || trade.refunded + amount > fen(trade.total)) {
            return fail("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限");
          }
          trade.refunded += amount;
          this.refunds.set(out, { outTradeNo: String(biz.out_trade_no), amount: String(biz.refund_amount) });
        }
        return {
          ...OK,
          trade_no: trade.tradeNo,
          out_trade_no: biz.out_trade_no,
          buyer_logon_id: "159****5620",
          fund_change: again ? "N" : "Y",
          refund_fee: yuan(trade.refunded),
          gmt_refund_pay: "2026-12-03 20:58:01",
        };
      }
      case "alipay.trade.fastpay.refund.query": {
        const refund = this.refunds.get(String(biz.out_request_no));
        if (!trade) return fail("ACQ.TRADE_NOT_EXIST", "交易不存在");
        // A refund Alipay does not know is answered without refund_status.
        if (!refund || refund.outTradeNo !== biz.out_trade_no) return { ...OK, out_trade_no: biz.out_trade_no };
        return {
          ...OK,
          trade_no: trade.tradeNo,
          out_trade_no: biz.out_trade_no,
          out_request_no: biz.out_request_no,
          total_amount: trade.total,
          refund_amount: refund.amount,
          refund_status: "REFUND_SUCCESS",
        };
      }
      case "alipay.fund.trans.uni.transfer": {
        const payee = biz.payee_info as { identity?: string; identity_type?: string; name?: string } | undefined;
        if (
          biz.product_code !== "TRANS_ACCOUNT_NO_PWD" ||
          biz.biz_scene !== "DIRECT_TRANSFER" ||
          !payee?.identity ||
          !payee.identity_type
        ) {
          return { code: "40004", msg: "Business Failed", sub_code: "INVALID_PARAMETER", sub_msg: "参数有误" };
        }
        if (payee.identity === "nobody@example.com") return fail("PAYEE_NOT_EXIST", "收款账号不存在");
        const out = String(biz.out_biz_no);
        // The same out_biz_no again answers the transfer made the first time (Alipay's idempotency).
        if (!this.transfers.has(out))
          this.transfers.set(out, {
            orderId: `20261203110070000006${this.transfers.size}`,
            amount: String(biz.trans_amount),
            status: this.transferStatus,
            name: payee.name,
          });
        const t = this.transfers.get(out)!;
        return {
          ...OK,
          out_biz_no: out,
          order_id: t.orderId,
          pay_fund_order_id: `${t.orderId}9`,
          status: t.status,
          trans_date: "2026-12-03 20:58:01",
        };
      }
      case "alipay.fund.trans.common.query": {
        const t = this.transfers.get(String(biz.out_biz_no));
        if (!t) return fail("ORDER_NOT_EXIST", "转账订单不存在");
        if (biz.product_code !== "TRANS_ACCOUNT_NO_PWD" || biz.biz_scene !== "DIRECT_TRANSFER") {
          return { code: "40004", msg: "Business Failed", sub_code: "INVALID_PARAMETER", sub_msg: "参数有误" };
        }
        return {
          ...OK,
          out_biz_no: biz.out_biz_no,
          order_id: t.orderId,
          status: t.status,
          trans_amount: t.amount,
          ...(t.status === "SUCCESS" ? { pay_date: "2026-12-03 20:58:01" } : {}),
          ...(t.failReason ? { fail_reason: t.failReason } : {}),
        };
      }
      default:
        return (
          this.methods[method]?.(biz) ?? {
            code: "40004",
            msg: "Business Failed",
            sub_code: "isv.invalid-method",
            sub_msg: "不存在的方法名",
          }
        );
    }
  }

  /** `{ "<key>": raw, "sign": … }`, the raw text with non-ASCII as \u escapes, signed as sent. */
  private async answer(key: string, value: Answer): Promise<Response> {
    const raw = JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    const sign = await rsaSignB64(await importPrivate(env.TEST_ALIPAY_PRIVATE_KEY), raw);
    const sent = this.tamperAnswer ? this.tamperAnswer(raw) : raw;
    return new Response(`{"${key}":${sent},"sign":"${sign}"}`, {
      status: this.status,
      headers: { "Content-Type": "text/html;charset=utf-8" },
    });
  }
}
