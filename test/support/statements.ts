/**
 * Provider statement files as the providers write them: WeChat Pay's trade bill (bill_type ALL:
 * backticked fields, header, lines, summary) and Alipay's trade bill (a ZIP of GBK-encoded CSV
 * files: 业务明细 and 业务明细(汇总)), built from plain line descriptions.
 */
import { crc32 } from "../../src/lib/zip";

const yuan = (fen: number) => `${fen < 0 ? "-" : ""}${Math.floor(Math.abs(fen) / 100)}.${String(Math.abs(fen) % 100).padStart(2, "0")}`;

export interface WechatBillLine {
  outTradeNo: string;
  amount: number;
  /** A refund line: out_refund_no, amount and 退款状态 (SUCCESS, PROCESSING, FAIL, CHANGE). */
  refund?: { outRefundNo: string; amount: number; status?: string };
  time?: string;
}

const WECHAT_HEADER =
  "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const WECHAT_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

/** A WeChat Pay trade bill (bill_type ALL) of `lines`, summary included. */
export function wechatTradeBill(appId: string, mchId: string, lines: WechatBillLine[]): string {
  let settled = 0;
  let refunded = 0;
  let fees = 0;
  const rows = lines.map((l, i) => {
    const r = l.refund;
    const fee = Math.floor(((r ? -r.amount : l.amount) * 6) / 1000);
    settled += r ? 0 : l.amount;
    refunded += r ? r.amount : 0;
    fees += fee;
    const fields = [
      l.time ?? "2026-12-02 10:30:00",
      appId,
      mchId,
      "0",
      "",
      `42000029${String(1_000_000 + i)}202612021234`,
      l.outTradeNo,
      "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
      "APP",
      r ? "REFUND" : "SUCCESS",
      "OTHERS",
      "CNY",
      r ? "0.00" : yuan(l.amount),
      "0.00",
      r ? `50300${String(2_000_000 + i)}` : "0",
      r ? r.outRefundNo : "0",
      r ? yuan(r.amount) : "0.00",
      "0.00",
      r ? "ORIGINAL" : "",
      r ? (r.status ?? "SUCCESS") : "",
      "上门保洁 2小时",
      "",
      `${yuan(fee)}000`,
      "0.60%",
      r ? "0.00" : yuan(l.amount),
      r ? yuan(r.amount) : "0.00",
      "",
    ];
    return fields.map((f) => `\`${f}`).join(",");
  });
  const totals = [String(lines.length), yuan(settled), yuan(refunded), "0.00", `${yuan(fees)}000`, yuan(settled), yuan(refunded)];
  return [WECHAT_HEADER, ...rows, WECHAT_SUMMARY, totals.map((t) => `\`${t}`).join(",")].join("\r\n") + "\r\n";
}

export interface AlipayBillLine {
  outTradeNo: string;
  /** 交易: the payment's amount; 退款: the refund's amount (written negative, as Alipay does). */
  amount: number;
  /** A refund line: our out_request_no. */
  outRequestNo?: string;
}

const ALIPAY_HEADER =
  "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

/** The 业务明细 CSV of an Alipay trade bill of `day`. */
export function alipayDetailCsv(day: string, lines: AlipayBillLine[]): string {
  const rows = lines.map((l, i) => {
    const refund = l.outRequestNo !== undefined;
    const amount = yuan(refund ? -l.amount : l.amount);
    return [
      `2026120222001${String(4_000_000 + i)}\t`,
      `${l.outTradeNo}\t`,
      `${refund ? "退款" : "交易"}\t`,
      "上门保洁, 2小时",
      `${day} 10:00:00`,
      `${day} 10:00:05`,
      "\t",
      "\t",
      "\t",
      "\t",
      "**明(138******00)\t",
      amount,
      amount,
      "0.00",
      "0.00",
      "0.00",
      "0.00",
      "0.00",
      "",
      "0.00\t",
      "0.00",
      `${l.outRequestNo ?? ""}\t`,
      "0.00",
      "0.00",
      "",
    ]
      .map((f) => (f.includes(",") ? `"${f}"` : f))
      .join(",");
  });
  const trades = lines.filter((l) => l.outRequestNo === undefined);
  const refunds = lines.filter((l) => l.outRequestNo !== undefined);
  const sum = (ls: AlipayBillLine[], sign: number) => yuan(ls.reduce((s, l) => s + sign * l.amount, 0));
  return [
    "#支付宝业务明细查询",
    "#账号：[20881234567890120156]",
    `#起始日期：[${day.replaceAll("-", "")} 00:00:00]   终止日期：[${day.replaceAll("-", "")} 24:00:00]`,
    "#-----------------------------------------业务明细列表----------------------------------------",
    ALIPAY_HEADER,
    ...rows,
    "#-----------------------------------------业务明细列表结束------------------------------------",
    `#交易合计：${trades.length}笔，商家实收共${sum(trades, 1)}元，商家优惠共0.00元`,
    `#退款合计：${refunds.length}笔，商家实收退款共${sum(refunds, -1)}元，商家优惠退款共0.00元`,
    "#导出时间：[2026年12月03日 09:00:00]",
  ].join("\r\n");
}

let gbkTable: Map<string, number[]> | null = null;

/**
 * GBK bytes of `text`. TextEncoder writes only UTF-8, so the table is the inverse of the runtime's
 * GBK decoder over every two-byte code (test/money/statements.test.ts checks known bytes).
 */
export function gbk(text: string): Uint8Array {
  if (!gbkTable) {
    gbkTable = new Map();
    const decoder = new TextDecoder("gbk");
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        const ch = decoder.decode(new Uint8Array([lead, trail]));
        if (ch.length === 1 && ch !== "\uFFFD" && !gbkTable.has(ch)) gbkTable.set(ch, [lead, trail]);
      }
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out.push(code);
    else {
      const bytes = gbkTable.get(ch);
      if (!bytes) throw new Error(`no GBK code for ${ch}`);
      out.push(...bytes);
    }
  }
  return new Uint8Array(out);
}

/** A ZIP archive of `files` (names and contents as bytes), deflated or stored, without the UTF-8 name flag. */
export async function zipOf(files: { name: Uint8Array; data: Uint8Array }[], method: 0 | 8 = 8): Promise<Uint8Array> {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const packed =
      method === 8
        ? new Uint8Array(
            await new Response(
              new Blob([f.data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate-raw")),
            ).arrayBuffer(),
          )
        : f.data;
    const crc = crc32(f.data);
    const local = new Uint8Array(30 + f.name.length + packed.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, packed.length, true);
    lv.setUint32(22, f.data.length, true);
    lv.setUint16(26, f.name.length, true);
    local.set(f.name, 30);
    local.set(packed, 30 + f.name.length);
    const central = new Uint8Array(46 + f.name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, packed.length, true);
    cv.setUint32(24, f.data.length, true);
    cv.setUint16(28, f.name.length, true);
    cv.setUint32(42, offset, true);
    central.set(f.name, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const dirSize = centrals.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, dirSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + dirSize + 22);
  let at = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Alipay's bill archive of `day`: the GBK 业务明细 CSV and its 汇总 beside it. */
export async function alipayBillZip(day: string, lines: AlipayBillLine[]): Promise<Uint8Array> {
  const stem = `20881234567890120156_${day.replaceAll("-", "")}`;
  const summary = [
    "#支付宝业务汇总查询",
    "#-----------------------------------------业务汇总列表----------------------------------------",
    "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）",
    `合计,,${lines.filter((l) => !l.outRequestNo).length},${lines.filter((l) => l.outRequestNo).length},0.00,0.00`,
    "#----------------------------------------业务汇总列表结束-------------------------------------",
  ].join("\r\n");
  return zipOf([
    { name: gbk(`${stem}_业务明细(汇总).csv`), data: gbk(summary) },
    { name: gbk(`${stem}_业务明细.csv`), data: gbk(alipayDetailCsv(day, lines)) },
  ]);
}
