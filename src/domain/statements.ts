/**
 * Daily provider statements (对账单): the providers' bill files read into lines, and the comparison
 * of those lines with our payments and refunds. Pure: the files arrive as text (already
 * downloaded, checked and decoded by the adapters), our records as plain values.
 *
 * Formats, as the providers document them:
 * - WeChat Pay trade bill (`GET /v3/bill/tradebill`, bill_type ALL): a header line
 *   `交易时间,公众账号ID,商户号,…`, one line per payment or refund in which every field starts with
 *   a backtick (`` `2026-12-02 10:30:00,`wx…,… ``), then the summary header `总交易单数,应结订单总金额,…`
 *   and its line of backticked values. Columns are read by name (the bill types differ in order).
 * - Alipay trade bill (`alipay.data.dataservice.bill.downloadurl.query`, bill_type trade): the
 *   `业务明细` CSV of the ZIP: `#` comment lines, the header `支付宝交易号,商户订单号,业务类型,…`, one line
 *   per 交易 (payment) or 退款 (refund) with fields padded by a tab, then
 *   `#…业务明细列表结束…` and the totals (`#交易合计：N笔，…`, `#退款合计：N笔，…`). A refund line
 *   carries the refund's `退款批次号/请求号` (our out_request_no) and a negative 订单金额（元）.
 */
import { yuanToFen } from "./money";

/** Where each provider's statement comes from; the statement's day is in this time zone. */
export const STATEMENT_TIME_ZONE = "Asia/Shanghai";

export const STATEMENT_LINE_STATUSES = ["succeeded", "processing", "failed", "closed"] as const;
export type StatementLineStatus = (typeof STATEMENT_LINE_STATUSES)[number];

/** One payment or refund as the provider's statement shows it. */
export interface StatementLine {
  subject: "payment" | "refund";
  /** Our id the provider knows it by: out_trade_no (= payment id) or out_refund_no / out_request_no (= refund id). */
  ref: string;
  /** The payment's out_trade_no (for a refund: the payment refunded). */
  paymentRef: string;
  amount: number;
  status: StatementLineStatus;
}

/** A bill file that does not have the documented layout: nothing in it is believed. */
export class StatementFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StatementFormatError";
  }
}

const amountOf = (text: string, what: string): number => {
  const negative = text.startsWith("-");
  const fen = yuanToFen(negative ? text.slice(1) : text);
  if (fen === null) throw new StatementFormatError(`${what} is not an amount`);
  return negative ? -fen : fen;
};

const lineSplit = (text: string) => text.replace(/^\uFEFF/, "").split(/\r?\n/);

/** The columns of a header line, by name. */
function columns(header: string[], required: string[]): Map<string, number> {
  const at = new Map(header.map((name, i) => [name.trim(), i]));
  for (const name of required) if (!at.has(name)) throw new StatementFormatError(`column ${name} is missing`);
  return at;
}

const WECHAT_HEADER = "交易时间";
const WECHAT_SUMMARY = "总交易单数";

/** A WeChat Pay bill line: every field starts with a backtick. */
function wechatFields(line: string): string[] {
  if (!line.startsWith("`")) throw new StatementFormatError("a WeChat Pay bill line does not start with a backtick");
  return line.slice(1).split(",`");
}

const WECHAT_REFUND_STATUS: Record<string, StatementLineStatus> = {
  SUCCESS: "succeeded",
  PROCESSING: "processing",
  FAIL: "failed",
  // 退款异常: the money did not reach the payer.
  CHANGE: "failed",
};

/**
 * Reads a WeChat Pay trade bill (bill_type ALL). The summary's count and totals must agree with the
 * lines, or the file is refused.
 */
export function parseWechatTradeBill(text: string): StatementLine[] {
  const lines = lineSplit(text);
  const start = lines.findIndex((l) => l.startsWith(WECHAT_HEADER));
  if (start < 0) throw new StatementFormatError("the WeChat Pay bill header is missing");
  const header = lines[start]!.split(",");
  const col = columns(header, ["商户订单号", "交易状态", "商户退款单号", "退款状态", "应结订单金额", "退款金额"]);
  const get = (f: string[], name: string) => (col.has(name) ? (f[col.get(name)!] ?? "").trim() : "");
  const out: StatementLine[] = [];
  let settled = 0;
  let refunded = 0;
  let i = start + 1;
  for (; i < lines.length && !lines[i]!.startsWith(WECHAT_SUMMARY); i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const f = wechatFields(line);
    if (f.length !== header.length) throw new StatementFormatError(`a bill line has ${f.length} fields, the header ${header.length}`);
    settled += amountOf(get(f, "应结订单金额"), "应结订单金额");
    refunded += amountOf(get(f, "退款金额"), "退款金额");
    const state = get(f, "交易状态");
    const paymentRef = get(f, "商户订单号");
    if (state === "SUCCESS" || state === "REVOKED") {
      const total = get(f, "订单金额") || get(f, "应结订单金额");
      out.push({
        subject: "payment",
        ref: paymentRef,
        paymentRef,
        amount: amountOf(total, "订单金额"),
        status: state === "SUCCESS" ? "succeeded" : "closed",
      });
    } else if (state === "REFUND") {
      const status = WECHAT_REFUND_STATUS[get(f, "退款状态")];
      if (!status) throw new StatementFormatError("unknown 退款状态");
      const amount = get(f, "申请退款金额") || get(f, "退款金额");
      out.push({ subject: "refund", ref: get(f, "商户退款单号"), paymentRef, amount: amountOf(amount, "退款金额"), status });
    } else {
      throw new StatementFormatError("unknown 交易状态");
    }
  }
  // The summary: its header, then one line of backticked values.
  const summaryHeader = lines[i]?.split(",");
  const summaryLine = lines[i + 1];
  if (!summaryHeader || !summaryLine) throw new StatementFormatError("the WeChat Pay bill summary is missing");
  const sum = columns(summaryHeader, [WECHAT_SUMMARY, "应结订单总金额", "退款总金额"]);
  const values = wechatFields(summaryLine.trim());
  const total = (name: string) => (values[sum.get(name)!] ?? "").trim();
  if (Number(total(WECHAT_SUMMARY)) !== out.length) throw new StatementFormatError("the summary counts other lines than the bill has");
  if (amountOf(total("应结订单总金额"), "应结订单总金额") !== settled || amountOf(total("退款总金额"), "退款总金额") !== refunded) {
    throw new StatementFormatError("the summary totals do not add up");
  }
  return out;
}

const ALIPAY_HEADER = "支付宝交易号";

/** One CSV line: commas separate, double quotes may enclose a field (`""` inside is a quote). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === "") {
      quoted = true;
      field = "";
    } else if (ch === ",") {
      out.push(field);
      field = "";
    } else field += ch;
  }
  out.push(field);
  // Alipay pads ids with a tab so spreadsheets keep them as text.
  return out.map((x) => x.trim());
}

/** `#交易合计：3笔，…` → 3; null when the line is not there. */
const alipayCount = (lines: string[], label: string): number | null => {
  const m = lines.map((l) => new RegExp(`^#${label}：(\\d+)笔`).exec(l)).find(Boolean);
  return m ? Number(m[1]) : null;
};

/**
 * Reads the 业务明细 CSV of an Alipay trade bill (decoded text). Lines of other business types are
 * left out. The footer's counts of 交易 and 退款 lines must agree with the lines, or it is refused.
 */
export function parseAlipayTradeBill(text: string): StatementLine[] {
  const lines = lineSplit(text);
  const start = lines.findIndex((l) => l.startsWith(ALIPAY_HEADER));
  if (start < 0) throw new StatementFormatError("the Alipay bill header is missing");
  const header = csvFields(lines[start]!);
  const col = columns(header, ["商户订单号", "业务类型", "订单金额（元）", "退款批次号/请求号"]);
  const get = (f: string[], name: string) => f[col.get(name)!] ?? "";
  const out: StatementLine[] = [];
  let trades = 0;
  let refunds = 0;
  let i = start + 1;
  for (; i < lines.length && !lines[i]!.startsWith("#"); i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const f = csvFields(line);
    if (f.length !== header.length) throw new StatementFormatError(`a bill line has ${f.length} fields, the header ${header.length}`);
    const paymentRef = get(f, "商户订单号");
    const amount = amountOf(get(f, "订单金额（元）"), "订单金额（元）");
    const kind = get(f, "业务类型");
    if (kind === "交易") {
      trades++;
      out.push({ subject: "payment", ref: paymentRef, paymentRef, amount, status: "succeeded" });
    } else if (kind === "退款") {
      refunds++;
      out.push({ subject: "refund", ref: get(f, "退款批次号/请求号"), paymentRef, amount: Math.abs(amount), status: "succeeded" });
    }
  }
  if (!lines.slice(i).some((l) => l.includes("业务明细列表结束"))) throw new StatementFormatError("the Alipay bill ends early");
  const footer = lines.slice(i);
  const tradeCount = alipayCount(footer, "交易合计");
  const refundCount = alipayCount(footer, "退款合计");
  if ((tradeCount !== null && tradeCount !== trades) || (refundCount !== null && refundCount !== refunds)) {
    throw new StatementFormatError("the footer counts other lines than the bill has");
  }
  return out;
}

/** A payment or refund of ours, as far as the statement is concerned. */
export interface OurRecord {
  subject: "payment" | "refund";
  id: string;
  provider: string;
  amount: number;
  /** Payments: pending, succeeded, failed, closed; refunds: pending_approval, processing, succeeded, failed, rejected. */
  status: string;
  orderId: string;
}

export const MISMATCH_KINDS = ["missing_here", "missing_at_provider", "amount_mismatch", "status_mismatch"] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

export interface Mismatch {
  kind: MismatchKind;
  subject: "payment" | "refund";
  ref: string;
  orderId: string | null;
  ours: { amount: number; status: string } | null;
  theirs: { amount: number; status: StatementLineStatus } | null;
}

/**
 * Compares a provider's statement of a day with our records. `known` holds our records of every
 * ref the statement names (whatever their day) and of the day's own movements; `ofTheDay` the keys
 * (`subject:id`) of ours that moved money with this provider that day (paid, refunded).
 *
 * - a line with no record of ours for this provider: `missing_here`;
 * - a line whose status or amount differs from ours: `status_mismatch` / `amount_mismatch` (both when both do);
 * - a movement of the day the statement does not show: `missing_at_provider`.
 */
export function compareStatement(provider: string, lines: StatementLine[], known: OurRecord[], ofTheDay: Iterable<string>): Mismatch[] {
  const key = (subject: string, id: string) => `${subject}:${id}`;
  const ours = new Map(known.filter((r) => r.provider === provider).map((r) => [key(r.subject, r.id), r]));
  const seen = new Set<string>();
  const out: Mismatch[] = [];
  for (const line of lines) {
    const k = key(line.subject, line.ref);
    if (seen.has(k)) continue;
    seen.add(k);
    const our = ours.get(k);
    const theirs = { amount: line.amount, status: line.status };
    if (!our) {
      out.push({ kind: "missing_here", subject: line.subject, ref: line.ref, orderId: null, ours: null, theirs });
      continue;
    }
    const mine = { amount: our.amount, status: our.status };
    if (our.status !== line.status) {
      out.push({ kind: "status_mismatch", subject: line.subject, ref: line.ref, orderId: our.orderId, ours: mine, theirs });
    }
    if (our.amount !== line.amount) {
      out.push({ kind: "amount_mismatch", subject: line.subject, ref: line.ref, orderId: our.orderId, ours: mine, theirs });
    }
  }
  for (const k of ofTheDay) {
    const our = ours.get(k);
    if (!our || seen.has(k)) continue;
    out.push({
      kind: "missing_at_provider",
      subject: our.subject,
      ref: our.id,
      orderId: our.orderId,
      ours: { amount: our.amount, status: our.status },
      theirs: null,
    });
  }
  return out;
}
