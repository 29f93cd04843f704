/**
 * A local fake of the WeChat Pay API v3 servers for the endpoints the live client uses, keeping
 * their documented HTTP contract: it checks every request's `WECHATPAY2-SHA256-RSA2048`
 * Authorization with the merchant's public key (401 SIGN_ERROR otherwise) and signs every answer
 * with a platform private key, as WeChat Pay does. Merchant transfers of ¥2,000 or more must carry
 * the payee's name encrypted for a platform key (decrypted here with its private half), and a
 * final transfer can be reported by a signed, encrypted MCHTRANSFER.BILL.FINISHED notification. Installed by replacing `globalThis.fetch`: calls
 * to its base URL reach the fake, everything else the real fetch.
 */
import { env } from "cloudflare:test";
import { fromBase64 } from "../../src/lib/encoding";
import { pemToDer } from "../../src/lib/provider-crypto";
import { routeFetch } from "./fetch-routes";
import { importPrivate, rsaSignB64, rsaVerifyB64, wechatNotification, type WechatOptions } from "./payments";

export const FAKE_BASE = "https://wechatpay.fake.test";
export const MERCHANT_SERIAL = "3775B6A45ACD588826D15E583A95F5DD5A9C7B21";
/** The platform serial the fake signs with (one of the two the Worker knows). */
export const PLATFORM_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";

/** The env a live WeChat Pay client runs with against the fake. */
export function liveEnv(over: Partial<Record<string, string>> = {}): Env {
  return {
    ...env,
    PAYMENT_PROVIDER_CLIENT: "live",
    WECHATPAY_API_BASE: FAKE_BASE,
    WECHATPAY_MERCHANT_SERIAL: MERCHANT_SERIAL,
    ...over,
  } as Env;
}

interface Trade {
  out_trade_no: string;
  trade_type: string;
  trade_state: string;
  amount: number;
  transaction_id?: string;
  prepay_id?: string;
  openid?: string;
}
interface Refund {
  refund_id: string;
  out_refund_no: string;
  out_trade_no: string;
  status: string;
  amount: number;
}
interface Bill {
  out_bill_no: string;
  transfer_bill_no: string;
  state: string;
  amount: number;
  openid: string;
  /** user_name as the fake decrypted it with the platform private key of the request's Wechatpay-Serial. */
  user_name?: string;
  notify_url?: string;
  fail_reason?: string;
}

export interface Seen {
  method: string;
  path: string;
  authorization: string;
  body: string;
  status: number;
}

/** What to do to the next answers (test-controlled faults). */
export interface Faults {
  /** Answer 500 SYSTEM_ERROR. */
  serverError?: boolean;
  /** Answer 500 SYSTEM_ERROR to requests whose path contains this. */
  serverErrorFor?: string;
  /** Never answer (until the caller gives up). */
  hang?: boolean;
  /** Change the body after signing it. */
  tamperAnswer?: boolean;
  /** Sign the answer with a key that is not the platform's. */
  signWith?: CryptoKey;
  /** The trade bill is still being made (STATEMENT_CREATING). */
  billCreating?: boolean;
  /** Serve a bill file changed after its hash was given. */
  tamperBillFile?: boolean;
}

const AUTH = /^WECHATPAY2-SHA256-RSA2048 (.+)$/;

export class WechatPayFake {
  trades = new Map<string, Trade>();
  refunds = new Map<string, Refund>();
  bills = new Map<string, Bill>();
  /** The state a new transfer bill answers with; WAIT_USER_CONFIRM carries package_info. */
  newBillState: "ACCEPTED" | "WAIT_USER_CONFIRM" = "ACCEPTED";
  /** A business refusal of new transfers (e.g. 403 NOT_ENOUGH), signed like any answer. */
  refuseTransfer: { status: number; code: string; message: string } | null = null;
  /** Trade bills by bill_date: the file's text and its SHA1 (hex). */
  tradeBills = new Map<string, { text: string; sha1: string }>();
  private downloads = new Map<string, { text: string; gzip: boolean }>();
  seen: Seen[] = [];
  faults: Faults = {};
  private restore: (() => void) | null = null;

  /** Routes fetch calls for FAKE_BASE to this fake until `uninstall`. */
  install(): this {
    this.restore = routeFetch([[`${FAKE_BASE}/`, (req, signal) => this.handle(req, signal)]]);
    return this;
  }

  uninstall(): void {
    this.restore?.();
    this.restore = null;
  }

  /** The payer pays trade `outTradeNo`. */
  pay(outTradeNo: string): string {
    const t = this.trades.get(outTradeNo)!;
    t.trade_state = "SUCCESS";
    t.transaction_id = `4200002${Date.now()}`;
    return t.transaction_id;
  }

  /** The trade bill WeChat Pay will hand out for `billDate`. */
  async setTradeBill(billDate: string, text: string): Promise<void> {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text)));
    this.tradeBills.set(billDate, { text, sha1: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") });
  }

  settleRefund(outRefundNo: string, status = "SUCCESS"): void {
    this.refunds.get(outRefundNo)!.status = status;
  }

  settleBill(outBillNo: string, state = "SUCCESS", failReason?: string): void {
    const bill = this.bills.get(outBillNo)!;
    bill.state = state;
    if (failReason) bill.fail_reason = failReason;
  }

  /**
   * The MCHTRANSFER.BILL.FINISHED notification WeChat Pay posts to the bill's notify_url once it is
   * final: resource encrypted with the APIv3 key, body signed with the platform key.
   */
  transferNotification(outBillNo: string, o: WechatOptions = {}) {
    const bill = this.bills.get(outBillNo)!;
    return wechatNotification(
      {
        mchid: env.WECHATPAY_MCHID,
        out_bill_no: bill.out_bill_no,
        transfer_bill_no: bill.transfer_bill_no,
        state: bill.state,
        transfer_amount: bill.amount,
        openid: bill.openid,
        ...(bill.fail_reason ? { fail_reason: bill.fail_reason } : {}),
        create_time: "2026-11-20T13:29:35.120+08:00",
        update_time: "2026-11-20T13:31:02.000+08:00",
      },
      { eventType: "MCHTRANSFER.BILL.FINISHED", originalType: "mch_payment", associatedData: "mch_payment", ...o },
    );
  }

  /** One HTTP exchange with the fake. */
  async handle(req: Request, signal?: AbortSignal): Promise<Response> {
    const url = new URL(req.url);
    const body = req.method === "GET" ? "" : await req.text();
    const authorization = req.headers.get("Authorization") ?? "";
    const record = (status: number) => this.seen.push({ method: req.method, path: url.pathname + url.search, authorization, body, status });
    if (this.faults.hang) {
      record(0);
      return new Promise((_, reject) => {
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener("abort", () => reject(signal.reason));
      });
    }
    if (this.faults.serverError || (this.faults.serverErrorFor && url.pathname.includes(this.faults.serverErrorFor))) {
      record(500);
      return this.answer(500, { code: "SYSTEM_ERROR", message: "系统错误" });
    }
    if (!(await this.signedByMerchant(req.method, url.pathname + url.search, body, authorization))) {
      record(401);
      return this.answer(401, { code: "SIGN_ERROR", message: "签名错误" });
    }
    if (req.method === "GET" && url.pathname === "/v3/billdownload/file") {
      const file = this.downloads.get(url.searchParams.get("token") ?? "");
      if (file) {
        record(200);
        return this.billFile(file);
      }
    }
    const [status, payload] = await this.route(
      req.method,
      url,
      body ? (JSON.parse(body) as Record<string, unknown>) : {},
      req.headers.get("Wechatpay-Serial"),
    );
    record(status);
    return this.answer(status, payload);
  }

  /** Checks the Authorization exactly as WeChat Pay does, with the merchant's public key. */
  async signedByMerchant(method: string, canonicalUrl: string, body: string, authorization: string): Promise<boolean> {
    const m = AUTH.exec(authorization);
    if (!m) return false;
    const fields: Record<string, string> = {};
    for (const part of m[1]!.split(",")) {
      const at = part.indexOf("=");
      fields[part.slice(0, at).trim()] = part
        .slice(at + 1)
        .trim()
        .replace(/^"|"$/g, "");
    }
    const { mchid, nonce_str, signature, timestamp, serial_no } = fields;
    if (mchid !== env.WECHATPAY_MCHID || serial_no !== MERCHANT_SERIAL || !nonce_str || !signature || !timestamp) return false;
    if (Math.abs(Number(timestamp) * 1000 - Date.now()) > 5 * 60_000) return false;
    try {
      return await rsaVerifyB64(
        env.TEST_WECHATPAY_MERCHANT_PUBLIC_KEY,
        signature,
        `${method}\n${canonicalUrl}\n${timestamp}\n${nonce_str}\n${body}\n`,
      );
    } catch {
      return false;
    }
  }

  private async route(method: string, url: URL, b: Record<string, unknown>, serial: string | null): Promise<[number, unknown]> {
    const p = url.pathname;
    const notFound = (what: string): [number, unknown] => [404, { code: "ORDER_NOT_EXIST", message: `${what}不存在` }];
    let m: RegExpExecArray | null;
    if (method === "POST" && (m = /^\/v3\/pay\/transactions\/(jsapi|app|native)$/.exec(p))) {
      const type = m[1]!;
      const amount = (b.amount as { total?: number } | undefined)?.total;
      if (b.mchid !== env.WECHATPAY_MCHID || b.appid !== env.WECHATPAY_APPID || typeof b.out_trade_no !== "string" || !amount) {
        return [400, { code: "PARAM_ERROR", message: "参数错误" }];
      }
      const openid = (b.payer as { openid?: string } | undefined)?.openid;
      if (type === "jsapi" && !openid) return [400, { code: "PARAM_ERROR", message: "payer.openid 必填" }];
      const known = this.trades.get(b.out_trade_no);
      if (known && known.trade_state !== "NOTPAY") return [400, { code: "ORDERPAID", message: "该订单已支付" }];
      const t = known ?? {
        out_trade_no: b.out_trade_no,
        trade_type: type.toUpperCase(),
        trade_state: "NOTPAY",
        amount,
        prepay_id: `wx${Date.now()}${crypto.randomUUID().replaceAll("-", "").slice(0, 18)}`,
        openid,
      };
      this.trades.set(t.out_trade_no, t);
      return [200, type === "native" ? { code_url: `weixin://wxpay/bizpayurl?pr=${t.prepay_id!.slice(-10)}` } : { prepay_id: t.prepay_id }];
    }
    if ((m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)(\/close)?$/.exec(p))) {
      const t = this.trades.get(decodeURIComponent(m[1]!));
      if (method === "GET" && !m[2]) {
        if (url.searchParams.get("mchid") !== env.WECHATPAY_MCHID) return [400, { code: "PARAM_ERROR", message: "mchid 错误" }];
        if (!t) return notFound("订单");
        return [
          200,
          {
            appid: env.WECHATPAY_APPID,
            mchid: env.WECHATPAY_MCHID,
            out_trade_no: t.out_trade_no,
            trade_type: t.trade_type,
            trade_state: t.trade_state,
            trade_state_desc: t.trade_state,
            ...(t.transaction_id ? { transaction_id: t.transaction_id, success_time: "2026-11-20T13:29:35+08:00" } : {}),
            payer: { openid: t.openid ?? "" },
            amount: { total: t.amount, payer_total: t.amount, currency: "CNY", payer_currency: "CNY" },
          },
        ];
      }
      if (method === "POST" && m[2]) {
        if (b.mchid !== env.WECHATPAY_MCHID) return [400, { code: "PARAM_ERROR", message: "mchid 错误" }];
        if (!t) return notFound("订单");
        if (t.trade_state === "SUCCESS") return [400, { code: "ORDERPAID", message: "订单已支付" }];
        t.trade_state = "CLOSED";
        return [204, null];
      }
    }
    if (method === "POST" && p === "/v3/refund/domestic/refunds") {
      const amount = b.amount as { refund: number; total: number; currency: string };
      const t = [...this.trades.values()].find((x) => x.out_trade_no === b.out_trade_no || x.transaction_id === b.transaction_id);
      if (!t || t.trade_state !== "SUCCESS") return [404, { code: "RESOURCE_NOT_EXISTS", message: "订单不存在" }];
      if (amount.total !== t.amount || amount.refund > t.amount) return [400, { code: "PARAM_ERROR", message: "金额错误" }];
      const out = String(b.out_refund_no);
      const r = this.refunds.get(out) ?? {
        refund_id: `50300${Date.now()}`,
        out_refund_no: out,
        out_trade_no: t.out_trade_no,
        status: "PROCESSING",
        amount: amount.refund,
      };
      this.refunds.set(out, r);
      return [200, this.refundBody(r, t)];
    }
    if (method === "GET" && (m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(p))) {
      const r = this.refunds.get(decodeURIComponent(m[1]!));
      if (!r) return [404, { code: "RESOURCE_NOT_EXISTS", message: "退款单不存在" }];
      return [200, this.refundBody(r, this.trades.get(r.out_trade_no)!)];
    }
    if (method === "POST" && p === "/v3/fund-app/mch-transfer/transfer-bills") {
      const out = String(b.out_bill_no);
      if (!/^[A-Za-z0-9]{5,32}$/.test(out) || b.appid !== env.WECHATPAY_APPID || !b.openid || !b.transfer_scene_id) {
        return [400, { code: "PARAM_ERROR", message: "参数错误" }];
      }
      // The same out_bill_no again answers the bill made the first time; other parameters are a conflict.
      const known = this.bills.get(out);
      if (known) {
        if (known.amount !== Number(b.transfer_amount) || known.openid !== b.openid) {
          return [400, { code: "INVALID_REQUEST", message: "商户单号重复且参数不一致" }];
        }
        return [
          200,
          { out_bill_no: out, transfer_bill_no: known.transfer_bill_no, create_time: "2026-11-20T13:29:35+08:00", state: known.state },
        ];
      }
      // ¥2,000 or more: user_name is required, RSA-OAEP encrypted with the key the Wechatpay-Serial header names.
      let userName: string | undefined;
      if (b.user_name !== undefined) {
        const decrypted = await this.decrypt(serial, String(b.user_name));
        if (decrypted === null) return [400, { code: "PARAM_ERROR", message: "user_name 解密失败" }];
        userName = decrypted;
      }
      if (Number(b.transfer_amount) >= 200_000 && !userName) {
        return [400, { code: "PARAM_ERROR", message: "转账金额 >= 2000 元时，收款用户姓名必填" }];
      }
      if (this.refuseTransfer) {
        const r = this.refuseTransfer;
        return [r.status, { code: r.code, message: r.message }];
      }
      const bill: Bill = {
        out_bill_no: out,
        transfer_bill_no: `1330000${Date.now()}`,
        state: this.newBillState,
        amount: Number(b.transfer_amount),
        openid: String(b.openid),
        user_name: userName,
        notify_url: typeof b.notify_url === "string" ? b.notify_url : undefined,
      };
      this.bills.set(out, bill);
      // Finished later: by the transfer query or the MCHTRANSFER.BILL.FINISHED notification.
      return [
        200,
        {
          out_bill_no: out,
          transfer_bill_no: bill.transfer_bill_no,
          create_time: "2026-11-20T13:29:35+08:00",
          state: bill.state,
          ...(bill.state === "WAIT_USER_CONFIRM" ? { package_info: `affffddafdfafddffda==${out}` } : {}),
        },
      ];
    }
    if (method === "GET" && (m = /^\/v3\/fund-app\/mch-transfer\/transfer-bills\/out-bill-no\/([^/]+)$/.exec(p))) {
      const bill = this.bills.get(m[1]!);
      if (!bill) return [404, { code: "NOT_FOUND", message: "记录不存在" }];
      return [
        200,
        {
          mch_id: env.WECHATPAY_MCHID,
          appid: env.WECHATPAY_APPID,
          out_bill_no: bill.out_bill_no,
          transfer_bill_no: bill.transfer_bill_no,
          state: bill.state,
          transfer_amount: bill.amount,
          transfer_remark: "技师服务收入提现",
          openid: bill.openid,
          ...(bill.fail_reason ? { fail_reason: bill.fail_reason } : {}),
          create_time: "2026-11-20T13:29:35.120+08:00",
          update_time: "2026-11-20T13:31:02.000+08:00",
        },
      ];
    }
    if (method === "GET" && p === "/v3/bill/tradebill") {
      const date = url.searchParams.get("bill_date") ?? "";
      const type = url.searchParams.get("bill_type") ?? "ALL";
      const tar = url.searchParams.get("tar_type");
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || !["ALL", "SUCCESS", "REFUND"].includes(type) || (tar !== null && tar !== "GZIP")) {
        return [400, { code: "PARAM_ERROR", message: "参数错误" }];
      }
      if (this.faults.billCreating) return [400, { code: "STATEMENT_CREATING", message: "账单生成中" }];
      const bill = this.tradeBills.get(date);
      if (!bill) return [400, { code: "NO_STATEMENT_EXIST", message: "账单文件不存在" }];
      const token = crypto.randomUUID().replaceAll("-", "");
      this.downloads.set(token, { text: bill.text, gzip: tar === "GZIP" });
      return [200, { hash_type: "SHA1", hash_value: bill.sha1, download_url: `${FAKE_BASE}/v3/billdownload/file?token=${token}` }];
    }
    return [404, { code: "NOT_FOUND", message: "无此接口" }];
  }

  /** A field encrypted RSA-OAEP/SHA-1 for the platform key `serial`, decrypted with its private key; null when it does not decrypt. */
  private async decrypt(serial: string | null, b64: string): Promise<string | null> {
    const platform = JSON.parse(env.TEST_WECHATPAY_PLATFORM_KEYS) as Record<string, string>;
    const pem = serial ? platform[serial] : undefined;
    if (!pem) return null;
    try {
      const key = await crypto.subtle.importKey("pkcs8", pemToDer(pem)!, { name: "RSA-OAEP", hash: "SHA-1" }, false, ["decrypt"]);
      return new TextDecoder().decode(await crypto.subtle.decrypt({ name: "RSA-OAEP" }, key, fromBase64(b64)));
    } catch {
      return null;
    }
  }

  /** The bill file: raw bytes (gzipped when asked), unsigned, as WeChat Pay serves it. */
  private async billFile(file: { text: string; gzip: boolean }): Promise<Response> {
    const text = this.faults.tamperBillFile
      ? file.text.replace(/`(\d+)\.(\d\d)/, (_, y: string, f: string) => `\`${Number(y) + 1}.${f}`)
      : file.text;
    const raw = new TextEncoder().encode(text);
    const bytes = file.gzip ? await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer() : raw;
    return new Response(bytes, { status: 200, headers: { "Content-Type": "application/octet-stream", "Request-ID": crypto.randomUUID() } });
  }

  private refundBody(r: Refund, t: Trade) {
    return {
      refund_id: r.refund_id,
      out_refund_no: r.out_refund_no,
      transaction_id: t.transaction_id,
      out_trade_no: t.out_trade_no,
      channel: "ORIGINAL",
      status: r.status,
      amount: { total: t.amount, refund: r.amount, payer_total: t.amount, payer_refund: r.amount, currency: "CNY" },
    };
  }

  /** An answer signed as WeChat Pay signs: `timestamp\nnonce\nbody\n` with the platform private key. */
  private async answer(status: number, payload: unknown): Promise<Response> {
    const body = payload === null ? "" : JSON.stringify(payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = crypto.randomUUID().replaceAll("-", "");
    const platform = JSON.parse(env.TEST_WECHATPAY_PLATFORM_KEYS) as Record<string, string>;
    const key = this.faults.signWith ?? (await importPrivate(platform[PLATFORM_SERIAL]!));
    const signature = await rsaSignB64(key, `${timestamp}\n${nonce}\n${body}\n`);
    const sent = this.faults.tamperAnswer ? body.replace(/"(SUCCESS|NOTPAY|PROCESSING|ACCEPTED)"/, '"CLOSED"').replace(/\d/, "9") : body;
    return new Response(status === 204 ? null : sent, {
      status,
      headers: {
        "Content-Type": "application/json",
        "Request-ID": crypto.randomUUID(),
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": signature,
        "Wechatpay-Serial": PLATFORM_SERIAL,
      },
    });
  }
}
